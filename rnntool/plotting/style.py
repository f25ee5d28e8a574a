"""Headless figure output shared by the model figures: Agg backend, atomic saves, colours."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rnntool.errors import ConfigError  # noqa: E402
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


def save_kinds(path: Path, kinds: Sequence[str] | None, known: Sequence[str], files: str,
               out_dir: Path, fmt: str, draw: Callable[[str], plt.Figure]) -> list[Path]:
    """Draw each requested figure kind of the file at ``path`` (default: all of ``known``)
    with ``draw(kind)`` and save it as ``<out_dir>/<file stem>.<kind>.<fmt>``; an unknown
    kind is refused, naming the ``files`` it is unknown for, before anything is drawn."""
    kinds = list(known) if not kinds else list(kinds)
    unknown = [k for k in kinds if k not in known]
    if unknown:
        raise ConfigError(f"{files} have no figure {unknown[0]!r} (known: {', '.join(known)})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [save(draw(kind), out_dir / f"{Path(path).stem}.{kind}.{fmt}", fmt) for kind in kinds]


def class_colours(count: int) -> list:
    """One colour per trajectory class."""
    if count <= len(CLASS_COLOURS):
        return list(CLASS_COLOURS[:count])
    return list(plt.get_cmap("tab20")(np.arange(count) % 20))
