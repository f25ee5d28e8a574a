"""SVCCA distance (Raghu et al. 2017): 1 − mean canonical correlation of SVD-reduced activity.

Each model keeps the fewest SVD components explaining ``keep`` of its variance (McMahan et al. 2021:
95 %). The canonical correlations of two reduced data sets are the cosines of the principal
angles between their column spaces, i.e. the singular values of U_aᵀU_b.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from rnntool.analysis.similarity.reduction import Reduction, check_truncation, reduce


def canonical_correlations(a: Reduction, b: Reduction) -> np.ndarray:
    """The min(k_a, k_b) canonical correlations between two reductions, decreasing."""
    return np.clip(np.linalg.svd(a.basis.T @ b.basis, compute_uv=False), 0.0, 1.0)


@dataclass
class SVCCA:
    """1 − mean canonical correlation between the leading SVD subspaces."""

    keep: float = 0.95
    components: int | None = None

    name: ClassVar[str] = "svcca"
    is_metric: ClassVar[bool] = False
    invariances: ClassVar[tuple[str, ...]] = ("rotation", "permutation", "scaling", "offset")

    def __post_init__(self) -> None:
        check_truncation(self.keep, self.components)

    def prepare(self, x: np.ndarray) -> Reduction:
        return reduce(x, self.keep, self.components)

    def distance(self, a: Reduction, b: Reduction) -> float:
        return float(1.0 - canonical_correlations(a, b).mean())

    def parameters(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}
