"""Optimisers, learning-rate schedules and per-member gradient clipping for gradient rules.

Optimisers by name (:data:`OPTIMISERS`): ``adam``, ``adamw``, ``sgd`` (with ``momentum``);
each takes ``lr`` and ``weight_decay``. Schedules (:func:`build_schedule`): ``none``,
``step:SIZE:GAMMA`` (multiply by GAMMA every SIZE iterations), ``cosine`` (to zero over the
budget), ``plateau:PATIENCE:FACTOR`` (multiply by FACTOR after PATIENCE iterations without a
lower training loss). All optimisers act element-wise, so the members of a batched ensemble
are optimised independently; clipping is per member for the same reason.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor

from rnntool.errors import ConfigError

OptimiserFactory = Callable[[list[Tensor], float, float, float], torch.optim.Optimizer]
OPTIMISERS: dict[str, OptimiserFactory] = {
    "adam": lambda p, lr, wd, m: torch.optim.Adam(p, lr=lr, weight_decay=wd),
    "adamw": lambda p, lr, wd, m: torch.optim.AdamW(p, lr=lr, weight_decay=wd),
    "sgd": lambda p, lr, wd, m: torch.optim.SGD(p, lr=lr, weight_decay=wd, momentum=m),
}


def build_optimiser(params: list[Tensor], name: str, lr: float, weight_decay: float = 0.0,
                    momentum: float = 0.0) -> torch.optim.Optimizer:
    try:
        factory = OPTIMISERS[name]
    except KeyError:
        raise ConfigError(f"unknown optimizer {name!r} (known: {', '.join(OPTIMISERS)})") from None
    return factory(params, lr, weight_decay, momentum)


class Schedule:
    """A learning-rate schedule stepped once per iteration with that iteration's training loss."""

    def __init__(self, optimiser: torch.optim.Optimizer, spec: str, budget: int) -> None:
        self.spec = spec
        kind, *args = str(spec).split(":")
        try:
            values = [float(a) for a in args]
        except ValueError:
            raise ConfigError(f"bad schedule {spec!r}") from None
        self.scheduler: Any = None
        if kind == "none" and not values:
            pass
        elif kind == "step" and len(values) == 2 and values[0] >= 1:
            self.scheduler = torch.optim.lr_scheduler.StepLR(optimiser, int(values[0]), values[1])
        elif kind == "cosine" and not values:
            self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, max(budget, 1))
        elif kind == "plateau" and len(values) == 2 and 0 < values[1] < 1:
            self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimiser, factor=values[1], patience=int(values[0]))
        else:
            raise ConfigError(f"bad schedule {spec!r}: use none, step:SIZE:GAMMA, cosine or "
                              f"plateau:PATIENCE:FACTOR")
        self.optimiser = optimiser

    @property
    def per_member(self) -> bool:
        """Whether the schedule reacts to a loss (then ensemble members cannot share it)."""
        return isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)

    @property
    def lr(self) -> float:
        return float(self.optimiser.param_groups[0]["lr"])

    def step(self, loss: float) -> None:
        if self.scheduler is None:
            return
        if self.per_member:
            self.scheduler.step(loss)
        else:
            self.scheduler.step()

    def state_dict(self) -> dict[str, Any]:
        return {} if self.scheduler is None else self.scheduler.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state)


def clip_per_member(params: list[Tensor], max_norm: float) -> np.ndarray:
    """Each member's global gradient norm, (K,); scales each member's gradients to at most
    ``max_norm`` when it is positive (torch's clip_grad_norm_ formula, member by member)."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return np.zeros(params[0].shape[0])
    k = grads[0].shape[0]
    norm = torch.stack([g.reshape(k, -1).double().pow(2).sum(-1) for g in grads]).sum(0).sqrt()
    if max_norm > 0:
        coef = (max_norm / (norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype).view(k, *([1] * (g.dim() - 1))))
    return norm.cpu().numpy()
