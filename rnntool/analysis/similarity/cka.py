"""Angular linear CKA (Kornblith et al. 2019; netrep's LinearCKA): the angle between the
centred Gram matrices XXᵀ and YYᵀ, arccos(CKA), which is a metric.

With X = U S Vᵀ, ⟨XXᵀ, YYᵀ⟩ = ‖S_a U_aᵀ U_b S_b‖²_F and ‖XXᵀ‖_F = ‖s_a²‖, so each pair costs
one small product of the per-model reductions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from rnntool.analysis.similarity.reduction import Reduction, cross_product, reduce


@dataclass
class LinearCKA:
    """arccos of linear centred kernel alignment."""

    name: ClassVar[str] = "cka"
    is_metric: ClassVar[bool] = True
    invariances: ClassVar[tuple[str, ...]] = ("rotation", "permutation", "scaling", "offset")

    def prepare(self, x: np.ndarray) -> Reduction:
        return reduce(x)

    def distance(self, a: Reduction, b: Reduction) -> float:
        cross = cross_product(a, b)
        norms = np.linalg.norm(a.scales ** 2) * np.linalg.norm(b.scales ** 2)
        alignment = np.sum(cross ** 2) / norms
        return float(np.arccos(np.clip(alignment, 0.0, 1.0)))

    def parameters(self) -> dict[str, Any]:
        return {}
