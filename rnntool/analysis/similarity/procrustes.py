"""Angular Procrustes shape distance (Williams et al. 2021; netrep's LinearMetric with α = 1):
arccos of max over orthogonal Q of ⟨X, YQ⟩ / (‖X‖‖Y‖), a metric on centred data up to rotation
and isotropic scaling.

The maximum is the nuclear norm of XᵀY (unit counts may differ: this equals zero-padding the
smaller model). It is computed from the centred data themselves, not from a truncated
reduction, so it equals netrep's value to rounding even for low-rank activity; a whole
K × K matrix takes one matrix product per model (against all later models at once) and,
per pair, the singular values of the N × N cross product, batched by shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import numpy as np

from rnntool.analysis.similarity.reduction import Centred, centred


@dataclass
class Procrustes:
    """Angular Procrustes distance between centred, norm-scaled representations."""

    name: ClassVar[str] = "procrustes"
    is_metric: ClassVar[bool] = True
    invariances: ClassVar[tuple[str, ...]] = ("rotation", "permutation", "scaling", "offset")

    def prepare(self, x: np.ndarray) -> Centred:
        return Centred(centred(x))

    def distance(self, a: Centred, b: Centred) -> float:
        nuclear = np.linalg.svd(a.x.T @ b.x, compute_uv=False).sum()
        return _angle(nuclear, a, b)

    def distance_matrix(self, prepared: Sequence[Centred]) -> np.ndarray:
        """All pairwise distances: one product per model against the later ones, then the
        singular values of every pair's cross product, batched by shape."""
        k = len(prepared)
        stacked = np.concatenate([p.x for p in prepared], axis=1)
        ends = np.cumsum([p.x.shape[1] for p in prepared])
        out = np.zeros((k, k))
        for i in range(k - 1):
            block = prepared[i].x.T @ stacked[:, ends[i]:]
            pieces = np.split(block, ends[i + 1:-1] - ends[i], axis=1)
            for shape in {p.shape for p in pieces}:
                which = [j for j, p in enumerate(pieces) if p.shape == shape]
                values = np.linalg.svd(np.stack([pieces[j] for j in which]), compute_uv=False)
                for j, nuclear in zip(which, values.sum(-1)):
                    out[i, i + 1 + j] = _angle(nuclear, prepared[i], prepared[i + 1 + j])
        return out + out.T

    def parameters(self) -> dict[str, Any]:
        return {}


def _angle(nuclear: float, a: Centred, b: Centred) -> float:
    return float(np.arccos(np.clip(nuclear / (a.frobenius * b.frobenius), -1.0, 1.0)))
