"""The report's figure registry: every figure kind with a title and an applicability test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rnntool.plotting.kinds import IBL_KINDS, MODEL_KINDS

#: Kinds drawn for closed-loop agents only, and for distilled agents only.
CLOSED_LOOP_KINDS = ("behaviour",) + tuple(k for k in IBL_KINDS if k != "distillation")
DISTILLED_KINDS = ("distillation",)

TITLES = {"trials": "Example trials", "pca": "State trajectories and fixed points (PCA)",
          "eigen": "Fixed-point eigenvalues", "loss": "Training loss",
          "psychometric": "Psychometric curves", "behaviour": "Behaviour beside the Bayesian baselines",
          "psychometric-grid": "Psychometric grid (CDDM)", "attractors": "Traced attractors",
          "attractor-map": "Attractors in the task projection",
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
        """None when the figure applies to ``model``, else the reason it does not: drawn
        for another kind of model, or what to run first."""
        from rnntool.envs import Environment
        from rnntool.plotting.figures import why_not

        if self.kind in applicable:
            return None
        closed = isinstance(model.task, Environment)
        if self.kind in DISTILLED_KINDS:
            return "drawn for distilled agents only" if closed else "drawn for closed-loop agents only"
        if closed and self.kind not in CLOSED_LOOP_KINDS:
            return "drawn for open-loop tasks only"
        if not closed and self.kind in CLOSED_LOOP_KINDS:
            return "drawn for closed-loop agents only"
        return why_not(self.kind)


#: Every figure a report may hold, in page order.
FIGURES: tuple[ReportFigure, ...] = tuple(ReportFigure(k, TITLES.get(k, k)) for k in MODEL_KINDS)


def figure_plan(model: Any) -> list[tuple[ReportFigure, str | None]]:
    """Every registered figure with None (it applies) or the reason it does not."""
    from rnntool.plotting.figures import applicable_kinds

    applicable = applicable_kinds(model)
    return [(f, f.why_not(model, applicable)) for f in FIGURES]
