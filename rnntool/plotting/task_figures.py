"""Figures of the task suites: CDDM psychometric maps, traced line/ring attractors, and fixed
points along input sweeps (the multitask delay networks' interpolation figure)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from rnntool.analysis.attractors import CLASSES, Trace

CLASS_STYLE = {0: dict(color="#1f77b4", label="stable"), 1: dict(color="#2ca02c", label="marginal"),
               2: dict(color="#d62728", label="unstable")}


def psychometric_grid_figure(grid: dict[str, Any]) -> plt.Figure:
    """2 × 2 heat maps: % right choices (top) and MSE (bottom) over motion × colour coherence,
    for the motion context (left) and the colour context (right)."""
    coh = np.asarray(grid["coherences"], dtype=float)
    right, mse = np.asarray(grid["fraction_right"]), np.asarray(grid["mse"])
    fig, axes = plt.subplots(2, 2, figsize=(9.5, 8.2), constrained_layout=True)
    ticks = np.arange(len(coh))
    labels = [f"{c:+.3g}" if i % 2 == 0 else "" for i, c in enumerate(coh)]
    for col, context in enumerate(("motion", "colour")):
        for row, (values, title, cmap, vmax) in enumerate(
                ((100 * right[col], "% right choices", "RdBu_r", 100.0),
                 (mse[col], "MSE", "magma", float(np.nanmax(mse)) or 1.0))):
            ax = axes[row, col]
            # rows of the image: colour coherence (y), columns: motion coherence (x)
            image = ax.imshow(values.T, origin="lower", cmap=cmap, vmin=0.0, vmax=vmax,
                              interpolation="nearest", aspect="equal")
            ax.set_xticks(ticks, labels, rotation=90, fontsize=7)
            ax.set_yticks(ticks, labels, fontsize=7)
            ax.set_xlabel("motion coherence")
            ax.set_ylabel("colour coherence")
            ax.set_title(f"{context} context: {title}")
            fig.colorbar(image, ax=ax, shrink=0.8)
    fig.suptitle(f"CDDM psychometric maps ({grid.get('repeats', '?')} noisy repeats per cell)")
    return fig


def _axes_for(trace: Trace, readout: np.ndarray | None) -> tuple[np.ndarray, list[str]]:
    """Two orthonormal axes: the readout direction with the largest variance along the trace
    (when given) and the points' first principal component orthogonal to it."""
    centred = trace.points - trace.points.mean(0)
    basis, names = [], []
    if readout is not None and readout.size:
        proj = centred @ readout.T
        k = int(np.argmax(proj.var(0)))
        basis.append(readout[k] / np.linalg.norm(readout[k]))
        names.append(f"readout {k}")
    rest = centred - (centred @ np.array(basis).T) @ np.array(basis) if basis else centred
    _, _, vt = np.linalg.svd(rest, full_matrices=False)
    for k, v in enumerate(vt[:2 - len(basis)]):
        basis.append(v)
        names.append(f"PC{k + 1}")
    return np.array(basis), names


def attractor_figure(traces: list[tuple[str, Trace]], readout: np.ndarray | None = None,
                     title: str = "") -> plt.Figure:
    """One row per traced attractor: its slow points projected on (readout, PC) with their
    principal right eigenvectors (left), and the speed ½‖F(x) − x‖² along it (right)."""
    fig, axes = plt.subplots(len(traces), 2, figsize=(11, 3.8 * len(traces)), squeeze=False,
                             constrained_layout=True)
    for (label, trace), (left, right) in zip(traces, axes):
        basis, names = _axes_for(trace, readout)
        centre = trace.points.mean(0)
        xy = (trace.points - centre) @ basis.T
        if trace.closed:
            xy_line = np.concatenate([xy, xy[:1]])
        else:
            xy_line = xy
        left.plot(xy_line[:, 0], xy_line[:, 1], color="0.75", lw=1, zorder=1)
        span = np.ptp(xy, axis=0).max() or 1.0
        vec = trace.right @ basis.T
        vec = vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12) * 0.06 * span
        for k, style in CLASS_STYLE.items():
            sel = trace.kind == k
            if sel.any():
                left.scatter(xy[sel, 0], xy[sel, 1], s=22, zorder=3, **style)
                left.quiver(xy[sel, 0], xy[sel, 1], vec[sel, 0], vec[sel, 1], color=style["color"],
                            angles="xy", scale_units="xy", scale=1, width=0.004, zorder=2)
        left.set_xlabel(names[0])
        left.set_ylabel(names[1] if len(names) > 1 else "")
        left.set_title(f"{label}: {'ring' if trace.closed else 'line'}, "
                       + ", ".join(f"{n} {c}" for n, c in trace.counts().items() if c))
        left.legend(fontsize=8, loc="best")
        left.set_aspect("equal", adjustable="datalim")
        arc = trace.arc / max(trace.arc[-1], 1e-12)
        for k, style in CLASS_STYLE.items():
            sel = trace.kind == k
            if sel.any():
                right.semilogy(arc[sel], np.maximum(trace.q[sel], 1e-30), "o", ms=4, **style)
        right.semilogy(arc, np.maximum(trace.q, 1e-30), color="0.75", lw=1, zorder=0)
        right.set_xlabel("position along the attractor (fraction of its length)")
        right.set_ylabel("q = ½‖F(x) − x‖²")
        growth = "max Re μ (1/τ)" if trace.alpha is not None else "max ln|λ|"
        right.set_title(f"speed along it; marginal: |{growth}| ≤ {trace.eig_tol:g}")
    if title:
        fig.suptitle(title)
    return fig


