"""What every learning rule shares: validation, the stopping rule, best-model tracking,
progress reporting and the training history.

A rule is a dataclass of its hyper-parameters with a :meth:`LearningRule.fit` method that
updates a network and reports each unit of progress (iteration, generation, trial) to a
:class:`Monitor`. The monitor decides when to stop and keeps the best network seen.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
import torch
from rich.console import Console

from rnntool.errors import ConfigError
from rnntool.network.ctrnn import CTRNN, final_outputs
from rnntool.progress import ProgressSettings, TrainingProgress, training_progress
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
class StoppingRule:
    """Stop when the last ``window`` validation accuracies are all ≥ ``threshold`` (seed 002),
    or after ``max_iters`` units of progress."""

    window: int = 10
    threshold: float = 0.9
    max_iters: int = 2000

    def satisfied(self, accuracies: list[float]) -> bool:
        recent = accuracies[-self.window:]
        return len(recent) == self.window and min(recent) >= self.threshold


@dataclass
class ValidationSet:
    """A held-out batch with fixed initial-state noise, both fixed by the seed.

    Validation is forward-only and time-chunked (no graph, no (T, B, N) tensor). While the
    training-batch accuracy is below ``validate_from`` validation is skipped and counts as
    a failed check, so the stopping rule can only fire later than with validation after
    every update, never earlier.
    """

    batch: Batch
    x_noise: torch.Tensor
    scored: torch.Tensor
    validate_from: float = 0.75

    @classmethod
    def create(cls, task: Task, seeds: Seeds, n_rec: int, size: int = 2000,
               validate_from: float = 0.75) -> "ValidationSet":
        gen = seeds.generator("validation")
        batch = task.validation_batch(gen, size)
        noise = torch.randn((1, size, n_rec), generator=gen)
        return cls(batch, noise, task.scored(batch), validate_from)

    def accuracy(self, net: CTRNN, task: Task) -> np.ndarray:
        """Accuracy of every member of ``net``, (K,)."""
        x_init = net.clamp(net.params["x0"][:, None, :]
                           + net.config.x0_std * self.x_noise.to(net.device, net.dtype))
        outputs = decision_outputs(net, task, self.batch.inputs, x_init)
        correct = task.correct(outputs, self.batch)[..., self.scored]
        return correct.float().mean(-1).numpy()


@dataclass
class Monitor:
    """Collects the history, validates, tracks the best network and shows progress."""

    task: Task
    validation: ValidationSet
    stopping: StoppingRule
    unit: str = "iteration"
    console: Console | ProgressSettings | None = None
    history: dict[str, list[float]] = field(default_factory=dict)
    best_accuracy: float = -1.0
    best_iteration: int = -1
    best_params: dict[str, torch.Tensor] | None = None
    _accuracies: list[float] = field(default_factory=list)
    _start: float = field(default_factory=time.perf_counter)
    _progress: TrainingProgress | None = None

    def __enter__(self) -> "Monitor":
        self._progress = training_progress(self.console, self.stopping.max_iters, self.unit,
                                           self.stopping.window, self.stopping.threshold)
        if self._progress is not None:
            self._progress.__enter__()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    @property
    def iterations(self) -> int:
        return len(self._accuracies)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self._start

    def record(self, net: CTRNN, loss: float, train_accuracy: float, member: int = 0,
               validate: bool | None = None, **extra: float) -> bool:
        """Log one unit of progress for member ``member`` of ``net``; True means stop."""
        if validate is None:
            validate = train_accuracy >= self.validation.validate_from
        accuracy = float(self.validation.accuracy(net.member(member) if net.members > 1 else net,
                                                  self.task)[0]) if validate else float("nan")
        self._accuracies.append(accuracy if validate else -1.0)
        for key, value in dict(loss=loss, train_accuracy=train_accuracy,
                               val_accuracy=accuracy, seconds=self.seconds, **extra).items():
            self.history.setdefault(key, []).append(float(value))
        if validate and accuracy > self.best_accuracy:
            self.best_accuracy, self.best_iteration = accuracy, self.iterations - 1
            self.best_params = {k: v[member:member + 1].detach().clone()
                                for k, v in net.params.items()}
        if self._progress is not None:
            self._progress.update(loss, train_accuracy, accuracy)
        return self.converged or self.iterations >= self.stopping.max_iters

    @property
    def converged(self) -> bool:
        return self.stopping.satisfied(self._accuracies)

    def best_network(self, net: CTRNN, member: int = 0) -> CTRNN:
        """The best validated network, or member ``member`` of ``net`` if none was validated."""
        if self.best_params is None:
            return net.member(member)
        return CTRNN(net.config, self.best_params, net.device)

    def summary(self) -> dict[str, Any]:
        return {"iterations": self.iterations, "unit": self.unit, "converged": self.converged,
                "best_iteration": self.best_iteration,
                "best_val_accuracy": self.best_accuracy, "seconds": self.seconds}

    def history_arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in self.history.items()}


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
        """Hyper-parameter defaults that depend on the task (seed 002 varies some by task)."""
        return {}

    @classmethod
    def create(cls, task: Task, **overrides: Any) -> "LearningRule":
        """The rule with seed 002's defaults for ``task``, then explicit overrides."""
        known = {f.name for f in fields(cls)}
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(given) - known
        if unknown:
            raise ConfigError(f"rule {cls.name!r} takes no option(s) {', '.join(sorted(unknown))}")
        rule = cls(**{**cls.task_defaults(task), **given})
        rule.check()
        return rule

    def check(self) -> None:
        """Raise ConfigError for out-of-range hyper-parameters."""
        if self.max_iters < 1:
            raise ConfigError("max_iters must be ≥ 1")

    def config(self) -> dict[str, Any]:
        return {"name": self.name, **asdict(self)}

    @abstractmethod
    def fit(self, net: CTRNN, task: Task, seeds: Seeds, monitor: Monitor) -> CTRNN:
        """Train ``net`` until ``monitor`` says stop; return the network to save."""


def batch_accuracy(task: Task, outputs: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Fraction of scored trials answered correctly, per member: outputs (K, B, T, n_out)."""
    scored = task.scored(batch)
    return task.correct(outputs.detach().cpu(), batch)[..., scored].float().mean(-1)
