"""Batched distance matrices (CKA, Procrustes) equal their textbook per-pair definitions."""

from __future__ import annotations

import numpy as np
import pytest

from rnntool.analysis.similarity import compare, make_metric, pairwise_distances
from rnntool.analysis.similarity.cka import (cross_product_norms, gram_inner_products,
                                             gram_route_is_cheaper)

#: (features, rank) of the models: fewer units in all than samples (CKA's cross-product
#: route), then more (its Gram route).
NARROW = [(12, 3), (9, 9), (12, 5), (7, 7), (12, 12)]
WIDE = [(40, 40), (55, 8), (31, 31), (64, 20), (47, 47)]


def _data(seed: int, shapes: list[tuple[int, int]] = NARROW,
          samples: int = 130) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for features, rank in shapes:
        latent = rng.normal(size=(samples, rank)) * np.geomspace(2.0, 0.2, rank)
        out.append(latent @ rng.normal(size=(rank, features)) + rng.normal(size=features))
    return out


def _kornblith_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Kornblith et al. (2019), feature-space linear CKA, as an angle."""
    x, y = x - x.mean(0), y - y.mean(0)
    cka = np.linalg.norm(x.T @ y) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))
    return float(np.arccos(min(cka, 1.0)))


def _netrep_angular_procrustes(x: np.ndarray, y: np.ndarray) -> float:
    """netrep's LinearMetric(alpha=1, score_method='angular'): rotate X onto Y (units
    zero-padded to equal counts), then the angle between them."""
    width = max(x.shape[1], y.shape[1])
    x = np.pad(x - x.mean(0), ((0, 0), (0, width - x.shape[1])))
    y = np.pad(y - y.mean(0), ((0, 0), (0, width - y.shape[1])))
    u, _, vt = np.linalg.svd(x.T @ y)
    tx, ty = x @ u, y @ vt.T
    return float(np.arccos(np.sum(tx * ty) / (np.linalg.norm(tx) * np.linalg.norm(ty))))


@pytest.mark.parametrize("shapes, samples", [(NARROW, 130), (WIDE, 90)])
def test_batched_matrices_equal_the_reference_formulas_pair_by_pair(shapes, samples) -> None:
    data = _data(0, shapes, samples)
    for name, reference in (("cka", _kornblith_cka), ("procrustes", _netrep_angular_procrustes)):
        metric = make_metric(name)
        matrix = pairwise_distances(data, metric)
        for i in range(len(data)):
            assert matrix[i, i] == 0.0
            for j in range(len(data)):
                if i != j:
                    assert abs(matrix[i, j] - reference(data[i], data[j])) < 1e-10, (name, i, j)
                    assert abs(matrix[i, j] - compare(metric, data[i], data[j])) < 1e-10


def test_both_cka_routes_give_every_pair_its_cross_product_norm() -> None:
    data = [x - x.mean(0) for x in _data(3, WIDE, 90)]
    assert gram_route_is_cheaper(90, [x.shape[1] for x in data])
    assert not gram_route_is_cheaper(130, [features for features, _ in NARROW])
    exact = np.array([[np.sum((x.T @ y) ** 2) for y in data] for x in data])
    # tiles that leave a remainder, divide the samples, equal them, exceed them
    routes = [cross_product_norms(data)] + [gram_inner_products(data, t) for t in (7, 30, 90, 500)]
    for inner in routes:
        np.testing.assert_allclose(inner, exact, rtol=1e-12)
