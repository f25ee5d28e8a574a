"""Distances between fixed-point graphs: the Weisfeiler–Lehman subtree kernel, angular form.

Each graph becomes the multiset of its nodes' WL subtree hashes over ``iterations`` rounds
(round 0 is the node labels themselves: input condition and number of unstable
dimensions). The distance is the angle between two such count vectors, arccos of the
normalised WL kernel: 0 for isomorphic labelled graphs, whatever order their points were
found in; a pseudo-metric that obeys the triangle inequality. It costs O(iterations · edges)
per graph, whereas graph edit distance is exponential in the number of nodes (networks
with tens of fixed points per input set are out of reach) and an isomorphism test only
says same or different.
"""

from __future__ import annotations

from collections import Counter

import networkx as nx
import numpy as np


def wl_features(graph: nx.Graph, iterations: int = 3) -> Counter:
    """Counts of WL subtree hashes (including the initial labels) over all nodes."""
    counts: Counter = Counter(f"0:{data['label']}" for _, data in graph.nodes(data=True))
    hashes = nx.weisfeiler_lehman_subgraph_hashes(graph, node_attr="label", iterations=iterations)
    for per_node in hashes.values():
        counts.update(f"{i + 1}:{h}" for i, h in enumerate(per_node))
    return counts


def wl_distance(a: Counter, b: Counter) -> float:
    """Angle between two WL feature count vectors (0 when both graphs are empty)."""
    norm_a = np.sqrt(sum(v * v for v in a.values()))
    norm_b = np.sqrt(sum(v * v for v in b.values()))
    if norm_a == 0 and norm_b == 0:
        return 0.0
    if norm_a == 0 or norm_b == 0:
        return float(np.pi / 2)
    # 2·arcsin(‖â − b̂‖/2) is the angle, and exact near 0 where arccos of the cosine is not
    gap = sum((a.get(k, 0) / norm_a - b.get(k, 0) / norm_b) ** 2 for k in set(a) | set(b))
    return float(2.0 * np.arcsin(min(1.0, np.sqrt(gap) / 2.0)))


def wl_distance_matrix(features: list[Counter]) -> np.ndarray:
    """Symmetric K × K matrix of :func:`wl_distance`, zero diagonal."""
    k = len(features)
    out = np.zeros((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            out[i, j] = out[j, i] = wl_distance(features[i], features[j])
    return out
