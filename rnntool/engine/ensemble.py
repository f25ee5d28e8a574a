"""Ensembles: one model per seed, trained as ONE batched K-member run where the rule allows.

Member k starts from exactly the weights a single run with seed k starts from and draws its
training data, initial states, network noise and validation set from seed k's streams, with
its own stopping rules and best network; a member that has stopped keeps its weights while
the others train. It therefore ends as the single run with seed k does, up to float rounding
of the batched products.

Rules that cannot batch members (FORCE, full-FORCE, Hebbian, the genetic algorithm, whose
population already uses the member axis) and learning-rate schedules that react to the loss
fall back to one run per seed.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import torch
from rich.console import Console

from rnntool.engine.checkpoint import Checkpointer
from rnntool.engine.monitor import ScalarLogger
from rnntool.engine.optimisers import Schedule
from rnntool.errors import ConfigError
from rnntool.network import CTRNN, NetworkConfig
from rnntool.rules import LearningRule
from rnntool.runtime import tune_allocator
from rnntool.seeding import Seeds
from rnntool.storage import ModelRecord
from rnntool.storage.atomic import atomic_path
from rnntool.tasks import Task
from rnntool.training import (TrainSettings, check_checkpointing, make_monitor, model_record,
                              train)


def batches_members(rule: LearningRule) -> bool:
    """Whether ``rule`` trains several seeds as one batched run."""
    if not getattr(rule, "batches_members", False):
        return False
    probe = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    return not Schedule(probe, getattr(rule, "schedule", "none"), 1).per_member


def initial_ensemble(net_config: NetworkConfig, seeds: list[Seeds], device: str = "cpu") -> CTRNN:
    """K members, member k drawn exactly as a single run with ``seeds[k]`` draws its network."""
    nets = [CTRNN.initialise(net_config, s.generator("init"), device=device) for s in seeds]
    return CTRNN(net_config, {k: torch.cat([n.params[k] for n in nets]) for k in nets[0].params},
                 device)


def train_ensemble(names: list[str], seeds: list[int], task: Task, rule: LearningRule,
                   net_config: NetworkConfig, settings: TrainSettings,
                   console: Console | None = None, checkpointer: Checkpointer | None = None,
                   logger: ScalarLogger | None = None) -> list[ModelRecord]:
    """Train one model per seed (``names[k]`` with ``seeds[k]``) and return their records.

    ``checkpointer`` and ``logger`` as for :func:`rnntool.training.train` (for the whole
    batched run; a fallback to one run per seed takes neither).
    """
    if len(names) != len(seeds):
        raise ValueError("one name per seed")
    if not batches_members(rule):
        if checkpointer is not None or logger is not None:
            raise ConfigError(f"rule {rule.name!r} trains seeds one by one here: checkpoints and "
                              f"TensorBoard apply to single runs (train the names separately)")
        return [train(n, task, rule, net_config, replace(settings, seed=s), console)
                for n, s in zip(names, seeds)]
    check_checkpointing(rule, checkpointer)
    tune_allocator()
    streams = [Seeds(s) for s in seeds]
    net = initial_ensemble(net_config, streams, settings.device)
    with make_monitor(task, rule, settings, streams, net.state_size, console) as monitor:
        monitor.checkpointer, monitor.logger = checkpointer, logger
        trained = rule.fit(net, task, streams, monitor)
    final = monitor.validation.metrics(trained, task)
    return [model_record(n, task, rule, trained, monitor, replace(settings, seed=s), s, k, final)
            for k, (n, s) in enumerate(zip(names, seeds))]


def write_group_file(path: str | os.PathLike, label: str, models: list[Path],
                     note: str = "") -> Path:
    """``LABEL model.h5 …`` in one line (paths relative to the group file's folder when inside
    it), after comment lines: how the models were trained, and ``note`` when given."""
    path = Path(path)
    entries = []
    for m in models:
        m = Path(m)
        entries.append(m.name if m.parent.resolve() == path.parent.resolve() else str(m))
    with atomic_path(path) as tmp:
        tmp.write_text(f"# one model per seed, trained by rnntool train --seeds\n"
                       + (f"# {note}\n" if note else "")
                       + f"{label} {' '.join(entries)}\n", encoding="utf-8")
    return path
