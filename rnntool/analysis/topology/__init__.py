"""Fixed-point topology of grouped models: descriptors per model, distances between them.

Fixed points are read from the model files (``analyses/fixedpoints/<mode>_<method>``) and
found and stored first where missing. Descriptors: ``graph`` (default; fixed-point graph
compared with the Weisfeiler–Lehman kernel) and ``mcmahan`` (McMahan et al. 2021's input topology).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from rnntool.analysis.fixedpoints import (FinderSettings, FixedPoints, find_and_store,
                                          fixed_point_keys, load_fixed_points, result_key)
from rnntool.analysis.point_analytics import float64_network
from rnntool.analysis.topology.distance import wl_distance_matrix, wl_features
from rnntool.analysis.topology.graph import GraphSettings, fixed_point_graph
from rnntool.analysis.topology.input_topology import input_topology_vector
from rnntool.errors import ConfigError
from rnntool.models import load_model
from rnntool.storage.digest import content_digest

DESCRIPTORS = ("graph", "mcmahan")


def stored_or_found(path: Path, mode: str, finder: FinderSettings, device: str = "cpu"
                    ) -> FixedPoints:
    """The model's stored fixed points for ``mode``, exact roots preferred over approximate
    ones whichever method is asked for; found with the finder's method and stored first when
    the file has neither."""
    stored = fixed_point_keys(path)
    for method in ("exact", "approx"):
        key = result_key(mode, method)
        if key in stored:
            return load_fixed_points(path, key)
    points, _ = find_and_store(path, mode=mode, settings=finder, device=device)
    return points


def topology_digest(path: Path, key: str) -> str:
    """Digest of the configuration, weights and the fixed points the descriptor used."""
    return content_digest(path, ("config", "weights", f"analyses/fixedpoints/{key}"))


def topology_distances(paths: Sequence[Path], points: Sequence[FixedPoints],
                       descriptor: str = "graph", graph: GraphSettings | None = None,
                       device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """K × K distances between the models' descriptors, and each model's number of graph
    edges (0 for the ``mcmahan`` descriptor)."""
    if descriptor not in DESCRIPTORS:
        raise ConfigError(f"unknown descriptor {descriptor!r} (known: {', '.join(DESCRIPTORS)})")
    if descriptor == "mcmahan":
        vectors = np.stack([input_topology_vector(p) for p in points])
        return np.linalg.norm(vectors[:, None] - vectors[None], axis=-1), np.zeros(len(points), int)
    features, edges = [], []
    for path, p in zip(paths, points):
        g = fixed_point_graph(float64_network(load_model(path, device).network), p, graph)
        features.append(wl_features(g))
        edges.append(g.number_of_edges())
    return wl_distance_matrix(features), np.array(edges)


__all__ = ["DESCRIPTORS", "GraphSettings", "stored_or_found",
           "topology_digest", "topology_distances"]
