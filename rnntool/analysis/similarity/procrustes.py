"""Angular Procrustes shape distance (Williams et al. 2021; netrep's LinearMetric with α = 1):
arccos of max over orthogonal Q of ⟨X, YQ⟩ / (‖X‖‖Y‖), a metric on centred data up to rotation
and isotropic scaling.

The maximum is the nuclear norm of XᵀY (unit counts may differ: this equals zero-padding the
smaller model). With X = U S Vᵀ it is the nuclear norm of S_a U_aᵀ U_b S_b.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from rnntool.analysis.similarity.reduction import Reduction, cross_product, reduce


@dataclass
class Procrustes:
    """Angular Procrustes distance between centred, norm-scaled representations."""

    name: ClassVar[str] = "procrustes"
    is_metric: ClassVar[bool] = True
    invariances: ClassVar[tuple[str, ...]] = ("rotation", "permutation", "scaling", "offset")

    def prepare(self, x: np.ndarray) -> Reduction:
        return reduce(x)

    def distance(self, a: Reduction, b: Reduction) -> float:
        cross = cross_product(a, b)
        nuclear = np.linalg.svd(cross, compute_uv=False).sum()
        cosine = nuclear / (np.linalg.norm(a.scales) * np.linalg.norm(b.scales))
        return float(np.arccos(np.clip(cosine, -1.0, 1.0)))

    def parameters(self) -> dict[str, Any]:
        return {}
