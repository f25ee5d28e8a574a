"""Summary figure of a sweep: a population statistic against a swept setting, one line and
marker per analysis (e.g. silhouette against the number of contexts N for SVCCA geometry
and fixed-point topology, as in McMahan et al. 2021)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from rnntool.storage.atomic import atomic_path  # noqa: E402
from rnntool.sweeps.summary import SummaryPoint  # noqa: E402

MARKERS = "osD^vP*Xh<>"
LINESTYLES = ("-", "--", ":", "-.")
LABELS = {"silhouette": "silhouette score", "stress": "MDS stress",
          "within": "mean distance within groups", "between": "mean distance between groups"}


def _sort_key(value: object) -> tuple:
    return (0, float(value), "") if isinstance(value, (int, float)) else (1, 0.0, str(value))


def summary_figure(points: Sequence[SummaryPoint], x_label: str, statistic: str,
                   title: str) -> plt.Figure:
    """One line per (analysis, series): ``statistic`` against the x values."""
    analyses = list(dict.fromkeys(p.analysis for p in points))
    series = list(dict.fromkeys(p.series for p in points))
    xs = sorted({p.x for p in points}, key=_sort_key)
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
    position = {x: (x if numeric else i) for i, x in enumerate(xs)}
    cmap = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for i, analysis in enumerate(analyses):
        for j, name in enumerate(series):
            chosen = sorted((p for p in points if p.analysis == analysis and p.series == name),
                            key=lambda p: _sort_key(p.x))
            if not chosen:
                continue
            label = analysis if len(series) == 1 else f"{analysis} ({name})"
            values = [p.value for p in chosen]
            if any(math.isnan(v) for v in values):
                label += " (undefined at some points)"
            ax.plot([position[p.x] for p in chosen], values, color=cmap(i % 10),
                    linestyle=LINESTYLES[j % len(LINESTYLES)], marker=MARKERS[i % len(MARKERS)],
                    markersize=7, linewidth=1.5, label=label)
    if not numeric:
        ax.set_xticks(range(len(xs)), [str(x) for x in xs])
    elif all(float(x).is_integer() for x in xs):
        ax.set_xticks(xs)
    if statistic == "silhouette":
        ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=0)
    ax.set_xlabel(x_label)
    ax.set_ylabel(LABELS.get(statistic, statistic))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    return fig


def save_summary_figure(points: Sequence[SummaryPoint], x_label: str, statistic: str,
                        title: str, target: Path) -> Path:
    """Draw :func:`summary_figure` into ``target`` (its suffix gives the format)."""
    fig = summary_figure(points, x_label, statistic, title)
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format=target.suffix.lstrip("."), dpi=150, bbox_inches="tight")
    plt.close(fig)
    return target
