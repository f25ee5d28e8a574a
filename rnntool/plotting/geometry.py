"""Figures of geometry population files (System A): measures against precision, and
precision per duration with error bars."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rnntool.errors import ConfigError  # noqa: E402
from rnntool.plotting.style import save  # noqa: E402

GEOMETRY_KINDS = ("performance", "precision")
LABELS = {"cos_I_w": "cos(I, w)", "pr_I": "PR of I (spontaneous PCs)",
          "pr_w": "PR of w (memory PCs)", "pr_spontaneous": "PR, spontaneous spectrum",
          "pr_memory": "PR, memory spectrum"}


def plot_geometry_file(path: Path, attrs: dict, tree: dict, kinds: list[str] | None,
                       out_dir: Path, fmt: str) -> list[Path]:
    """Draw the requested figures (default: all of :data:`GEOMETRY_KINDS`)."""
    kinds = list(GEOMETRY_KINDS) if not kinds else kinds
    unknown = [k for k in kinds if k not in GEOMETRY_KINDS]
    if unknown:
        raise ConfigError(f"geometry files have no figure {unknown[0]!r} "
                          f"(known: {', '.join(GEOMETRY_KINDS)})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in kinds:
        fig = _performance(tree) if kind == "performance" else _precision(tree)
        written.append(save(fig, out_dir / f"{Path(path).stem}.{kind}.{fmt}", fmt))
    return written


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
