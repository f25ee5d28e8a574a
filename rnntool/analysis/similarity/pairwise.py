"""K × K distance matrices: each model reduced once, then every pair compared.

The serial path runs in-process. The parallel path hands the reductions and the rows of
the matrix to Dask through :func:`rnntool.executor.dask_client`: a local cluster of
single-threaded worker processes (``workers``) or an existing scheduler (``scheduler``
address), e.g. one started on a cluster with dask-jobqueue.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from rnntool.analysis.similarity.base import Metric
from rnntool.errors import ConfigError
from rnntool.executor import ExecutorSettings, dask_client


def distance_matrix(prepared: Sequence[Any], metric: Metric) -> np.ndarray:
    """Symmetric matrix of distances between prepared representations, zero diagonal
    (through the metric's own batched ``distance_matrix`` where it has one)."""
    batched = getattr(metric, "distance_matrix", None)
    if batched is not None:
        return batched(prepared)
    k = len(prepared)
    out = np.zeros((k, k))
    for i in range(k):
        out[i, i + 1:] = _row(metric, i, prepared)
    return out + out.T


def _row(metric: Metric, i: int, prepared: Sequence[Any]) -> np.ndarray:
    return np.array([metric.distance(prepared[i], b) for b in prepared[i + 1:]])


def pairwise_distances(data: Sequence[np.ndarray], metric: Metric, workers: int | None = None,
                       scheduler: str | None = None) -> np.ndarray:
    """Distances between all pairs of (samples, features) matrices sharing their samples."""
    samples = {np.shape(x)[0] for x in data}
    if len(samples) > 1:
        raise ConfigError(f"models have different numbers of samples ({sorted(samples)}); "
                          "they must be probed with the same inputs")
    if workers is None and scheduler is None:
        return distance_matrix([metric.prepare(x) for x in data], metric)
    return _dask_distances(data, metric, workers, scheduler)


def _dask_distances(data: Sequence[np.ndarray], metric: Metric, workers: int | None,
                    scheduler: str | None) -> np.ndarray:
    with dask_client(ExecutorSettings(workers=workers, scheduler=scheduler)) as client:
        scattered = client.scatter(list(data))
        prepared = client.map(metric.prepare, scattered, pure=False)
        rows = [client.submit(_row, metric, i, prepared, pure=False) for i in range(len(data))]
        values = client.gather(rows)
    k = len(data)
    out = np.zeros((k, k))
    for i, row in enumerate(values):
        out[i, i + 1:] = row
    return out + out.T
