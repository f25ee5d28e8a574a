"""Angular linear CKA (Kornblith et al. 2019; netrep's LinearCKA): the angle between the
centred Gram matrices XXᵀ and YYᵀ, arccos(CKA), which is a metric.

CKA = ⟨XXᵀ, YYᵀ⟩ / (‖XXᵀ‖_F ‖YYᵀ‖_F) with ⟨XXᵀ, YYᵀ⟩ = ‖XᵀY‖²_F. One pair costs one
product XᵀY; a whole K × K matrix is cheaper through the samples' Gram matrices: each
model's XXᵀ is formed once (block by block, using its symmetry) and every inner product
⟨XᵢXᵢᵀ, XⱼXⱼᵀ⟩ comes out of one matrix product of the flattened blocks, so the cost is
K·S²·N/2 + K²·S²/4 multiply-adds instead of 3·K²·S·N²/2 (S samples, N units;
Kornblith et al.'s per-pair form also recomputes XᵀX and YᵀY).
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


def gram_inner_products(data: Sequence[np.ndarray], block: int = 128) -> np.ndarray:
    """⟨XᵢXᵢᵀ, XⱼXⱼᵀ⟩_F for every pair of (samples, features_i) matrices (K × K).

    A Gram matrix is symmetric, so only its upper part is formed: band by band of
    ``block`` sample rows, the square tile on the diagonal and the rectangle to its right
    (counted twice, for its mirror image) — S²N/2 + S·block·N/2 multiply-adds per model
    instead of S²N. Each band's K × K inner products come out of one product of the
    flattened pieces with their own transpose (a symmetric rank-k update). Memory: one
    buffer of K·block·S values.
    """
    k, samples = len(data), data[0].shape[0]
    out = np.zeros((k, k))
    buffer = np.empty(k * block * samples)
    for r0 in range(0, samples, block):
        r1 = min(r0 + block, samples)
        b, rest = r1 - r0, samples - r1
        diag = buffer[:k * b * b].reshape(k, b, b)
        right = buffer[k * b * b:k * b * (b + rest)].reshape(k, b, rest)
        for i, x in enumerate(data):
            np.matmul(x[r0:r1], x[r0:r1].T, out=diag[i])
            np.matmul(x[r0:r1], x[r1:].T, out=right[i])
        flat = diag.reshape(k, -1)
        out += flat @ flat.T
        flat = right.reshape(k, -1)
        out += 2.0 * (flat @ flat.T)
    return out
