"""The figures of one model file, by kind, written as ``<out_dir>/<model>.<kind>.<fmt>``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import matplotlib.pyplot as plt

from rnntool.analysis.fixedpoints import FixedPoints, fixed_point_keys, load_fixed_points
from rnntool.envs import Environment
from rnntool.errors import ConfigError
from rnntool.models import Model, load_model
from rnntool.plotting.behaviour import loss_figure, psychometric_figure, trials_figure
from rnntool.plotting.dynamics import eigen_figure, pca_figure
from rnntool.plotting.geometry import duration_pca
from rnntool.plotting.ibl import stored_behaviour_figure
from rnntool.plotting.ibl_dynamics import WHY as IBL_WHY, ibl_draw, ibl_kinds
from rnntool.plotting.kinds import FORMATS, MODEL_KINDS
from rnntool.plotting.style import save
from rnntool.plotting.task_kinds import WHY, task_draw, task_kinds
from rnntool.plotting.axis_names import parse_axes
from rnntool.tasks.duration import Duration

KINDS = MODEL_KINDS


def applicable_kinds(model: Model) -> list[str]:
    """The kinds a model's file has data for (trials and pca always apply to open-loop tasks)."""
    if isinstance(model.task, Environment):
        return (["behaviour"] if "trials" in model.record.evaluation else []) + ibl_kinds(model)
    kinds = ["trials", "pca"]
    if fixed_point_keys(model.path):
        kinds.append("eigen")
    if len(model.record.training.get("history", {}).get("loss", [])):
        kinds.append("loss")
    if "psychometric" in model.record.evaluation:
        kinds.append("psychometric")
    return kinds + task_kinds(model)


def plot_model_file(path: str | os.PathLike, kinds: list[str] | None, out_dir: str | os.PathLike,
                    fmt: str = "png", key: str | None = None, dims: int = 2,
                    axes: str | None = None) -> list[Path]:
    """Draw the requested figures of a model (default: all that apply); return the paths."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    if dims not in (2, 3):
        raise ConfigError("--dims must be 2 or 3")
    model = load_model(path)
    unknown = [k for k in kinds or [] if k not in KINDS]
    if unknown:
        raise ConfigError(f"unknown figure kind {unknown[0]!r} (known: {', '.join(KINDS)})")
    available = applicable_kinds(model)
    missing = [k for k in kinds or [] if k not in available]
    if missing:
        raise ConfigError(f"{path}: nothing to draw for {missing[0]!r} "
                          f"({_why(missing[0])})")
    draw = drawers(model, key, dims, parse_axes(axes, dims))
    out = Path(out_dir)
    suffix = {k: f"{k}{dims}d" if dims == 3 else k for k in ("pca", "attractor-map", "sweep")}
    return [save(draw[k](), out / f"{model.path.stem}.{suffix.get(k, k)}.{fmt}", fmt)
            for k in (kinds or available)]


def drawers(model: Model, key: str | None = None, dims: int = 2, axes: list[str] | None = None
            ) -> dict[str, Callable[[], plt.Figure]]:
    """The figure of every kind of ``model``, drawn on call (``key``: the fixed points
    shown, default the most recent; ``dims``: dimensions of the pca, attractor-map and sweep
    figures; ``axes``: the attractor map's chosen axes)."""
    path = model.path
    points = load_fixed_points(path, key) if fixed_point_keys(path) or key else None
    return {"trials": lambda: trials_figure(model),
            "pca": lambda: (duration_pca(model, dims) if isinstance(model.task, Duration)
                            else pca_figure(model, points, dims)),
            "eigen": lambda: eigen_figure(model, _require(points)),
            "loss": lambda: loss_figure(model),
            "psychometric": lambda: psychometric_figure(model),
            "behaviour": lambda: stored_behaviour_figure(model), **task_draw(model, key, dims, axes),
            **ibl_draw(model)}


def why_not(kind: str) -> str:
    """Why a figure kind does not apply to a model (what to run first)."""
    return _why(kind)


def _require(points: FixedPoints | None) -> FixedPoints:
    if points is None:
        raise ConfigError("no stored fixed points (run rnntool fixedpoints first)")
    return points


def _why(kind: str) -> str:
    return {"eigen": "no stored fixed points; run rnntool fixedpoints first",
            "loss": "the file has no training history",
            "psychometric": "no psychometric table; run rnntool evaluate first",
            "behaviour": "no closed-loop evaluation; run rnntool evaluate first", **WHY,
            **IBL_WHY}.get(
        kind, "not drawn for closed-loop models")
