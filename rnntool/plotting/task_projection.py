"""Traced attractors of one model in shared task axes, 2-D or 3-D (``plot --kind attractor-map``).

The axes follow the engellab pipeline's figures: for CDDM the choice axis (W_out row 0 − row 1),
the context axis (the difference of the two context-cue input columns) and the sensory axis
(the sum of the four stimulus input columns, the original's intent); for other tasks the
readout row along which the traced points vary most, then the principal components of the
traced points left after it. Axes are orthonormalised in that order (Gram–Schmidt), so each
one shows only what the previous ones do not. Example trajectories of the task's conditions
are drawn in grey under the slow points.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from rnntool.analysis.attractors import Trace
from rnntool.plotting.task_figures import CLASS_STYLE

#: one colour per traced attractor, the per-point class shown by the marker
TRACE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf")
CLASS_MARKERS = {0: "o", 1: "s", 2: "x"}


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
    k = int(np.argmax((centred @ w_out.T).var(0)))
    return [w_out[k]], [f"readout {k}" if len(w_out) > 1 else "readout"]


def projection_axes(task_name: str, weights: dict[str, np.ndarray], points: np.ndarray,
                    dims: int) -> tuple[np.ndarray, list[str]]:
    """``dims`` orthonormal axes (dims, N) and their names: the task's directions, then PCs
    of the points' part orthogonal to them."""
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
                         title: str = "") -> plt.Figure:
    """Every traced attractor in the same task axes, 2-D or 3-D.

    ``trajectories`` (B, T, N): example states drawn in grey; markers: ○ stable, □ marginal,
    × unstable; one colour per attractor.
    """
    points = np.concatenate([t.points for _, t in traces])
    basis, names = projection_axes(task_name, weights, points, dims)
    centre = points.mean(0)
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
    for k, marker in CLASS_MARKERS.items():
        ax.scatter([], [], color="0.3", marker=marker, label=CLASS_STYLE[k]["label"])
    ax.set_xlabel(names[0], fontsize=9)
    ax.set_ylabel(names[1] if len(names) > 1 else "", fontsize=9)
    if dims == 3:
        ax.set_zlabel(names[2] if len(names) > 2 else "", fontsize=9)
    ax.legend(fontsize=8, loc="best")
    if trajectories is not None:
        ax.set_title("grey: example trials of the task's conditions (with the network's noise)", fontsize=9)
    fig.suptitle(title)
    return fig
