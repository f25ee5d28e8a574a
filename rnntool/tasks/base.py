"""The task protocol: seeded, vectorised batches of (inputs, targets, loss mask, conditions).

A task is a dataclass of its settings implementing :class:`Task`. The training engine needs:

- ``n_in``, ``n_out``, ``n_steps``; ``sample(B, generator)`` and ``validation_batch(generator,
  size)`` returning a :class:`Batch` (inputs, targets, loss mask, per-trial conditions).
- **Metrics** (``rnntool.engine.metrics``): :meth:`Task.metric_sums` returns, for outputs of
  K network members (K, B, T, n_out), a dict ``name → Tally`` (per-member total and count,
  so held-out sets are scored in chunks). The default reports ``mse`` (squared error
  weighted by the loss mask, divided by the mask's sum) always, and ``accuracy`` (fraction of
  :meth:`scored` trials that :meth:`correct` accepts) when the task overrides
  :meth:`correct`. A task adds metrics by extending the dict and declaring each name's
  direction once with ``register_metric(name, "max" | "min")``. The history stores every
  metric as ``val_<name>`` (held-out set) and ``train_accuracy`` (training batch).
- :attr:`Task.primary_metric` names the metric that selects the best network (default
  ``accuracy`` where there is a correct answer, else ``mse``); its direction comes from the
  registry.
- **Defaults** a task may name for training: :attr:`default_rule` (used when a model name
  has no rule prefix), :attr:`rule_defaults` (hyper-parameters per rule name),
  :attr:`network_defaults` (preset, trainable, n_rec, …) and :attr:`default_stop`
  (stopping-rule specifications, see ``rnntool.engine.stopping``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import torch
from torch import Tensor

from rnntool.engine.metrics import accuracy, masked_mse
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
    #: The learning rule a model name without a rule prefix trains with.
    default_rule: ClassVar[str | None] = None
    #: Hyper-parameter defaults per rule name, e.g. ``{"bptt": {"lr": 1e-2}}``.
    rule_defaults: ClassVar[dict[str, dict[str, Any]]] = {}
    #: Stopping rules ("metric op value for W", "metric plateau P"); None: accuracy ≥ 0.9 for
    #: 10 checks (McMahan et al. 2021) where the task has a correct answer, else the budget.
    default_stop: ClassVar[tuple[str, ...] | None] = None
    #: Metric that selects the best network; None: accuracy if available, else mse.
    primary_metric: ClassVar[str | None] = None

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

    def correct(self, outputs: Tensor, batch: Batch) -> Tensor:
        """Whether each trial was answered correctly: outputs (…, B, T, n_out) → bool (…, B).

        Tasks without a correct answer (pure regression) do not override it.
        """
        raise NotImplementedError(f"task {self.name!r} has no correct answer")

    @property
    def has_correct_answer(self) -> bool:
        return type(self).correct is not Task.correct

    @property
    def primary(self) -> str:
        """The metric that selects the best network."""
        if self.primary_metric is not None:
            return self.primary_metric
        return "accuracy" if self.has_correct_answer else "mse"

    @property
    def stop_specs(self) -> tuple[str, ...]:
        """The task's default stopping rules (besides the iteration budget)."""
        if self.default_stop is not None:
            return tuple(self.default_stop)
        return ("val_accuracy>=0.9 for 10",) if self.has_correct_answer else ()

    def metric_sums(self, outputs: Tensor, batch: Batch) -> dict[str, Any]:
        """Per-member tallies of every metric: outputs (K, B, T, n_out) → {name: Tally}."""
        out = {"mse": masked_mse(outputs, batch)}
        if self.has_correct_answer:
            out["accuracy"] = accuracy(self, outputs, batch)
        return out

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


class NamedChannels:
    """Mixin: ``n_in`` and ``n_out`` counted from a task's declared channel names."""

    input_names: tuple[str, ...]
    output_names: tuple[str, ...]

    @property
    def n_in(self) -> int:
        return len(self.input_names)

    @property
    def n_out(self) -> int:
        return len(self.output_names)


def check_positive(**values: float) -> None:
    """Raise ConfigError naming the first value that is not positive."""
    for key, value in values.items():
        if not value > 0:
            raise ConfigError(f"{key} must be positive, got {value}")
