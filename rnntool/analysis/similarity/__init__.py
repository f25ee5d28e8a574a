"""Similarity metrics between the representations of different models, behind one registry.

Each metric is a small dataclass (its fields are its settings) in a module of its own; all
take (samples, features) data and reduce each model once (:mod:`.pairwise`).
"""

from __future__ import annotations

from typing import Any

from rnntool.analysis.similarity.base import Metric, compare
from rnntool.analysis.similarity.cka import LinearCKA
from rnntool.analysis.similarity.pairwise import distance_matrix, pairwise_distances
from rnntool.analysis.similarity.procrustes import Procrustes
from rnntool.analysis.similarity.pwcca import PWCCA
from rnntool.analysis.similarity.svcca import SVCCA
from rnntool.registry import Registry, dataclass_settings

METRICS: Registry[type] = Registry("metric")


def register_metric(cls: type) -> type:
    """Add a metric class to the registry under ``cls.name`` (a taken name is an error)."""
    return METRICS.register(cls.name, cls)


def make_metric(name: str, **settings: Any) -> Metric:
    """The metric registered as ``name``; a setting it does not take is an error, None keeps
    the default."""
    return METRICS.make(name, **settings)


def metric_settings(name: str, **shared: Any) -> dict[str, Any]:
    """Of settings shared by several metrics (a command line's ``--keep``), those metric
    ``name`` takes."""
    return {k: v for k, v in shared.items() if k in dataclass_settings(METRICS.get(name))}


for _cls in (SVCCA, PWCCA, LinearCKA, Procrustes):
    register_metric(_cls)

__all__ = ["METRICS", "Metric", "compare", "distance_matrix", "make_metric", "metric_settings",
           "pairwise_distances",
           "register_metric"]
