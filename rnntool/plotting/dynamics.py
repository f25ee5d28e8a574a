"""State-space figures: PCA trajectories with fixed points, and Jacobian spectra.

Trajectories are the network's states x on task trials (member 0, its own initial-state
noise); PCA is fitted once on all of them and the fixed points are projected into the same
space. Panels follow seed 002's ``large`` figures: early, middle and late parts of the trials
(earlier parts faint in black), then the fixed points alone.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.lines import Line2D

from rnntool.analysis.fixedpoints import FixedPoints
from rnntool.models import Model
from rnntool.network import DynamicalSystem
from rnntool.plotting.style import SIGN_COLOURS, input_colours
from rnntool.seeding import Seeds

#: Panel boundaries as fractions of the trial (seed 002: steps 0–50, 50–200, 200–750).
PHASES = (("early", 0.0, 1 / 15), ("middle", 1 / 15, 4 / 15), ("late", 4 / 15, 1.0))


def trial_states(model: Model, trials: int = 20, seed: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """States (trials, T, N) on seeded task trials and each trial's final target sign (trials,)."""
    gen = Seeds(model.record.seed if seed is None else seed).generator("analysis")
    batch = model.task.sample(trials, gen)
    net = DynamicalSystem(model.network)
    with torch.no_grad():
        states = net.simulate(batch.inputs, net.initial_state(trials, gen), gen).states[0]
    return states.cpu().double().numpy(), np.sign(batch.targets[:, -1, 0].numpy()).astype(int)


