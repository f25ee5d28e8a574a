"""Similarity metrics between the representations of different models, behind one registry.

Each metric is a small dataclass (its fields are its settings) in a module of its own; all
take (samples, features) data and reduce each model once (:mod:`.pairwise`).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from rnntool.analysis.similarity.base import Metric, compare
from rnntool.analysis.similarity.cka import LinearCKA
from rnntool.analysis.similarity.pairwise import distance_matrix, pairwise_distances
from rnntool.analysis.similarity.procrustes import Procrustes
from rnntool.analysis.similarity.pwcca import PWCCA
from rnntool.analysis.similarity.svcca import SVCCA
from rnntool.errors import ConfigError

METRICS: dict[str, type] = {}


def register_metric(cls: type) -> type:
    """Add a metric class to the registry under ``cls.name``."""
    METRICS[cls.name] = cls
    return cls


def make_metric(name: str, **settings: Any) -> Metric:
    """The metric registered as ``name``; settings it does not take, or None, are ignored."""
    try:
        cls = METRICS[name]
    except KeyError:
        raise ConfigError(f"unknown metric {name!r} (known: {', '.join(sorted(METRICS))})") from None
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in settings.items() if k in known and v is not None})


for _cls in (SVCCA, PWCCA, LinearCKA, Procrustes):
    register_metric(_cls)

__all__ = ["METRICS", "Metric", "compare", "distance_matrix", "make_metric", "pairwise_distances",
           "register_metric"]