def sweep_figure(positions: np.ndarray, segments: list[str], points: list[list[tuple[np.ndarray, np.ndarray]]],
                 pcs: np.ndarray, title: str = "", dims: int = 2, centre: np.ndarray | None = None
                 ) -> plt.Figure:
    """Fixed points along input sweeps (the multitask delay networks' interpolation figure):
    x = interpolation position, y = PC1 of every fixed point found (and z = PC2 with
    ``dims`` 3); filled markers stable, hollow unstable, colour the position (one panel per
    segment).

    ``points[s][i]`` holds the (states (P, N), stable (P,)) found at position i of segment s;
    ``pcs`` (≥ dims − 1, N) the principal axes fitted to all fixed points, ``centre`` their mean.
    """
    cols = min(len(segments), 3)
    rows = -(-len(segments) // cols)
    three = dims == 3
    fig = plt.figure(figsize=(4.6 * cols, (4.2 if three else 3.6) * rows), constrained_layout=True)
    colours = plt.get_cmap("viridis")(np.linspace(0, 1, len(positions)))
    centre = np.zeros(pcs.shape[1]) if centre is None else centre
    first, shown = None, []
    for s, (label, found) in enumerate(zip(segments, points)):
        ax = fig.add_subplot(rows, cols, s + 1, projection="3d" if three else None,
                             **({} if three or first is None else {"sharey": first}))
        first = first or ax
        for i, (x, stable) in enumerate(found):
            if len(x) == 0:
                continue
            y = (x - centre) @ pcs[:dims - 1].T
            shown.append(y)
            w = np.full(len(y), positions[i])
            for sel, filled in ((stable, True), (~stable, False)):
                if sel.any():
                    ax.scatter(w[sel], *y[sel].T, s=16, color=colours[i] if filled else "none",
                               edgecolors=colours[i])
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("interpolation position")
        ax.set_ylabel("PC1 of fixed points")
        if three:
            ax.set_zlabel("PC2 of fixed points")
    if three and shown:  # the same PC ranges in every panel, as the 2-D panels share y
        every = np.concatenate(shown)
        lo, hi = every.min(0), every.max(0)
        pad = 0.05 * (hi - lo + 1e-12)
        for ax in fig.axes:
            ax.set_ylim(lo[0] - pad[0], hi[0] + pad[0])
            ax.set_zlim(lo[1] - pad[1], hi[1] + pad[1])
    fig.suptitle(title or "fixed points along input sweeps (filled: stable, hollow: unstable)")
    return fig


def sweep_figure_of(points: Any, sweep: Any, dims: int = 2) -> plt.Figure:
    """:func:`sweep_figure` of stored fixed points (``FixedPoints``) found along ``sweep``."""
    fixed = points.is_fixed
    x, stable = points.x[fixed], points.stable_map[fixed]
    which = points.input_index[fixed]
    centre = x.mean(0) if len(x) else np.zeros(points.x.shape[1])
    pcs = (np.linalg.svd(x - centre, full_matrices=False)[2] if len(x) > dims
           else np.eye(points.x.shape[1]))
    found = []
    for segment in sweep.inputs:
        row = []
        for u in segment:
            match = np.flatnonzero(np.abs(points.inputs - u).max(1) < 1e-9)
            sel = np.isin(which, match)
            row.append((x[sel], stable[sel]))
        found.append(row)
    return sweep_figure(sweep.positions, sweep.labels, found, pcs, dims=dims, centre=centre)


__all__ = ["CLASSES", "attractor_figure", "psychometric_grid_figure", "sweep_figure", "sweep_figure_of"]
