"""Headless figure output shared by the model figures: Agg backend, atomic saves, colours."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rnntool.storage import atomic_path  # noqa: E402

#: Colour maps of the constant inputs of each cued context (shade = input value).
CONTEXT_MAPS = ("Blues", "Oranges", "Greens", "Purples", "Greys", "YlOrBr")
#: Trajectory colours by class (target +, target −, …), distinct from the context maps.
CLASS_COLOURS = ("#c2185b", "#00897b", "#7b1fa2", "#f9a825", "#5d4037", "#0277bd", "#9e9d24",
                 "#e64a19")


def save(fig: plt.Figure, target: Path, fmt: str) -> Path:
    """Write ``fig`` to ``target`` atomically in format ``fmt`` and close it."""
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return target


def class_colours(count: int) -> list:
    """One colour per trajectory class."""
    if count <= len(CLASS_COLOURS):
        return list(CLASS_COLOURS[:count])
    return list(plt.get_cmap("tab20")(np.arange(count) % 20))
