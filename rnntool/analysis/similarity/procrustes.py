"""Angular Procrustes shape distance (Williams et al. 2021; netrep's LinearMetric with α = 1):
arccos of max over orthogonal Q of ⟨X, YQ⟩ / (‖X‖‖Y‖), a metric on centred data up to rotation
and isotropic scaling.

The maximum is the nuclear norm of XᵀY (unit counts may differ: this equals zero-padding the
smaller model). With X = U S Vᵀ it is the nuclear norm of C = S_a U_aᵀ U_b S_b: each model is
reduced once, and a whole K × K matrix takes one matrix product per model (against all later
models at once) and, per pair, the singular values of the small C.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

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
        nuclear = np.linalg.svd(cross_product(a, b), compute_uv=False).sum()
        return _angle(nuclear, a, b)

    def distance_matrix(self, prepared: Sequence[Reduction]) -> np.ndarray:
        """All pairwise distances: one product per model against the later ones, then the
        singular values of every pair's cross product, batched by shape."""
        k = len(prepared)
        weighted = np.concatenate([p.basis * p.scales for p in prepared], axis=1)
        ends = np.cumsum([p.scales.size for p in prepared])
        starts = np.concatenate([[0], ends[:-1]])
        out = np.zeros((k, k))
        for i in range(k - 1):
            block = weighted[:, starts[i]:ends[i]].T @ weighted[:, ends[i]:]
            pieces = np.split(block, ends[i + 1:-1] - ends[i], axis=1)
            for shape in {p.shape for p in pieces}:
                which = [j for j, p in enumerate(pieces) if p.shape == shape]
                values = np.linalg.svd(np.stack([pieces[j] for j in which]), compute_uv=False)
                for j, nuclear in zip(which, values.sum(-1)):
                    out[i, i + 1 + j] = _angle(nuclear, prepared[i], prepared[i + 1 + j])
        return out + out.T

    def parameters(self) -> dict[str, Any]:
        return {}


def _angle(nuclear: float, a: Reduction, b: Reduction) -> float:
    cosine = nuclear / (np.linalg.norm(a.scales) * np.linalg.norm(b.scales))
    return float(np.arccos(np.clip(cosine, -1.0, 1.0)))
