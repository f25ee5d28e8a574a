"""Figures of population files: the distance matrix and its MDS embedding, by group."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rnntool.plotting.kinds import POPULATION_KINDS  # noqa: E402
from rnntool.plotting.style import save_kinds  # noqa: E402
from rnntool.storage.population_file import read_population  # noqa: E402

KINDS = POPULATION_KINDS


def plot_population_file(path: Path, kinds: list[str] | None, out_dir: Path, fmt: str) -> list[Path]:
    """Draw the requested figures (default: all of :data:`KINDS`) of a population file and
    return the paths written, ``<out_dir>/<file stem>.<kind>.<fmt>``."""
    attrs, tree = read_population(path)
    if attrs.get("kind") == "geometry":
        from rnntool.plotting.geometry import plot_geometry_file

        return plot_geometry_file(path, attrs, tree, kinds, out_dir, fmt)
    return save_kinds(path, kinds, KINDS, "population files", out_dir, fmt,
                      lambda kind: (_distance_figure if kind == "distances" else _mds_figure)(attrs, tree))


def _group_order(tree: dict) -> tuple[np.ndarray, list[str], np.ndarray]:
    labels = [str(g) for g in tree["groups"]["labels"]]
    groups = np.array([str(g) for g in tree["models"]["groups"]])
    order = np.concatenate([np.flatnonzero(groups == g) for g in labels])
    return order, labels, groups


def _colours(labels: list[str]) -> dict[str, tuple]:
    cmap = plt.get_cmap("tab10" if len(labels) <= 10 else "tab20")
    return {g: cmap(i % cmap.N) for i, g in enumerate(labels)}


def _distance_figure(attrs: dict, tree: dict) -> plt.Figure:
    order, labels, groups = _group_order(tree)
    d = np.asarray(tree["distances"])[np.ix_(order, order)]
    names = [str(tree["models"]["names"][i]) for i in order]
    size = max(4.0, 0.25 * len(order) + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
    image = ax.imshow(d, cmap="viridis", vmin=0.0, interpolation="nearest")
    fig.colorbar(image, ax=ax, label=f"{attrs.get('metric', '')} distance")
    sizes = [int(np.sum(groups == g)) for g in labels]
    edges = np.cumsum(sizes)[:-1] - 0.5
    for e in edges:
        ax.axhline(e, color="white", linewidth=1.5)
        ax.axvline(e, color="white", linewidth=1.5)
    centres = np.cumsum(sizes) - np.asarray(sizes) / 2.0 - 0.5
    if len(order) <= 40:
        ax.set_xticks(range(len(order)), names, rotation=90, fontsize=7)
        ax.set_yticks(range(len(order)), names, fontsize=7)
    else:
        ax.set_xticks(centres, labels)
        ax.set_yticks(centres, labels)
    ax.set_title(f"{attrs.get('metric', '')} distances between networks, ordered by group")
    return fig


def _mds_figure(attrs: dict, tree: dict) -> plt.Figure:
    """MDS embedding coloured by group, every model named; models at (nearly) the same place
    share one marker named "a = b"; models with a stored warning get a red ring."""
    _, labels, groups = _group_order(tree)
    coords = np.asarray(tree["embedding"]["mds"])
    names = [str(n) for n in tree["models"]["names"]]
    warned = np.array([bool(str(w)) for w in tree["models"].get("warnings", [""] * len(names))])
    colours = _colours(labels)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    for g in labels:
        pts = coords[groups == g]
        ax.scatter(pts[:, 0], pts[:, 1], s=55, color=colours[g], label=g, edgecolor="black",
                   linewidth=0.5, zorder=3)
    if warned.any():
        ax.scatter(coords[warned, 0], coords[warned, 1], s=140, facecolors="none",
                   edgecolors="tab:red", linewidths=1.5, zorder=2,
                   label="model with a warning (see the file)")
    scale = float(np.ptp(coords, axis=0).max()) if len(coords) > 1 else 1.0
    for text, (x, y) in _place_names(coords, names, 0.01 * max(scale, 1e-12)):
        ax.annotate(text, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=7)
    silhouette = float(tree["embedding"].get("silhouette", math.nan))
    stress = float(tree["embedding"].get("stress", math.nan))
    text = "undefined" if math.isnan(silhouette) else f"{silhouette:.3f}"
    ax.set_title(f"MDS of {attrs.get('metric', '')} distances\n(silhouette {text}, "
                 f"stress {stress:.3g})", fontsize=10)
    ax.set_xlabel("MDS 1")
    ax.set_ylabel("MDS 2")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(title="group", frameon=False, fontsize=8, loc="upper left",
              bbox_to_anchor=(1.02, 1.0))
    return fig


def _place_names(coords: np.ndarray, names: list[str], tol: float) -> list[tuple[str, np.ndarray]]:
    """Names to write next to the points, coincident points (closer than ``tol``) joined."""
    placed: list[tuple[list[str], np.ndarray]] = []
    for name, xy in zip(names, coords):
        for members, where in placed:
            if np.linalg.norm(where - xy) <= tol:
                members.append(name)
                break
        else:
            placed.append(([name], xy))
    return [(" = ".join(members), where) for members, where in placed]
