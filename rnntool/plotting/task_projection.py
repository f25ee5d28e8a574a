"""Traced attractors and fixed points of one model in shared task axes, 2-D or 3-D
(``plot --kind attractor-map``).

The default axes follow the engellab pipeline's figures: for CDDM the choice axis (W_out row
0 − row 1), the context axis (the difference of the two context-cue input columns) and the
sensory axis (the sum of the four stimulus input columns, the original's intent); for other
tasks the readout row along which the points vary most — when their variance along it is at
least :data:`READOUT_SHARE` of that along their first principal component; an attractor in
the readout's null space (a delay ring) would be seen edge-on — then the principal components
of the points left after it. ``--axes`` chooses them by name instead
(``rnntool.plotting.axis_names``).
Axes are orthonormalised in order (Gram–Schmidt), so each one shows only what the previous
ones do not. Example trajectories of the task's conditions are drawn in grey underneath.
"""

from __future__ import annotations

import re
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from rnntool.analysis.attractors import Trace
from rnntool.errors import ConfigError
from rnntool.plotting.task_figures import CLASS_STYLE

#: one colour per traced attractor, the per-point class shown by the marker
TRACE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf")
CLASS_MARKERS = {0: "o", 1: "s", 2: "x"}
#: the readout is a default axis only where the points' variance along it is at least this
#: share of their variance along their first principal component (a tenth of the extent)
READOUT_SHARE = 0.01


def orthonormalise(vectors: list[np.ndarray], tol: float = 1e-9) -> tuple[np.ndarray, list[int]]:
    """Gram–Schmidt in order; vectors already spanned are dropped. Returns (basis, kept indices)."""
    basis: list[np.ndarray] = []
    kept = []
    for i, v in enumerate(vectors):
        w = np.asarray(v, float).copy()
        for b in basis:
            w -= (w @ b) * b
        norm = np.linalg.norm(w)
        if norm > tol * max(np.linalg.norm(v), 1.0):
            basis.append(w / norm)
            kept.append(i)
    return np.array(basis), kept


def task_directions(task_name: str, weights: dict[str, np.ndarray], points: np.ndarray
                    ) -> tuple[list[np.ndarray], list[str]]:
    """The task's meaningful state-space directions, most important first."""
    w_out = np.atleast_2d(np.asarray(weights["W_out"], float))
    if task_name == "cddm":
        w_in = np.asarray(weights["W_in"], float)
        return ([w_out[0] - w_out[1], w_in[:, 0] - w_in[:, 1], w_in[:, 2:6].sum(1)],
                ["choice (W_out right − left)", "context (W_in motion − colour cue)",
                 "sensory (Σ W_in stimuli)"])
    centred = points - points.mean(0)
    unit = w_out / np.maximum(np.linalg.norm(w_out, axis=1, keepdims=True), 1e-300)
    spread = (centred @ unit.T).var(0)
    k = int(np.argmax(spread))
    top = np.linalg.svd(centred, compute_uv=False)[0] ** 2 / len(points) if len(points) else 0.0
    if spread[k] < READOUT_SHARE * top:
        return [], []
    return [w_out[k]], [f"readout {k}" if len(w_out) > 1 else "readout"]


def chosen_directions(axes: list[str], task_name: str, weights: dict[str, np.ndarray],
                      points: np.ndarray) -> tuple[list[np.ndarray], list[str]]:
    """The directions (N,) and labels of checked ``--axes`` names (``axis_names.parse_axes``)."""
    w_out = np.atleast_2d(np.asarray(weights["W_out"], float))
    w_in = np.asarray(weights["W_in"], float)
    pcs = np.linalg.svd(points - points.mean(0), full_matrices=False)[2]
    directions, labels = [], []
    for name in axes:
        index = int(re.sub(r"\D", "", name) or -1)
        if name in ("context", "sensory") and task_name != "cddm":
            raise ConfigError(f"--axes {name} is an axis of the cddm task, not of {task_name}")
        if name == "choice" and len(w_out) < 2:
            raise ConfigError("--axes choice needs two outputs (W_out row 0 − row 1)")
        if name.startswith("readout") and index >= len(w_out):
            raise ConfigError(f"--axes {name}: the readout has rows 0–{len(w_out) - 1}")
        if name.startswith("input") and index >= w_in.shape[1]:
            raise ConfigError(f"--axes {name}: the input has columns 0–{w_in.shape[1] - 1}")
        if name.startswith("pc") and index > len(pcs):
            raise ConfigError(f"--axes {name}: the points have {len(pcs)} principal components")
        if name == "choice":
            label, vector = "choice (W_out row 0 − row 1)", w_out[0] - w_out[1]
        elif name in ("context", "sensory"):
            cddm_vectors, cddm_labels = task_directions("cddm", weights, points)
            k = 1 if name == "context" else 2
            label, vector = cddm_labels[k], cddm_vectors[k]
        elif name == "readout":
            k = int(np.argmax(((points - points.mean(0)) @ w_out.T).var(0)))
            label, vector = f"readout {k}", w_out[k]
        elif name.startswith("readout"):
            label, vector = f"readout {index}", w_out[index]
        elif name.startswith("input"):
            label, vector = f"input {index}", w_in[:, index]
        else:
            label, vector = f"PC{index}", pcs[index - 1]
        directions.append(vector)
        labels.append(label)
    return directions, labels


