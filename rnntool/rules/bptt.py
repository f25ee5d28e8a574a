"""Backpropagation through time with Adam (seed 002's ``bptt``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from rnntool.errors import ConfigError
from rnntool.network.ctrnn import CTRNN
from rnntool.rules.base import LearningRule, Monitor, batch_accuracy
from rnntool.seeding import Seeds
from rnntool.tasks.base import Task


@dataclass
class BPTT(LearningRule):
    """Adam on the full unrolled trial.

    Seed 002 defaults: learning rate 5e-4, 500 fresh trials per iteration, only W_rec
    trained, one initial state shared by the batch, the batch *sum* of the loss, no
    gradient clipping (``clip`` > 0 clips the global gradient norm).
    """

    name: ClassVar[str] = "bptt"
    preset: ClassVar[str] = "mcmahan"
    trainable: ClassVar[tuple[str, ...]] = ("W_rec",)
    lr: float = 5e-4
    batch_size: int = 500
    clip: float = 0.0
    loss_reduction: str = "sum"
    shared_x0: bool = True
    max_iters: int = 20000

    def check(self) -> None:
        super().check()
        if self.lr <= 0 or self.batch_size < 1 or self.clip < 0:
            raise ConfigError("lr and batch_size must be positive and clip non-negative")
        if self.loss_reduction not in ("sum", "mean"):
            raise ConfigError("loss_reduction must be 'sum' or 'mean'")

    def fit(self, net: CTRNN, task: Task, seeds: Seeds, monitor: Monitor) -> CTRNN:
        params = net.trainable_parameters()
        if not params:
            raise ConfigError("BPTT needs at least one trainable parameter (--train)")
        optimiser = torch.optim.Adam(params, lr=self.lr)
        data, noise = seeds.generator("data"), seeds.generator("noise")
        while True:
            batch = task.sample(self.batch_size, data)
            x_init = net.initial_state(self.batch_size, noise, shared=self.shared_x0)
            outputs = net.simulate(batch.inputs, x_init, noise).outputs
            loss = task.loss(outputs, batch.to(net.device), self.loss_reduction).sum()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            if self.clip > 0:
                torch.nn.utils.clip_grad_norm_(params, self.clip)
            optimiser.step()
            net.project()
            accuracy = float(batch_accuracy(task, outputs, batch)[0])
            if monitor.record(net, float(loss.detach()), accuracy):
                return monitor.best_network(net)
