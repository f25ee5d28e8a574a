"""What every learning rule shares.

A rule is a dataclass of its hyper-parameters with a :meth:`LearningRule.fit` method that
updates a network and reports each unit of progress (iteration, generation, trial) to a
:class:`~rnntool.engine.monitor.Monitor`, which validates, applies the stopping rules
(``rnntool.engine.stopping``) and keeps the best network seen.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

import torch

from rnntool.engine.monitor import Monitor
from rnntool.errors import ConfigError
from rnntool.network.config import NetworkConfig
from rnntool.network.ctrnn import CTRNN, final_outputs
from rnntool.rules.cell_support import limit_defaults
from rnntool.seeding import Seeds
from rnntool.tasks.base import Batch, Task


@torch.no_grad()
def decision_outputs(net: CTRNN, task: Task, inputs: torch.Tensor,
                     x_init: torch.Tensor) -> torch.Tensor:
    """The outputs ``task.correct`` reads, for every member, on the CPU: (K, B, T', n_out).

    When the task decides at the last step only the first and last outputs are kept
    (time-chunked, bounded memory); otherwise the whole trace.
    """
    if task.decision_at_end:
        first, last = final_outputs(net, inputs, x_init)
        return torch.stack([first, last], dim=-2).cpu()
    return net.simulate(inputs, x_init).outputs.cpu()


@dataclass
class LearningRule(ABC):
    """A learning rule: its fields are hyper-parameters, all overridable from the CLI."""

    name: ClassVar[str]
    preset: ClassVar[str]
    trainable: ClassVar[tuple[str, ...]]
    unit: ClassVar[str] = "iteration"
    max_iters: int = 2000

    @classmethod
    def task_defaults(cls, task: Task) -> dict[str, Any]:
        """Hyper-parameter defaults that depend on the task (McMahan et al. 2021 varies some by task)."""
        return {}

    @classmethod
    def create(cls, task: Task, cell: str | None = None, **overrides: Any) -> "LearningRule":
        """The rule with McMahan et al. 2021's defaults, then the task's (:attr:`Task.rule_defaults`),
        bounded by the limits of ``cell`` where given (``rnn``: Adam lr ≤ 1e-3), then explicit
        overrides."""
        known = {f.name for f in fields(cls)}
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(given) - known
        if unknown:
            raise ConfigError(f"rule {cls.name!r} takes no option(s) {', '.join(sorted(unknown))}")
        defaults = {**cls.task_defaults(task), **task.rule_defaults.get(cls.name, {})}
        if cell is not None:
            own = {f.name: f.default for f in fields(cls)}
            defaults = limit_defaults(cls.name, cell, defaults, own)
        rule = cls(**{**defaults, **given})
        rule.check()
        return rule

    def check(self) -> None:
        """Raise ConfigError for out-of-range hyper-parameters."""
        if self.max_iters < 1:
            raise ConfigError("max_iters must be ≥ 1")

    def check_network(self, config: NetworkConfig) -> None:
        """Raise ConfigError for hyper-parameters that do not fit the network (before training)."""

    def config(self) -> dict[str, Any]:
        return {"name": self.name, **asdict(self)}

    @abstractmethod
    def fit(self, net: CTRNN, task: Task, seeds: Seeds, monitor: Monitor) -> CTRNN:
        """Train ``net`` until ``monitor`` says stop; return the network to save."""


def batch_accuracy(task: Task, outputs: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Fraction of scored trials answered correctly, per member: outputs (K, B, T, n_out).

    NaN for tasks without a correct answer.
    """
    if not task.has_correct_answer:
        return torch.full(outputs.shape[:1], float("nan"))
    scored = task.scored(batch)
    return task.correct(outputs.detach().cpu(), batch)[..., scored].float().mean(-1)
