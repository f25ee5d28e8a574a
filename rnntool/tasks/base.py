"""The task protocol: seeded, vectorised batches of (inputs, targets, loss mask, conditions)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import torch
from torch import Tensor

from rnntool.errors import ConfigError


@dataclass
class Batch:
    """A batch of trials, batch-first.

    Attributes:
        inputs: (B, T, n_in).
        targets: (B, T, n_out).
        mask: (B, T, n_out) loss weights; zero where the output is free.
        conditions: per-trial records, each (B,) or (B, ·): coherence, context, target sign…
    """

    inputs: Tensor
    targets: Tensor
    mask: Tensor
    conditions: dict[str, Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def to(self, device: torch.device | str) -> "Batch":
        """The same trials with inputs, targets and mask on ``device``."""
        return Batch(self.inputs.to(device), self.targets.to(device), self.mask.to(device),
                     self.conditions)

    def subset(self, index: Tensor | slice) -> "Batch":
        """The trials selected by ``index``."""
        return Batch(self.inputs[index], self.targets[index], self.mask[index],
                     {k: v[index] for k, v in self.conditions.items()})


@dataclass
class Task(ABC):
    """A cognitive task. Subclasses are dataclasses whose fields are the task's settings.

    Every random draw comes from the ``torch.Generator`` passed to :meth:`sample`, and no
    method loops over trials or time steps in Python.
    """

    name: ClassVar[str]
    #: True when :meth:`correct` reads only the last output step, so validation can run
    #: without keeping the whole output trace.
    decision_at_end: ClassVar[bool] = False
    #: Network settings this task trains best with (``preset``, ``trainable``); they replace
    #: the learning rule's defaults unless given explicitly.
    network_defaults: ClassVar[dict[str, Any]] = {}

    @property
    @abstractmethod
    def n_in(self) -> int: ...

    @property
    @abstractmethod
    def n_out(self) -> int: ...

    @property
    @abstractmethod
    def n_steps(self) -> int: ...

    @abstractmethod
    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        """Draw ``batch_size`` fresh training trials."""

    @abstractmethod
    def validation_batch(self, generator: torch.Generator, size: int = 2000) -> Batch:
        """A held-out set of trials; fixed when ``generator`` is seeded the same way."""

    @abstractmethod
    def correct(self, outputs: Tensor, batch: Batch) -> Tensor:
        """Whether each trial was answered correctly: outputs (…, B, T, n_out) → bool (…, B)."""

    def scored(self, batch: Batch) -> Tensor:
        """Which trials count towards accuracy (all, unless a task has unanswerable trials)."""
        return torch.ones(len(batch), dtype=torch.bool)

    def loss(self, outputs: Tensor, batch: Batch, reduction: str = "mean") -> Tensor:
        """Masked squared error; ``mean`` averages over trials (per member), ``sum`` adds them.

        outputs: (…, B, T, n_out) → (…).
        """
        per_trial = (batch.mask * (outputs - batch.targets) ** 2).sum(dim=(-1, -2))
        return per_trial.sum(-1) if reduction == "sum" else per_trial.mean(-1)

    def config(self) -> dict[str, Any]:
        """The task's name and settings, enough to rebuild it with :func:`task_from_config`."""
        return {"name": self.name, **{f.name: getattr(self, f.name) for f in fields(self)}}

    def check(self) -> None:
        """Raise :class:`ConfigError` for settings out of range (called after construction)."""


def check_positive(**values: float) -> None:
    """Raise ConfigError naming the first value that is not positive."""
    for key, value in values.items():
        if not value > 0:
            raise ConfigError(f"{key} must be positive, got {value}")
