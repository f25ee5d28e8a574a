"""PWCCA distance (Morcos et al. 2018): canonical correlations weighted by how much of each
model's units they account for.

The weight of canonical direction i for model a is Σ_j |⟨h_i, x_j⟩| over a's units x_j
(h_i the canonical variate), normalised to sum to 1. The original measure uses one model's
weights and is asymmetric; here the two directions are averaged so that d(a, b) = d(b, a).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from rnntool.analysis.similarity.reduction import Reduction, check_truncation, reduce


def _weighted(rho: np.ndarray, directions: np.ndarray, model: Reduction) -> float:
    # hᵢᵀ X = directionsᵢᵀ Uᵀ U S Vᵀ = directionsᵢᵀ S Vᵀ
    weights = np.abs(directions.T @ (model.scales[:, None] * model.loadings)).sum(axis=1)
    return float(weights @ rho / weights.sum())


@dataclass
class PWCCA:
    """1 − projection-weighted mean canonical correlation, symmetrised."""

    keep: float = 0.95
    components: int | None = None

    name: ClassVar[str] = "pwcca"
    is_metric: ClassVar[bool] = False
    invariances: ClassVar[tuple[str, ...]] = ("permutation", "scaling", "offset")

    def __post_init__(self) -> None:
        check_truncation(self.keep, self.components)

    def prepare(self, x: np.ndarray) -> Reduction:
        return reduce(x, self.keep, self.components)

    def distance(self, a: Reduction, b: Reduction) -> float:
        left, rho, right_t = np.linalg.svd(a.basis.T @ b.basis, full_matrices=False)
        rho = np.clip(rho, 0.0, 1.0)
        return float(1.0 - 0.5 * (_weighted(rho, left, a) + _weighted(rho, right_t.T, b)))

    def parameters(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}
