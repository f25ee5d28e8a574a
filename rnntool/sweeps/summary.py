"""Statistics of a sweep's population files collected against a grid axis."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnntool.errors import CorruptFileError
from rnntool.storage.population_file import read_population


@dataclass(frozen=True)
class SummaryPoint:
    """One population file's statistic at one value of the swept axis."""

    analysis: str
    x: Any
    series: str           # the other axes' values ("" when there are none)
    value: float
    path: Path


def population_statistic(path: Path, statistic: str) -> float:
    """``silhouette`` or ``stress`` of the stored embedding, or the mean distance
    ``within`` groups or ``between`` groups of a population file."""
    _, tree = read_population(path)
    if statistic in ("silhouette", "stress"):
        return float(tree["embedding"][statistic])
    d = np.asarray(tree["distances"], float)
    groups = np.array([str(g) for g in tree["models"]["groups"]])
    same = groups[:, None] == groups[None, :]
    off = ~np.eye(len(groups), dtype=bool)
    pick = (same & off) if statistic == "within" else ~same
    return float(d[pick].mean()) if pick.any() else float("nan")


def collect(entries: list[tuple[str, Any, str, Path]], statistic: str) -> list[SummaryPoint]:
    """Points for (analysis, x value, series label, population file) entries whose file
    exists and is readable; missing files (failed jobs) are left out."""
    points = []
    for analysis, x, series, path in entries:
        try:
            value = population_statistic(path, statistic)
        except CorruptFileError:
            continue
        points.append(SummaryPoint(analysis, x, series, value, path))
    return points
