"""What every similarity metric provides: a per-model reduction and a distance between two.

Data are (samples, features): rows are the same probe samples for every model, columns
are units, whose number may differ between models. :meth:`Metric.prepare` does each
model's expensive work (centring, SVD) once, so a K × K matrix costs K reductions and
K(K − 1)/2 cheap comparisons instead of K(K − 1) decompositions. A metric may also offer
``distance_matrix(prepared)``, all K × K distances at once (batched over pairs), which
:func:`rnntool.analysis.similarity.distance_matrix` then uses.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

import numpy as np


class Metric(Protocol):
    """A dissimilarity between two representations of the same samples."""

    #: Registry name (similarity-repository style identifier).
    name: ClassVar[str]
    #: True when the distance satisfies the triangle inequality.
    is_metric: ClassVar[bool]
    #: Transformations of one representation that leave the distance unchanged:
    #: any of "rotation", "permutation", "scaling" (isotropic), "offset".
    invariances: ClassVar[tuple[str, ...]]

    def prepare(self, x: np.ndarray) -> Any:
        """Per-model reduction of data x (samples, features), computed once per model."""

    def distance(self, a: Any, b: Any) -> float:
        """Distance between two prepared representations."""

    def parameters(self) -> dict[str, Any]:
        """The settings that change the result (stored with the distances)."""


def compare(metric: Metric, x: np.ndarray, y: np.ndarray) -> float:
    """Distance between two raw representations (prepares both)."""
    return metric.distance(metric.prepare(x), metric.prepare(y))
