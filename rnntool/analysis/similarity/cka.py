"""Angular linear CKA (Kornblith et al. 2019; netrep's LinearCKA): the angle between the
centred Gram matrices XXᵀ and YYᵀ, arccos(CKA), which is a metric.

CKA = ⟨XXᵀ, YYᵀ⟩ / (‖XXᵀ‖_F ‖YYᵀ‖_F) with ⟨XXᵀ, YYᵀ⟩ = ‖XᵀY‖²_F. One pair costs one
product XᵀY; a whole K × K matrix is cheaper through the samples' Gram matrices: each
model's XXᵀ is formed once (block by block, using its symmetry) and every inner product
⟨XᵢXᵢᵀ, XⱼXⱼᵀ⟩ comes out of one matrix product of the flattened blocks, so the cost is
K·S²·N + K²·S² instead of K²·S·N² (S samples, N units).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import numpy as np

from rnntool.analysis.similarity.reduction import Centred, centred


@dataclass
class LinearCKA:
    """arccos of linear centred kernel alignment."""

    name: ClassVar[str] = "cka"
    is_metric: ClassVar[bool] = True
    invariances: ClassVar[tuple[str, ...]] = ("rotation", "permutation", "scaling", "offset")

    def prepare(self, x: np.ndarray) -> Centred:
        xc = centred(x)
        return Centred(xc, float(np.linalg.norm(xc.T @ xc)))  # ‖XᵀX‖_F = ‖XXᵀ‖_F

    def distance(self, a: Centred, b: Centred) -> float:
        alignment = np.linalg.norm(a.x.T @ b.x) ** 2 / (a.norm * b.norm)
        return float(np.arccos(np.clip(alignment, 0.0, 1.0)))

    def distance_matrix(self, prepared: Sequence[Centred]) -> np.ndarray:
        """All pairwise distances at once through the samples' Gram matrices."""
        inner = gram_inner_products([p.x for p in prepared])
        norms = np.sqrt(np.diag(inner))
        alignment = np.clip(inner / np.outer(norms, norms), 0.0, 1.0)
        out = np.arccos(alignment)
        np.fill_diagonal(out, 0.0)
        return out

    def parameters(self) -> dict[str, Any]:
        return {}


def gram_inner_products(data: Sequence[np.ndarray], block: int = 500) -> np.ndarray:
    """⟨XᵢXᵢᵀ, XⱼXⱼᵀ⟩_F for every pair of (samples, features_i) matrices (K × K).

    The S × S Gram matrices are built in ``block`` × ``block`` tiles on and above the
    diagonal (those below mirror them) for all models at once, so memory stays at
    K·block² values.
    """
    samples = data[0].shape[0]
    edges = list(range(0, samples, block))
    out = np.zeros((len(data), len(data)))
    for i, r0 in enumerate(edges):
        rows = [x[r0:r0 + block] for x in data]
        for c0 in edges[i:]:
            tiles = np.stack([(r @ x[c0:c0 + block].T).ravel() for r, x in zip(rows, data)])
            out += (1.0 if c0 == r0 else 2.0) * (tiles @ tiles.T)
    return out
