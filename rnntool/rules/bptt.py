"""Backpropagation through time (McMahan et al. 2021's ``bptt``), for one network or a batched
ensemble of K networks each with its own seed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from rnntool.engine.checkpoint import (generator_states, load_generator_states,
                                      load_optimiser_state, optimiser_state)
from rnntool.engine.losses import LOSSES, compute_loss
from rnntool.engine.members import initial_states, member_batch, sample_members
from rnntool.engine.optimisers import OPTIMISERS, Schedule, build_optimiser, clip_per_member
from rnntool.engine.regularisers import check_parameters, parse_regularisers, penalty
from rnntool.errors import ConfigError
from rnntool.network.cells import parameter_names
from rnntool.network.config import NetworkConfig
from rnntool.network.ctrnn import CTRNN
from rnntool.rules.base import LearningRule, Monitor, batch_accuracy
from rnntool.seeding import Seeds
from rnntool.tasks.base import Task


@dataclass
class BPTT(LearningRule):
    """Gradient descent on the full unrolled trial.

    McMahan et al. 2021 defaults: Adam, learning rate 5e-4, 500 fresh trials per iteration,
    only W_rec trained, one initial state shared by the batch, the batch *sum* of the task's
    loss, no gradient clipping. ``loss`` names a loss of ``rnntool.engine.losses``,
    ``regularise`` adds penalties (``rnntool.engine.regularisers``), ``optimizer`` is adam,
    adamw or sgd (with ``momentum``), ``clip`` > 0 clips each member's gradient norm and
    ``schedule`` sets the learning-rate schedule (``rnntool.engine.optimisers``).
    """

    name: ClassVar[str] = "bptt"
    preset: ClassVar[str] = "mcmahan"
    trainable: ClassVar[tuple[str, ...]] = ("W_rec",)
    #: BPTT trains K networks as one batched pass (``--seeds`` ensembles).
    batches_members: ClassVar[bool] = True
    #: BPTT writes checkpoints and resumes exactly (``--checkpoint-every``, ``--resume``).
    checkpoints: ClassVar[bool] = True
    lr: float = 5e-4
    batch_size: int = 500
    clip: float = 0.0
    loss: str = "task"
    loss_reduction: str = "sum"
    regularise: str = ""
    optimizer: str = "adam"
    momentum: float = 0.0
    weight_decay: float = 0.0
    schedule: str = "none"
    shared_x0: bool = True
    max_iters: int = 20000

    def check(self) -> None:
        super().check()
        if self.lr <= 0 or self.batch_size < 1 or self.clip < 0:
            raise ConfigError("lr and batch_size must be positive and clip non-negative")
        if self.loss_reduction not in ("sum", "mean"):
            raise ConfigError("loss_reduction must be 'sum' or 'mean'")
        if self.loss not in LOSSES:
            raise ConfigError(f"unknown loss {self.loss!r} (known: {', '.join(sorted(LOSSES))})")
        if self.optimizer not in OPTIMISERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r} (known: {', '.join(OPTIMISERS)})")
        if self.momentum < 0 or self.weight_decay < 0:
            raise ConfigError("momentum and weight_decay must be non-negative")
        parse_regularisers(self.regularise)
        Schedule(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0), self.schedule, 1)

    def check_network(self, config: NetworkConfig) -> None:
        check_parameters(parse_regularisers(self.regularise), parameter_names(config))

    def fit(self, net: CTRNN, task: Task, seeds: Seeds | list[Seeds], monitor: Monitor) -> CTRNN:
        """Train every member of ``net`` (one per seed in ``seeds``) until the monitor stops it;
        returns the best network of each member, stacked."""
        members = seeds if isinstance(seeds, list) else [seeds]
        k = len(members)
        checkpointer = monitor.checkpointer
        resume = checkpointer.resume_from if checkpointer is not None else None
        if resume is not None:
            for name, value in resume["weights"].items():
                net.params[name] = torch.from_numpy(np.array(value)).to(net.device, net.dtype)
        params = net.trainable_parameters()
        if not params:
            raise ConfigError("BPTT needs at least one trainable parameter (--train)")
        optimiser = build_optimiser(params, self.optimizer, self.lr, self.weight_decay, self.momentum)
        schedule = Schedule(optimiser, self.schedule, monitor.stopping.max_iters)
        terms = parse_regularisers(self.regularise)
        check_parameters(terms, tuple(net.params))
        data = [s.generator("data") for s in members]
        noise = [s.generator("noise") for s in members]
        streams = {**{f"data{i}": g for i, g in enumerate(data)},
                   **{f"noise{i}": g for i, g in enumerate(noise)}}
        if resume is not None:
            load_optimiser_state(optimiser, resume["optimiser"])
            schedule.load_state_dict(resume["schedule"])
            load_generator_states(streams, resume["generators"])
            monitor.load_state(resume["monitor"], net.device)
            if monitor.stopped.all():
                return monitor.best_networks(net)
        while True:
            batch = sample_members(task, self.batch_size, data)
            x_init = initial_states(net, self.batch_size, noise, self.shared_x0)
            trajectory = net.simulate(batch.inputs, x_init, noise)
            losses = compute_loss(self.loss, task, trajectory.outputs, batch, self.loss_reduction)
            extra = penalty(terms, net, trajectory)
            if extra is not None:
                losses = losses + extra
            optimiser.zero_grad(set_to_none=True)
            losses.sum().backward()
            grad_norm = clip_per_member(params, self.clip)
            stopped = torch.as_tensor(monitor.stopped)
            frozen = [p.detach()[stopped].clone() for p in params] if stopped.any() else None
            optimiser.step()
            net.project()
            if frozen is not None:
                with torch.no_grad():
                    for p, f in zip(params, frozen):
                        p[stopped] = f
            net.project()
            lr = schedule.lr
            schedule.step(float(losses.detach().sum()))
            outputs = trajectory.outputs.detach()
            accuracy = np.array([float(batch_accuracy(task, outputs[i:i + 1],
                                                      member_batch(batch, i, k))[0])
                                 for i in range(k)])
            done = monitor.record_all(net, losses.detach().cpu().numpy(), accuracy,
                                      lr=np.full(k, lr), grad_norm=grad_norm)
            if done.all():
                return monitor.best_networks(net)
            if checkpointer is not None and checkpointer.due(max(t.iterations for t in monitor.tracks)):
                checkpointer.save({"weights": {n: v.detach().cpu().numpy() for n, v in net.params.items()},
                                   "optimiser": optimiser_state(optimiser),
                                   "schedule": schedule.state_dict(),
                                   "generators": generator_states(streams),
                                   "monitor": monitor.state()})
