"""McMahan et al. 2021's input-topology descriptor, made independent of the order points were found in.

For each fixed point, the first-input-channel values of the static inputs at which its
``neighbours`` nearest fixed points (itself first, Euclidean in state space) were found;
the descriptors of the first ``n_points`` points form the model's vector, and models are
compared by Euclidean distance. The original took points in solver order; here points are
ordered by input (the input set's own order, from 0 outward) and then by distance from
the origin, so the vector does not depend on discovery order. A model with fewer points
than ``n_points`` is padded with zeros instead of failing. Kept for replication: it reads
only channel 0 (blind to the context of N-CDI points) and ignores stability.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from rnntool.analysis.fixedpoints import FixedPoints

N_POINTS = 10
N_NEIGHBOURS = 3


def input_topology_vector(points: FixedPoints, n_points: int = N_POINTS,
                          neighbours: int = N_NEIGHBOURS) -> np.ndarray:
    """The (n_points · neighbours) descriptor of one model's fixed points."""
    fixed = points.select(points.is_fixed)
    out = np.zeros((n_points, neighbours))
    if not len(fixed):
        return out.ravel()
    order = np.lexsort((np.linalg.norm(fixed.x, axis=1), fixed.input_index))
    x, labels = fixed.x[order], fixed.u[order, 0]
    k = min(neighbours, len(x))
    _, idx = cKDTree(x).query(x[:n_points], k=k)
    idx = np.asarray(idx).reshape(-1, k)
    out[:len(idx), :k] = labels[idx]
    return out.ravel()
