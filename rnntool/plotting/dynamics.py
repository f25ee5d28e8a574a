"""State-space figures: PCA trajectories with fixed points, and Jacobian spectra.

Trajectories are the network's states x on task trials (member 0, its own initial-state
noise); PCA is fitted once on all of them and the fixed points are projected into the same
space. Decision tasks are split into the panels of McMahan et al. 2021 (early, middle and
late parts of the trial, earlier parts faint grey); other tasks show whole trials. Every
panel shares the same axis limits, and a last panel shows the fixed points alone.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.lines import Line2D

from rnntool.analysis.fixedpoints import FixedPoints
from rnntool.models import Model
from rnntool.network import DynamicalSystem
from rnntool.plotting.style import CONTEXT_MAPS, class_colours
from rnntool.plotting.task_view import input_groups, phases, trial_classes
from rnntool.seeding import Seeds


def trial_states(model: Model, trials: int = 20, seed: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """States (trials, T, N) on seeded task trials, each trial's class and the class labels
    (the answer channel, the final target's sign or the final bit pattern)."""
    gen = Seeds(model.record.seed if seed is None else seed).generator("analysis")
    batch = model.task.sample(trials, gen)
    net = DynamicalSystem(model.network)
    with torch.no_grad():
        states = net.simulate(batch.inputs, net.initial_state(trials, gen), gen).states[0]
    classes, labels = trial_classes(batch, model.task)
    return states.cpu().double().numpy(), classes, labels


def pca_basis(states: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, the first ``dims`` principal axes (dims, N) and their explained variance ratios."""
    flat = states.reshape(-1, states.shape[-1])
    mean = flat.mean(0)
    _, s, vt = np.linalg.svd(flat - mean, full_matrices=False)
    ratio = s ** 2 / max((s ** 2).sum(), 1e-300)
    return mean, vt[:dims], ratio[:dims]


def _plot(ax: plt.Axes, pts: np.ndarray, *args, **kwargs) -> None:
    ax.plot(*(pts[..., d] for d in range(pts.shape[-1])), *args, **kwargs)


def _scatter(ax: plt.Axes, pts: np.ndarray, **kwargs) -> None:
    ax.scatter(*(pts[:, d] for d in range(pts.shape[-1])), **kwargs)


def point_colours(model: Model, points: FixedPoints) -> tuple[np.ndarray, list]:
    """RGBA colour per point: one colour map per cued context, shade by the input value;
    and per group (name, colour map, value range, value name) for the colour keys."""
    groups, values, names, value_name = input_groups(model.task, points.inputs)
    if len(values) == 1:
        return np.tile([0.25, 0.25, 0.25, 1.0], (len(points), 1)), []
    per_input = np.zeros((len(values), 4))
    keys = []
    for g, name in enumerate(names):
        sel = groups == g
        if not sel.any():
            continue
        cmap = plt.get_cmap(CONTEXT_MAPS[g % len(CONTEXT_MAPS)] if len(names) > 1 or
                            value_name.startswith("u") else "viridis")
        lo, hi = float(values[sel].min()), float(values[sel].max())
        shade = (values[sel] - lo) / (hi - lo) if hi > lo else np.full(sel.sum(), 0.5)
        per_input[sel] = cmap(0.3 + 0.65 * shade) if cmap.name != "viridis" else cmap(0.9 * shade)
        keys.append((name, cmap, lo, hi, value_name))
    return per_input[points.input_index], keys


def draw_points(ax: plt.Axes, points: FixedPoints, proj: np.ndarray, colours: np.ndarray) -> None:
    """Fixed points: stable filled, unstable as larger open rings (so a stable point
    projected onto a saddle stays visible), slow points faint crosses."""
    fixed, stable = points.is_fixed, points.stable_map
    big = 80 if proj.shape[1] == 2 else 45
    sel = ~fixed
    _scatter(ax, proj[sel], s=25, marker="x", c=colours[sel], alpha=0.5, zorder=4)
    sel = fixed & ~stable
    _scatter(ax, proj[sel], s=big * 1.6, facecolors="none", edgecolors=colours[sel],
             linewidths=2.0, zorder=5)
    sel = fixed & stable
    _scatter(ax, proj[sel], s=big, c=colours[sel], edgecolors="k", linewidths=0.8, zorder=6)


def _legend(fig: plt.Figure, class_labels: list[str], colours: list, has_points: bool,
            phased: bool) -> None:
    handles = [Line2D([], [], color=c, label=f"trajectory, {lab}")
               for lab, c in zip(class_labels, colours)]
    if phased:
        handles += [Line2D([], [], color="0.6", alpha=0.6, label="earlier part of the trial"),
                    Line2D([], [], ls="", marker="o", color="k", ms=4,
                           label="state where the panel starts")]
    if has_points:
        handles += [Line2D([], [], ls="", marker="o", mfc="0.5", mec="k", ms=9, label="stable fixed point"),
                    Line2D([], [], ls="", marker="o", mfc="none", mec="0.4", mew=2, ms=11,
                           label="unstable fixed point"),
                    Line2D([], [], ls="", marker="x", color="0.4", alpha=0.6, label="slow point")]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 5), frameon=False,
               fontsize=9)


def _colour_keys(fig: plt.Figure, keys: list, left: float) -> None:
    """One colour bar per group of constant inputs (per cued context), in its own column."""
    if not keys:
        return
    height = 0.62 / len(keys)
    for i, (name, cmap, lo, hi, value_name) in enumerate(keys):
        cax = fig.add_axes((left, 0.28 + (len(keys) - 1 - i) * (height + 0.02), 0.012, height))
        norm = plt.matplotlib.colors.Normalize(lo, hi if hi > lo else lo + 1e-9)
        shown = plt.matplotlib.colors.LinearSegmentedColormap.from_list(
            name, cmap(np.linspace(0.3, 0.95, 64)) if cmap.name != "viridis" else cmap(np.linspace(0, 0.9, 64)))
        bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=shown), cax=cax)
        bar.ax.tick_params(labelsize=7)
        bar.set_label(f"{name}\n{value_name}", fontsize=8)


def pca_figure(model: Model, points: FixedPoints | None, dims: int = 2,
               trials: int = 12) -> plt.Figure:
    """Trajectories in PC space (decision phases or whole trials), then the fixed points alone."""
    states, classes, class_labels = trial_states(model, trials)
    mean, axes, ratio = pca_basis(states, dims)
    proj = (states - mean) @ axes.T
    has_points = points is not None and len(points) > 0
    fp = (points.x - mean) @ axes.T if has_points else np.zeros((0, dims))
    colours, keys = point_colours(model, points) if has_points else (None, [])
    traj_colours = class_colours(len(class_labels))
    panels = list(phases(model.task)) + ([("fixed points", 0.0, 0.0)] if has_points else [])
    steps = states.shape[1]
    everything = np.concatenate([proj.reshape(-1, dims), fp])
    lo, hi = everything.min(0), everything.max(0)
    pad = 0.05 * (hi - lo + 1e-12)
    note = "" if has_points else " — no stored fixed points (run rnntool fixedpoints)"
    width = max(4.3 * len(panels) + 1.3, 7.0)
    # about 9 characters of the default title size per inch: wrap within the figure's width
    heading = textwrap.fill(f"{model.record.name}: state trajectories of {trials} "
                            f"{model.task.name} trials in PC space{note}", int(9 * width))
    height = 4.6 + 0.25 * heading.count("\n")
    fig = plt.figure(figsize=(width, height))
    labels = [f"PC{d + 1} ({100 * r:.0f} % var.)" for d, r in enumerate(ratio)]
    right = 1 - 1.3 / width
    fig.subplots_adjust(left=0.8 / width, right=right - 0.02, bottom=1.15 / height,
                        top=1 - (0.7 + 0.25 * heading.count("\n")) / height, wspace=0.3)
    phased = len(panels) - has_points > 1
    for i, (name, start, end) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1, projection="3d" if dims == 3 else None)
        if name == "fixed points":
            draw_points(ax, points, fp, colours)
            title = f"fixed points ({points.key})"
        else:
            a = int(round(start * steps))
            b = max(int(round(end * steps)), a + 1)
            if a > 0:
                for traj in proj[:, :a + 1]:
                    _plot(ax, traj, color="0.6", alpha=0.25, lw=0.8)
            for traj, c in zip(proj[:, a:b], classes):
                _plot(ax, traj, color=traj_colours[c], alpha=0.5, lw=0.9)
            if phased:
                _scatter(ax, proj[:, a], s=8, c="k", zorder=3)
            if has_points:
                draw_points(ax, points, fp, colours)
            title = f"{name}: steps {a}–{b}" if phased else f"{name} ({steps} steps)"
        ax.set_title(title, fontsize=10)
        ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        if dims == 3:
            ax.set_zlim(lo[2] - pad[2], hi[2] + pad[2])
            ax.set_zlabel(labels[2])
    fig.suptitle(heading)
    _legend(fig, class_labels, traj_colours, has_points, phased)
    _colour_keys(fig, keys, right + (0.035 if dims == 3 else 0.01))
    return fig


def eigen_figure(model: Model, points: FixedPoints) -> plt.Figure:
    """Left: map-Jacobian eigenvalues λ of every point, zoomed on where they lie, with the
    unit circle (stable iff |λ| < 1). Right: each point's leading flow eigenvalues
    Re μ = (Re λ − 1)/α (units of 1/τ; |λ| for discrete maps, which have no flow) in a
    column of its own, so spectra are not pooled."""
    fig, (ax_map, ax_pts) = plt.subplots(1, 2, figsize=(12, 5),
                                         gridspec_kw={"width_ratios": [1, 1.4]})
    kinds = (("slow point", ~points.is_fixed, "0.65", 8, 1),
             ("stable fixed point", points.is_fixed & points.stable_map, "tab:blue", 12, 2),
             ("unstable fixed point", points.is_fixed & ~points.stable_map, "tab:red", 22, 3))
    shown = [k for k in kinds if k[1].any()]
    lam_all = np.concatenate([points.eigenvalues[sel].ravel() for _, sel, *_ in shown])
    for label, sel, colour, size, z in shown:
        lam = points.eigenvalues[sel].ravel()
        ax_map.scatter(lam.real, lam.imag, s=size, c=colour, alpha=0.6, zorder=z,
                       edgecolors="none", label=f"{label}s ({int(sel.sum())})")
    outside = lam_all[np.abs(lam_all) > 1.0]
    if outside.size:
        ax_map.scatter(outside.real, outside.imag, s=40, c="tab:red", edgecolors="k",
                       linewidths=0.8, zorder=5, label=f"|λ| > 1: unstable directions ({outside.size})")
    re_lo, re_hi = float(lam_all.real.min()), max(float(lam_all.real.max()), 1.0)
    im = max(float(np.abs(lam_all.imag).max()), 0.02)
    pad = 0.08 * max(re_hi - re_lo, 2 * im)
    theta = np.linspace(0, 2 * np.pi, 2000)
    ax_map.plot(np.cos(theta), np.sin(theta), "k--", lw=0.8, label="unit circle |λ| = 1")
    ax_map.set_xlim(re_lo - pad, re_hi + pad)
    ax_map.set_ylim(-im - pad, im + pad)
    ax_map.set(xlabel="Re λ", ylabel="Im λ", title="map eigenvalues (all points)")
    ax_map.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2,
                  frameon=False)

    order = np.lexsort((points.input_index, np.select([kinds[2][1], kinds[1][1]], [0, 1], 2)))
    top = min(8, points.eigenvalues.shape[1])
    colour_of = np.where(kinds[2][1], "tab:red", np.where(kinds[1][1], "tab:blue", "0.65"))
    for column, p in enumerate(order):
        lam = points.eigenvalues[p, :top]
        value = (lam.real - 1.0) / points.alpha if points.has_flow else np.abs(lam)
        ax_pts.scatter(np.full(top, column), value, s=14, c=colour_of[p], zorder=3)
    if points.has_flow:
        ax_pts.axhline(0.0, color="k", ls="--", lw=0.8)
        ax_pts.set(ylabel="Re μ  (1/τ); > 0: unstable direction",
                   title=f"{top} leading flow eigenvalues of each point, μ = (λ − 1)/α, "
                         f"α = {points.alpha:g}")
    else:
        ax_pts.axhline(1.0, color="k", ls="--", lw=0.8)
        ax_pts.set(ylabel="|λ|; > 1: unstable direction",
                   title=f"{top} leading eigenvalues of each point (a discrete map)")
    ax_pts.set_xlabel("point (unstable fixed, stable fixed, slow; then by input)")
    ax_pts.set_xlim(-1, len(order))
    if len(points.inputs) > 1 and len(order) <= 40:
        ax_pts.set_xticks(range(len(order)),
                          [points.input_labels[points.input_index[p]] for p in order],
                          rotation=90, fontsize=6)
    fig.suptitle(f"{model.record.name}: Jacobian spectra at the points of {points.key}")
    fig.tight_layout()
    return fig
