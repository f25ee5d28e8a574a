"""Two-dimensional MDS embedding and silhouette of a distance matrix between grouped models.

Both work on the precomputed distances. McMahan et al. 2021 instead treated each row of the matrix as a
feature vector (Euclidean distances between rows); that is kept only as the flagged
``rows_as_features`` mode for reproducing its numbers.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sklearn.manifold import MDS
from sklearn.metrics import pairwise_distances, silhouette_samples


@dataclass
class Embedding:
    """MDS coordinates (K, 2), stress, and silhouettes (NaN when undefined)."""

    coordinates: np.ndarray
    stress: float
    silhouette: float
    silhouette_per_model: np.ndarray


def embed(distances: np.ndarray, groups: Sequence[str], seed: int = 0,
          rows_as_features: bool = False) -> Embedding:
    """MDS (metric SMACOF, seeded) and silhouette scores of ``distances`` by ``groups``."""
    d = pairwise_distances(distances) if rows_as_features else np.asarray(distances, float)
    d = 0.5 * (d + d.T)
    np.fill_diagonal(d, 0.0)
    k = d.shape[0]
    if k >= 2 and d.max() > 0:
        mds = MDS(n_components=2, metric="precomputed", init="random", n_init=4,
                  random_state=seed % 2 ** 32, normalized_stress="auto")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            coords = mds.fit_transform(d)
        stress = float(mds.stress_)
    else:
        coords, stress = np.zeros((k, 2)), 0.0
    labels = np.asarray(groups)
    per_model = np.full(k, np.nan)
    if 2 <= len(set(groups)) <= k - 1:
        per_model = silhouette_samples(d, labels, metric="precomputed")
    overall = float(per_model.mean()) if np.isfinite(per_model).all() else float("nan")
    return Embedding(coords, stress, overall, per_model)
