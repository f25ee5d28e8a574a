"""Conditions of tasks that show one of ``angles`` evenly spaced directions per trial."""

from __future__ import annotations

import math

import torch
from torch import Tensor


class AngleConditions:
    """Mixin for a task with an ``angles`` setting: trial k shows direction θ = 2πk/angles."""

    angles: int

    def draw_conditions(self, batch: int, generator: torch.Generator) -> dict[str, Tensor]:
        return {"angle": torch.randint(0, self.angles, (batch,), generator=generator)}

    def all_conditions(self) -> dict[str, Tensor]:
        return {"angle": torch.arange(self.angles)}

    def theta(self, conditions: dict[str, Tensor]) -> Tensor:
        """Each trial's direction in radians (float64)."""
        return 2 * math.pi * conditions["angle"].double() / self.angles
