"""The report's figure registry: every figure kind with a title and an applicability test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rnntool.plotting.kinds import MODEL_KINDS

TITLES = {"trials": "Example trials", "pca": "State trajectories and fixed points (PCA)",
          "eigen": "Fixed-point eigenvalues", "loss": "Training loss",
          "psychometric": "Psychometric curves", "behaviour": "Behaviour beside the Bayesian baselines",
          "psychometric-grid": "Psychometric grid (CDDM)", "attractors": "Traced attractors",
          "sweep": "Fixed points along input sweeps",
          "statespace": "Task-aligned state space", "effects": "Effects of observations and feedback",
          "vectorfield": "Ideal vector fields and fixed points",
          "realfield": "Real vector fields (observed transitions)",
          "basins": "Basins of attraction and time constants", "circuit": "Effective circuit",
          "distillation": "Distillation"}


@dataclass(frozen=True)
class ReportFigure:
    """A figure of the report: the ``rnntool plot`` kind it draws and its page title."""

    kind: str
    title: str

    def why_not(self, model: Any, applicable: list[str]) -> str | None:
        """None when the figure applies to ``model``, else the reason it does not."""
        from rnntool.plotting.figures import why_not

        return None if self.kind in applicable else why_not(self.kind)


#: Every figure a report may hold, in page order.
FIGURES: tuple[ReportFigure, ...] = tuple(ReportFigure(k, TITLES.get(k, k)) for k in MODEL_KINDS)


def figure_plan(model: Any) -> list[tuple[ReportFigure, str | None]]:
    """Every registered figure with None (it applies) or the reason it does not."""
    from rnntool.plotting.figures import applicable_kinds

    applicable = applicable_kinds(model)
    return [(f, f.why_not(model, applicable)) for f in FIGURES]
