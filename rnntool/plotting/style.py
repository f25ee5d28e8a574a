"""Headless figure output shared by the model figures: Agg backend, atomic saves, colours."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rnntool.storage import atomic_path  # noqa: E402

#: Trajectory colours by the sign of the trial's target (blue +, red −, grey 0).
SIGN_COLOURS = {1: "tab:blue", -1: "tab:red", 0: "0.5"}


def save(fig: plt.Figure, target: Path, fmt: str) -> Path:
    """Write ``fig`` to ``target`` atomically in format ``fmt`` and close it."""
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return target


def input_colours(count: int) -> np.ndarray:
    """One colour per constant input (RGBA rows), from a perceptually ordered map."""
    if count == 1:
        return np.array([[0.1, 0.1, 0.1, 1.0]])
    cmap = plt.get_cmap("viridis" if count > 10 else "tab10")
    if count > 10:
        return cmap(np.linspace(0.0, 0.95, count))
    return cmap(np.arange(count) % 10)
