"""Base class of tasks built from named periods: conditions → per-period values → trials.

A subclass names its periods, input and output channels, draws per-trial conditions and
maps them to one constant input and target vector per period; this class lays them out on
the step grid (:mod:`rnntool.tasks.periods`), builds the loss mask and records conditions
and timing per trial. Everything is vectorised over trials.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.tasks.base import Batch, NamedChannels, Task
from rnntool.tasks.periods import Timeline, TrialStructure, smooth_inputs


@dataclass
class PeriodTask(NamedChannels, Task):
    """A task whose trials are sequences of named periods with constant inputs and targets."""

    input_names: ClassVar[tuple[str, ...]] = ()
    output_names: ClassVar[tuple[str, ...]] = ()
    #: the period in which the network answers (read by :meth:`response_window`)
    response_period: ClassVar[str] = ""

    def __post_init__(self) -> None:
        self.check()

    # what a subclass defines -----------------------------------------------------------
    @abstractmethod
    def structure(self) -> TrialStructure:
        """The periods with their durations in ms and the step ``dt``."""

    @abstractmethod
    def draw_conditions(self, batch: int, generator: torch.Generator) -> dict[str, Tensor]:
        """Random per-trial conditions, each (B,) or (B, ·)."""

    @abstractmethod
    def all_conditions(self) -> dict[str, Tensor]:
        """One trial per distinct condition, in a fixed order (analysis and validation)."""

    @abstractmethod
    def period_values(self, conditions: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        """Inputs (B, P, n_in) and targets (B, P, n_out) of every period of every trial."""

    def loss_mask(self, timeline: Timeline) -> Tensor:
        """Which outputs are scored (B, T, n_out); default: every step inside the trial."""
        return timeline.mask(self.n_out)

    def draw_durations(self, conditions: dict[str, Tensor], generator: torch.Generator) -> Tensor:
        """Per-trial period durations in steps (B, P); default: drawn from the structure."""
        return self.structure().draw(len(next(iter(conditions.values()))), generator)

    def smoothing_window(self) -> int:
        """Largest moving-average window applied to the inputs (0 or 1: none)."""
        return 0

    # the protocol ----------------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        return self.structure().n_steps

    def check(self) -> None:
        self.structure()

    def build(self, conditions: dict[str, Tensor], generator: torch.Generator) -> Batch:
        """Trials for the given conditions; timing and smoothing drawn from ``generator``."""
        structure = self.structure()
        timeline = Timeline(self.draw_durations(conditions, generator), structure.names, self.n_steps)
        values_in, values_out = self.period_values(conditions)
        inputs = smooth_inputs(timeline.fill(values_in.float()), self.smoothing_window(), generator)
        targets = timeline.fill(values_out.float())
        records = {**conditions, **timeline.records()}
        return Batch(inputs, targets, self.loss_mask(timeline), records)

    def timeline(self, batch: Batch) -> Timeline:
        """The period layout of ``batch``'s trials, rebuilt from their timing records."""
        return Timeline(batch.conditions["durations"], self.structure().names, batch.inputs.shape[1])

    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        return self.build(self.draw_conditions(batch_size, generator), generator)

    def validation_batch(self, generator: torch.Generator, size: int = 2000) -> Batch:
        """Every condition equally often (cycled to ``size`` trials), timing drawn afresh."""
        every = self.all_conditions()
        count = len(next(iter(every.values())))
        index = torch.arange(size) % count
        return self.build({k: v[index] for k, v in every.items()}, generator)

    def condition_batch(self, generator: torch.Generator) -> Batch:
        """One trial per distinct condition (for figures and fixed-point initial states)."""
        return self.build(self.all_conditions(), generator)

    def response_window(self, batch: Batch) -> Tensor:
        """Scored steps of the response period (B, T) as weights summing to 1 per trial."""
        timeline = self.timeline(batch)
        window = (timeline.period == timeline.index(self.response_period)) & (batch.mask[..., 0] > 0)
        window = window.float()
        return window / window.sum(-1, keepdim=True).clamp(min=1)

    def response(self, outputs: Tensor, batch: Batch) -> Tensor:
        """Mean output over the scored response window: (…, B, T, n_out) → (…, B, n_out)."""
        weights = self.response_window(batch).to(outputs.device, outputs.dtype)
        return (outputs * weights[..., None]).sum(-2)

    def period_inputs(self) -> tuple[np.ndarray, list[str]]:
        """The distinct constant inputs of every period (for fixed points): (M, n_in), labels.

        A label names the periods sharing the input and, when the input depends on the
        trial's condition, that condition (``stim (stimulus=2)``).
        """
        conditions = self.all_conditions()
        values, _ = self.period_values(conditions)
        count = values.shape[0]
        rows: dict[tuple[float, ...], list[tuple[int, int]]] = {}
        for p in range(values.shape[1]):
            for c in range(count):
                key = tuple(np.round(values[c, p].double().numpy(), 12).tolist())
                rows.setdefault(key, []).append((p, c))
        names, labels = self.structure().names, []
        for uses in rows.values():
            periods = list(dict.fromkeys(names[p] for p, _ in uses))
            label = "/".join(periods)
            if len(uses) < count * len(periods):
                c = uses[0][1]
                label += " (" + ", ".join(f"{k}={v[c].item():g}" for k, v in conditions.items()
                                          if v.dim() == 1) + ")"
            labels.append(label)
        return np.array(list(rows), dtype=float).reshape(-1, self.n_in), labels

    def input_of(self, period: str, conditions: dict[str, Tensor] | None = None) -> Tensor:
        """Constant inputs of ``period`` for each condition (all by default): (C, n_in)."""
        names = self.structure().names
        if period not in names:
            raise ConfigError(f"task {self.name!r} has no period {period!r} "
                              f"(periods: {', '.join(names)})")
        values, _ = self.period_values(conditions or self.all_conditions())
        return values[:, names.index(period)].double()


def one_hot(index: Tensor, width: int) -> Tensor:
    return torch.nn.functional.one_hot(index.long(), width).float()