def projection_axes(task_name: str, weights: dict[str, np.ndarray], points: np.ndarray,
                    dims: int, axes: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """``dims`` orthonormal axes (dims, N) and their names: the chosen ``axes`` (checked
    ``--axes`` names) or the task's directions, then PCs of the points' part orthogonal to
    them."""
    if axes:
        directions, names = chosen_directions(axes, task_name, weights, points)
        basis, kept = orthonormalise(directions)
        if len(kept) < len(directions):
            lost = next(n for i, n in enumerate(names) if i not in kept)
            raise ConfigError(f"--axes {lost} lies in the span of the axes before it")
    else:
        directions, names = task_directions(task_name, weights, points)
        basis, kept = orthonormalise(directions[:dims])
    names = [names[i] for i in kept]
    centred = points - points.mean(0)
    rest = centred - (centred @ basis.T) @ basis if len(basis) else centred
    pcs = np.linalg.svd(rest, full_matrices=False)[2]
    k = 0
    while len(names) < dims and k < len(pcs):
        candidate, ok = orthonormalise(list(basis) + [pcs[k]])
        if len(ok) > len(basis):
            basis = candidate
            names.append(f"PC{k + 1}" + (" of the rest" if kept else ""))
        k += 1
    return basis, names


def attractor_map_figure(traces: list[tuple[str, Trace]], weights: dict[str, np.ndarray],
                         task_name: str, trajectories: np.ndarray | None = None, dims: int = 2,
                         title: str = "", points: Any = None, axes: list[str] | None = None
                         ) -> plt.Figure:
    """Every traced attractor and the fixed points ``points`` (``FixedPoints``, or None) in
    the same task axes, 2-D or 3-D.

    ``trajectories`` (B, T, N): example states drawn in grey. Traced attractors: one colour
    each, markers ○ stable, □ marginal, × unstable. Fixed points: filled stable, hollow
    unstable, coloured by their input (a legend of input labels, or a colour bar of the
    input's place in the set when there are many).
    """
    fixed = points.is_fixed if points is not None else None
    clouds = [t.points for _, t in traces] + ([points.x[fixed]] if points is not None else [])
    every = np.concatenate(clouds)
    if not len(every):
        raise ConfigError("no traced attractors or fixed points to draw")
    basis, names = projection_axes(task_name, weights, every, dims, axes)
    centre = every.mean(0)
    fig = plt.figure(figsize=(8.5, 7.5) if dims == 3 else (8.5, 7), constrained_layout=True)
    ax = fig.add_subplot(projection="3d" if dims == 3 else None)
    if trajectories is not None:
        for states in trajectories:
            xy = (states - centre) @ basis.T
            ax.plot(*xy.T[:dims], color="0.7", lw=0.6, alpha=0.7, zorder=0)
    for n, (label, trace) in enumerate(traces):
        colour = TRACE_COLOURS[n % len(TRACE_COLOURS)]
        xy = (trace.points - centre) @ basis.T
        line = np.concatenate([xy, xy[:1]]) if trace.closed else xy
        ax.plot(*line.T[:dims], color=colour, lw=1.2, label=label, zorder=2)
        for k, marker in CLASS_MARKERS.items():
            sel = trace.kind == k
            if sel.any():
                ax.scatter(*xy[sel].T[:dims], color=colour, marker=marker, s=22, zorder=3)
    if traces:
        for k, marker in CLASS_MARKERS.items():
            ax.scatter([], [], color="0.3", marker=marker, label=CLASS_STYLE[k]["label"])
    if points is not None:
        _draw_fixed_points(fig, ax, points, (points.x - centre) @ basis.T, dims)
    ax.set_xlabel(names[0], fontsize=9)
    ax.set_ylabel(names[1] if len(names) > 1 else "", fontsize=9)
    if dims == 3:
        ax.set_zlabel(names[2] if len(names) > 2 else "", fontsize=9)
    ax.legend(fontsize=8, loc="best")
    if trajectories is not None:
        ax.set_title("grey: example trials of the task's conditions (with the network's noise)", fontsize=9)
    fig.suptitle(title)
    return fig


def _draw_fixed_points(fig: plt.Figure, ax: plt.Axes, points: Any, xy: np.ndarray, dims: int) -> None:
    """Fixed points (slow points left out) coloured by input: filled stable, hollow unstable."""
    fixed, stable = points.is_fixed, points.stable_map
    used = sorted(set(points.input_index[fixed].tolist()))
    few = len(used) <= 10
    cmap = plt.get_cmap("tab10" if few else "viridis")
    colour_of = {m: cmap(i if few else i / max(len(used) - 1, 1)) for i, m in enumerate(used)}
    colours = np.array([colour_of.get(m, (0, 0, 0, 1)) for m in points.input_index.tolist()])
    for sel, filled in ((fixed & stable, True), (fixed & ~stable, False)):
        if sel.any():
            ax.scatter(*xy[sel].T[:dims], s=55, zorder=4, linewidths=1.4,
                       c=colours[sel] if filled else "none",
                       edgecolors="k" if filled else colours[sel])
    ax.scatter([], [], s=55, c="0.5", edgecolors="k", label=f"stable fixed point ({points.key})")
    ax.scatter([], [], s=55, c="none", edgecolors="0.3", linewidths=1.4, label="unstable fixed point")
    if few:
        for m in used:
            ax.scatter([], [], s=30, color=colour_of[m], label=f"input: {points.input_labels[m]}")
    else:
        norm = plt.matplotlib.colors.Normalize(0, len(used) - 1)
        bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.6)
        bar.set_label(f"input of the fixed point (place among {len(used)} inputs)", fontsize=8)
