"""Named metrics that tasks report per network member, and their directions.

A metric is accumulated as a :class:`Tally` — a per-member total and count — so it can be
summed over chunks of a large held-out set and divided once at the end (bounded memory,
exact). The registry :data:`DIRECTIONS` says whether larger (``max``) or smaller (``min``)
is better; history keys such as ``val_mse`` or ``train_accuracy`` take the direction of
their base name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from rnntool.errors import ConfigError

if TYPE_CHECKING:
    from rnntool.tasks.base import Batch, Task

#: Direction of every known metric: "max" (larger is better) or "min".
DIRECTIONS: dict[str, str] = {}
#: Prefixes the history puts before a task metric's name.
PREFIXES = ("val_", "train_")


def register_metric(name: str, direction: str) -> str:
    """Declare a metric name and whether larger (``max``) or smaller (``min``) is better."""
    if direction not in ("max", "min"):
        raise ValueError(f"direction must be 'max' or 'min', got {direction!r}")
    DIRECTIONS[name] = direction
    return name


def base_name(key: str) -> str:
    """``val_mse`` → ``mse``; keys without a prefix are returned unchanged."""
    for prefix in PREFIXES:
        if key.startswith(prefix) and key[len(prefix):] in DIRECTIONS:
            return key[len(prefix):]
    return key


def direction(key: str) -> str:
    """``max`` or ``min`` for a metric or history key; ConfigError if unknown."""
    try:
        return DIRECTIONS[base_name(key)]
    except KeyError:
        raise ConfigError(f"unknown metric {key!r} (known: {', '.join(sorted(DIRECTIONS))})") from None


def improves(key: str, new: float, old: float, min_delta: float = 0.0) -> bool:
    """Whether ``new`` beats ``old`` by more than ``min_delta`` in ``key``'s direction (NaN never does)."""
    if new != new:
        return False
    if old != old:
        return True
    return new > old + min_delta if direction(key) == "max" else new < old - min_delta


@dataclass
class Tally:
    """A metric as a per-member total and count: value = total / count (NaN when count is 0)."""

    total: Tensor
    count: Tensor

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(self.total + other.total, self.count + other.count)

    def value(self) -> np.ndarray:
        total = self.total.detach().double().cpu()
        count = torch.as_tensor(self.count).detach().double().cpu().expand_as(total)
        return torch.where(count > 0, total / count.clamp(min=1e-300),
                           torch.full_like(total, float("nan"))).numpy()


def masked_mse(outputs: Tensor, batch: "Batch") -> Tally:
    """Squared error weighted by the loss mask, normalised by the mask's sum (evaluated elements).

    outputs (K, B, T, n_out) → a (K,) tally.
    """
    mask = batch.mask.to(outputs)
    err = (mask * (outputs - batch.targets.to(outputs)) ** 2).sum(dim=(-1, -2, -3))
    return Tally(err, mask.sum(dim=(-1, -2, -3)).expand_as(err))


def accuracy(task: "Task", outputs: Tensor, batch: "Batch") -> Tally:
    """Fraction of scored trials that ``task.correct`` accepts: a (K,) tally."""
    scored = task.scored(batch).to(outputs.device)
    correct = task.correct(outputs, batch).to(outputs.device) & scored
    return Tally(correct.sum(-1).double(), scored.sum(-1).double().expand(correct.shape[:-1]))


def metric_values(tallies: dict[str, Tally]) -> dict[str, np.ndarray]:
    """Tallies → per-member values."""
    return {name: t.value() for name, t in tallies.items()}


def available_metrics(task: "Task") -> list[str]:
    """The metric names ``task`` reports (found by scoring two trials of zeros)."""
    batch = task.sample(2, torch.Generator().manual_seed(0))
    outputs = torch.zeros((1, *batch.targets.shape))
    return list(task.metric_sums(outputs, batch))


register_metric("mse", "min")
register_metric("accuracy", "max")
register_metric("loss", "min")
register_metric("iteration", "max")
register_metric("seconds", "max")
