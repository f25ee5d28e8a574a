"""Properties of the similarity metrics (netrep style) and SVCCA against a textbook computation."""

from __future__ import annotations

import numpy as np
import pytest

from rnntool.analysis.similarity import METRICS, compare, distance_matrix, make_metric, pairwise_distances

SAMPLES = 120


def _low_rank(rng: np.random.Generator, features: int, rank: int = 6) -> np.ndarray:
    scales = np.geomspace(3.0, 0.3, rank)
    latent = rng.normal(size=(SAMPLES, rank)) * scales
    return latent @ rng.normal(size=(rank, features)) + 0.01 * rng.normal(size=(SAMPLES, features))


def _rotation(rng: np.random.Generator, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))


TRANSFORMS = {
    "rotation": lambda x, rng: x @ _rotation(rng, x.shape[1]),
    "permutation": lambda x, rng: x[:, rng.permutation(x.shape[1])],
    "scaling": lambda x, rng: 3.7 * x,
    "offset": lambda x, rng: x + rng.normal(size=x.shape[1]) * 5.0,
}


@pytest.fixture(params=sorted(METRICS))
def metric(request):
    return make_metric(request.param)


def test_distance_to_itself_is_zero_and_symmetric(metric) -> None:
    rng = np.random.default_rng(0)
    x, y = _low_rank(rng, 20), _low_rank(rng, 15)
    assert compare(metric, x, x) == pytest.approx(0.0, abs=1e-6)
    assert compare(metric, x, y) == pytest.approx(compare(metric, y, x), abs=1e-12)
    assert compare(metric, x, y) > 0.05


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_invariances_the_metric_claims(metric, transform) -> None:
    rng = np.random.default_rng(1)
    x, y = _low_rank(rng, 20), _low_rank(rng, 20)
    moved = TRANSFORMS[transform](x, rng)
    if transform in metric.invariances:
        assert compare(metric, x, moved) == pytest.approx(0.0, abs=1e-6)
        assert compare(metric, moved, y) == pytest.approx(compare(metric, x, y), abs=1e-9)
    else:  # a metric that does not claim an invariance must actually notice the change
        assert abs(compare(metric, moved, y) - compare(metric, x, y)) > 1e-4


def test_triangle_inequality_for_true_metrics() -> None:
    rng = np.random.default_rng(2)
    data = [_low_rank(rng, n, rank=r) for n, r in [(10, 3), (12, 5), (8, 4), (15, 6), (10, 8)]]
    for name in sorted(METRICS):
        metric = make_metric(name)
        if not metric.is_metric:
            continue
        d = pairwise_distances(data, metric)
        for i in range(len(data)):
            for j in range(len(data)):
                assert np.all(d[i, j] <= d[i, :] + d[:, j] + 1e-9), name


def _textbook_svcca(x: np.ndarray, y: np.ndarray, keep: float = 0.95) -> float:
    """Centre, full SVD, keep 95 % of variance, CCA from covariance blocks."""
    def reduced(a: np.ndarray) -> np.ndarray:
        a = a - a.mean(axis=0)
        u, s, _ = np.linalg.svd(a, full_matrices=False)
        k = int(np.searchsorted(np.cumsum(s ** 2) / np.sum(s ** 2), keep)) + 1
        return u[:, :k] * s[:k]

    a, b = reduced(x), reduced(y)

    def inv_sqrt(m: np.ndarray) -> np.ndarray:
        w, v = np.linalg.eigh(m)
        return v @ np.diag(w ** -0.5) @ v.T

    rho = np.linalg.svd(inv_sqrt(a.T @ a) @ (a.T @ b) @ inv_sqrt(b.T @ b), compute_uv=False)
    return 1.0 - rho.mean()


def test_svcca_equals_textbook_computation() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        x, y = _low_rank(rng, 12, rank=5), _low_rank(rng, 9, rank=4)
        assert compare(make_metric("svcca"), x, y) == pytest.approx(_textbook_svcca(x, y), abs=1e-10)


def test_svcca_fixed_components_and_keep() -> None:
    rng = np.random.default_rng(4)
    x, y = _low_rank(rng, 12), _low_rank(rng, 12)
    one = make_metric("svcca", components=1)
    assert one.prepare(x).basis.shape[1] == 1
    half = make_metric("svcca", keep=0.5).prepare(x).basis.shape[1]
    assert half < make_metric("svcca").prepare(x).basis.shape[1]
    assert 0.0 <= compare(one, x, y) <= 1.0


def test_distance_matrix_is_symmetric_with_zero_diagonal() -> None:
    rng = np.random.default_rng(5)
    metric = make_metric("svcca")
    prepared = [metric.prepare(_low_rank(rng, 10)) for _ in range(4)]
    d = distance_matrix(prepared, metric)
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0) and np.all(d[~np.eye(4, dtype=bool)] > 0)


def test_dask_path_equals_serial_path() -> None:
    rng = np.random.default_rng(6)
    data = [_low_rank(rng, 10) for _ in range(4)]
    metric = make_metric("svcca")
    serial = pairwise_distances(data, metric)
    assert np.allclose(pairwise_distances(data, metric, workers=1), serial, atol=1e-12)