def pca_basis(states: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, the first ``dims`` principal axes (dims, N) and their explained variance ratios."""
    flat = states.reshape(-1, states.shape[-1])
    mean = flat.mean(0)
    _, s, vt = np.linalg.svd(flat - mean, full_matrices=False)
    ratio = s ** 2 / max((s ** 2).sum(), 1e-300)
    return mean, vt[:dims], ratio[:dims]


def _axes(fig: plt.Figure, rows: int, cols: int, index: int, dims: int) -> plt.Axes:
    return fig.add_subplot(rows, cols, index, projection="3d" if dims == 3 else None)


def _plot(ax: plt.Axes, pts: np.ndarray, *args, **kwargs) -> None:
    ax.plot(*(pts[..., d] for d in range(pts.shape[-1])), *args, **kwargs)


def _scatter(ax: plt.Axes, pts: np.ndarray, **kwargs) -> None:
    ax.scatter(*(pts[:, d] for d in range(pts.shape[-1])), **kwargs)


def draw_points(ax: plt.Axes, points: FixedPoints | None, proj: np.ndarray,
                stable_only: bool = False) -> None:
    """Fixed points coloured by input: stable filled, unstable open, slow points faint crosses."""
    if points is None or len(points) == 0:
        return
    colours = input_colours(len(points.inputs))[points.input_index]
    fixed, stable = points.is_fixed, points.stable_map
    big = 90 if proj.shape[1] == 2 else 50
    sel = fixed & stable
    _scatter(ax, proj[sel], s=big, c=colours[sel], edgecolors="k", linewidths=0.8, zorder=5)
    if stable_only:
        return
    sel = fixed & ~stable
    _scatter(ax, proj[sel], s=big, facecolors="none", edgecolors=colours[sel], linewidths=1.8,
             zorder=5)
    sel = ~fixed
    _scatter(ax, proj[sel], s=25, marker="x", c=colours[sel], alpha=0.35, zorder=4)


def _legend(fig: plt.Figure, points: FixedPoints | None) -> None:
    handles = [Line2D([], [], color=SIGN_COLOURS[1], label="trajectory, target +"),
               Line2D([], [], color=SIGN_COLOURS[-1], label="trajectory, target −")]
    if points is not None and len(points):
        handles += [Line2D([], [], ls="", marker="o", mfc="0.4", mec="k", ms=9, label="stable fixed point"),
                    Line2D([], [], ls="", marker="o", mfc="none", mec="0.4", mew=1.8, ms=9,
                           label="unstable fixed point"),
                    Line2D([], [], ls="", marker="x", color="0.4", alpha=0.5, label="slow point")]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False)


def _input_key(fig: plt.Figure, points: FixedPoints | None) -> None:
    """A colour bar naming the constant inputs (ticks labelled when there are few)."""
    if points is None or len(points) == 0 or len(points.inputs) == 1:
        return
    count = len(points.inputs)
    cmap = plt.matplotlib.colors.ListedColormap(input_colours(count))
    norm = plt.matplotlib.colors.BoundaryNorm(np.arange(count + 1) - 0.5, count)
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=fig.axes, shrink=0.8,
                       pad=0.02)
    step = max(1, count // 12)
    ticks = np.arange(0, count, step)
    bar.set_ticks(ticks)
    bar.set_ticklabels([points.input_labels[i] for i in ticks], fontsize=7)
    bar.set_label("constant input of the point")


def pca_figure(model: Model, points: FixedPoints | None, dims: int = 2,
               trials: int = 12) -> plt.Figure:
    """Trajectories in PC space over early/middle/late panels, then the fixed points alone."""
    states, signs = trial_states(model, trials)
    mean, axes, ratio = pca_basis(states, dims)
    proj = (states - mean) @ axes.T
    fp = None if points is None or len(points) == 0 else (points.x - mean) @ axes.T
    steps = states.shape[1]
    fig = plt.figure(figsize=(4.2 * 4, 4.4))
    labels = [f"PC{d + 1} ({100 * r:.0f} % var.)" for d, r in enumerate(ratio)]
    for i, (name, lo, hi) in enumerate(PHASES + (("fixed points", 0.0, 0.0),)):
        ax = _axes(fig, 1, 4, i + 1, dims)
        a, b = int(round(lo * steps)), max(int(round(hi * steps)), int(round(lo * steps)) + 1)
        if name == "fixed points":
            if fp is not None:
                draw_points(ax, points, fp)
            title = "fixed points" if fp is not None else "no stored fixed points"
        else:
            if a > 0:
                for traj in proj[:, :a + 1]:
                    _plot(ax, traj, color="k", alpha=0.08, lw=0.8)
            for traj, s in zip(proj[:, a:b + 1], signs):
                _plot(ax, traj, color=SIGN_COLOURS.get(int(s), "0.5"), alpha=0.35, lw=0.8)
            _scatter(ax, proj[:, a], s=8, c="k", zorder=3)
            if fp is not None:
                draw_points(ax, points, fp)
            title = f"{name}: steps {a}–{b}"
        ax.set_title(title)
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        if dims == 3:
            ax.set_zlabel(labels[2])
    key = f" — fixed points {points.key}" if points is not None else ""
    fig.suptitle(f"{model.record.name}: state trajectories in PC space{key}")
    _legend(fig, points)
    fig.subplots_adjust(bottom=0.2, wspace=0.3)
    _input_key(fig, points)
    return fig


def eigen_figure(model: Model, points: FixedPoints) -> plt.Figure:
    """Jacobian spectra of every stored point: the map against the unit circle, the flow
    against the imaginary axis (eigenvalues (λ − 1)/α in units of 1/τ; discrete maps have
    no flow panel)."""
    flow = points.has_flow
    fig, axes = plt.subplots(1, 2 if flow else 1, figsize=(11 if flow else 5.8, 4.8), squeeze=False)
    ax_map, ax_flow = axes[0, 0], (axes[0, 1] if flow else None)
    kinds = (("stable fixed point", points.is_fixed & points.stable_map, "tab:blue"),
             ("unstable fixed point", points.is_fixed & ~points.stable_map, "tab:red"),
             ("slow point", ~points.is_fixed, "0.6"))
    theta = np.linspace(0, 2 * np.pi, 400)
    ax_map.plot(np.cos(theta), np.sin(theta), "k--", lw=0.8, label="unit circle")
    if flow:
        ax_flow.axvline(0.0, color="k", ls="--", lw=0.8, label="imaginary axis")
    for label, sel, colour in kinds:
        if not sel.any():
            continue
        lam = points.eigenvalues[sel].ravel()
        ax_map.scatter(lam.real, lam.imag, s=10, c=colour, alpha=0.5, label=f"{label} ({int(sel.sum())})")
        if flow:
            mu = points.flow_eigenvalues[sel].ravel()
            ax_flow.scatter(mu.real, mu.imag, s=10, c=colour, alpha=0.5, label=label)
    ax_map.set_aspect("equal", adjustable="datalim")
    ax_map.set(xlabel="Re λ", ylabel="Im λ", title="map F: stable iff |λ| < 1")
    ax_map.legend(fontsize=8, loc="upper left")
    if flow:
        ax_flow.set(xlabel="Re μ  (1/τ)", ylabel="Im μ  (1/τ)",
                    title=f"flow: μ = (λ − 1)/α, α = {points.alpha:g}; stable iff Re μ < 0")
        ax_flow.legend(fontsize=8, loc="upper left")
    fig.suptitle(f"{model.record.name}: Jacobian spectra at the points of {points.key}")
    fig.tight_layout()
    return fig
