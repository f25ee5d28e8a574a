"""Figures of geometry population files (System A): measures against precision, and
precision per duration with error bars."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rnntool.plotting.style import save_kinds  # noqa: E402

if TYPE_CHECKING:
    from rnntool.models import Model

GEOMETRY_KINDS = ("performance", "precision")
LABELS = {"cos_I_w": "cos(I, w)", "pr_I": "PR of I (spontaneous PCs)",
          "pr_w": "PR of w (memory PCs)", "pr_spontaneous": "PR, spontaneous spectrum",
          "pr_memory": "PR, memory spectrum"}


def plot_geometry_file(path: Path, attrs: dict, tree: dict, kinds: list[str] | None,
                       out_dir: Path, fmt: str) -> list[Path]:
    """Draw the requested figures (default: all of :data:`GEOMETRY_KINDS`)."""
    return save_kinds(path, kinds, GEOMETRY_KINDS, "geometry files", out_dir, fmt,
                      lambda kind: _performance(tree) if kind == "performance" else _precision(tree))


def _performance(tree: dict) -> plt.Figure:
    """One panel per measure against precision, with Pearson r and p (the original's
    performance scatter, split so each measure keeps its own axis)."""
    m, corr = tree["measures"], tree.get("correlations", {})
    names = [k for k in LABELS if k in m]
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        ax.scatter(m["precision"], m[name], s=18)
        ax.set_xlabel("plateau MSE (lower is more precise)")
        ax.set_ylabel(LABELS[name])
        if name in corr:
            ax.set_title(f"r = {corr[name]['r']:.2f}, p = {corr[name]['p']:.2g}", fontsize=9)
    fig.tight_layout()
    return fig


def _precision(tree: dict) -> plt.Figure:
    """Plateau MSE per duration and model with standard errors; extrapolated durations marked."""
    m = tree["measures"]
    durations = np.asarray(tree["durations_ms"], dtype=float)
    extra = np.asarray(tree["extrapolation"], dtype=bool)
    names = [str(n) for n in tree["models"]["names"]]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    offsets = np.linspace(-0.15, 0.15, len(names)) if len(names) > 1 else [0.0]
    x = np.arange(len(durations))
    for i, (name, dx) in enumerate(zip(names, offsets)):
        ax.errorbar(x + dx, m["mse"][i], yerr=m["sem"][i], fmt="o", ms=3, capsize=2,
                    label=name if len(names) <= 10 else None)
    ax.set_xticks(x, [f"{d:g} ms" + (" (extrapolation)" if e else "")
                      for d, e in zip(durations, extra)])
    ax.set_ylabel("plateau MSE ± s.e.m.")
    ax.set_yscale("log")
    if len(names) <= 10:
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def duration_pca_figure(name: str, traj: dict, dims: int = 2) -> plt.Figure:
    """System A's trajectories of several durations in the memory-period PC space (from the
    pulse onset on), each PC against time, and the readout against its plateau target."""
    durations = np.asarray(traj["durations_ms"], dtype=float)
    colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, len(durations)))
    time = np.asarray(traj["time_ms"]) / 1000.0
    proj, ratio = np.asarray(traj["projections"]), np.asarray(traj["variance_ratio"])
    onset, report = float(traj["onset_ms"]) / 1000.0, float(traj["report_ms"]) / 1000.0
    shown = time >= onset
    labels = [f"memory PC{i + 1} ({100 * r:.0f} % var.)" for i, r in enumerate(ratio)]
    fig = plt.figure(figsize=(14, 4.3))
    space = fig.add_subplot(1, 3, 1, projection="3d" if dims == 3 else None)
    for p, c, d in zip(proj, colours, durations):
        line = p[shown].T
        space.plot(*line, color=c, lw=1.0, label=f"{d:g} ms")
        mark = p[np.searchsorted(time, report)]
        space.scatter(*mark[:, None], color=c, s=14, zorder=3)
    space.set_xlabel(labels[0])
    space.set_ylabel(labels[1])
    if dims == 3:
        space.set_zlabel(labels[2])
    space.set_title("from the pulse onset (dot: report time)", fontsize=10)
    space.legend(fontsize=7, title="pulse", title_fontsize=7)
    pcs = fig.add_subplot(1, 3, 2)
    for p, c in zip(proj, colours):
        for i, style in zip(range(min(2, proj.shape[-1])), ("-", ":")):
            pcs.plot(time, p[:, i], style, color=c, lw=0.9)
    pcs.set_xlabel("time (s)")
    pcs.set_ylabel("projection (PC1 solid, PC2 dotted)")
    out = fig.add_subplot(1, 3, 3)
    for y, target, c in zip(traj["outputs"], traj["targets"], colours):
        out.plot(time, y, color=c, lw=0.9)
        out.plot(time[time >= report], target[time >= report], "--", color=c, lw=0.7)
    out.set_xlabel("time (s)")
    out.set_ylabel("output (dashed: plateau target)")
    for ax in (pcs, out):
        ax.axvspan(onset, report, color="0.92", zorder=0)
    fig.suptitle(f"{name}: trajectories by pulse duration in the memory-period PC space "
                 f"(shaded: onset to report)")
    fig.tight_layout()
    return fig


def duration_pca(model: "Model", dims: int = 2) -> plt.Figure:
    """``rnntool plot --kind pca`` of a duration-task model."""
    from rnntool.analysis.geometry import memory_trajectories

    traj = memory_trajectories(model.network, model.task, dims=dims)
    return duration_pca_figure(model.record.name, traj, dims)
