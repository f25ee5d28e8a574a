"""Angular linear CKA (Kornblith et al. 2019; netrep's LinearCKA): the angle between the
centred Gram matrices XXᵀ and YYᵀ, arccos(CKA), which is a metric.

CKA = ⟨XXᵀ, YYᵀ⟩ / (‖XXᵀ‖_F ‖YYᵀ‖_F) with ⟨XXᵀ, YYᵀ⟩ = ‖XᵀY‖²_F. A whole K × K matrix
takes one of two exact routes, whichever needs fewer multiply-adds (S samples, N_i units):

- the samples' Gram matrices, roughly when the models together have more units than there
  are samples: each model's XXᵀ is formed once, upper tiles only (≈ K·S²·N/2), and every
  inner product ⟨XᵢXᵢᵀ, XⱼXⱼᵀ⟩ comes out of one symmetric product per tile (≈ K²·S²/4);
- the units' cross products otherwise: ‖XᵢᵀXⱼ‖² are the squared blocks of ZᵀZ for the
  stacked Z = [X₁ … X_K] (≈ S·(ΣN)²/2).

Kornblith et al.'s per-pair form costs 2·S·N² per pair (XᵀY, plus XᵀX and YᵀY, which NumPy
computes as symmetric products). For 40 models × 2000 samples × 256 units that is 409 GFLOP
against the Gram route's 45: at most ≈ 9× at equal GEMM speed, with no exact route cheaper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import numpy as np

from rnntool.analysis.similarity.reduction import Centred, centred

#: Edge of the Gram tiles: 400–500 measured fastest for 2000 samples × 256 units (250 and 667
#: were 5–10 % slower), cut down so that the K tiles fit ``TILE_BYTES``.
TILE = 500
TILE_BYTES = 128 * 2 ** 20
#: The inner products of the tiles (K × tile² by its transpose) run at about half the GEMM
#: rate — OpenBLAS packs every element for only K/2 multiply-adds — so the route choice
#: counts them twice.
INNER_PRODUCT_COST = 2.0


@dataclass
class LinearCKA:
    """arccos of linear centred kernel alignment."""

    name: ClassVar[str] = "cka"
    is_metric: ClassVar[bool] = True
    invariances: ClassVar[tuple[str, ...]] = ("rotation", "permutation", "scaling", "offset")

    def prepare(self, x: np.ndarray) -> Centred:
        return Centred(centred(x))

    def distance(self, a: Centred, b: Centred) -> float:
        alignment = np.linalg.norm(a.x.T @ b.x) ** 2 / (a.gram_norm * b.gram_norm)
        return float(np.arccos(np.clip(alignment, 0.0, 1.0)))

    def distance_matrix(self, prepared: Sequence[Centred]) -> np.ndarray:
        """All pairwise distances at once, by the cheaper exact route."""
        inner = cka_inner_products([p.x for p in prepared])
        norms = np.sqrt(np.diag(inner))
        alignment = np.clip(inner / np.outer(norms, norms), 0.0, 1.0)
        out = np.arccos(alignment)
        np.fill_diagonal(out, 0.0)
        return out

    def parameters(self) -> dict[str, Any]:
        return {}


def cka_inner_products(data: Sequence[np.ndarray]) -> np.ndarray:
    """⟨XᵢXᵢᵀ, XⱼXⱼᵀ⟩_F = ‖XᵢᵀXⱼ‖²_F for every pair of centred (samples, features_i)
    matrices (K × K), by the route that needs fewer multiply-adds."""
    if gram_route_is_cheaper(data[0].shape[0], [x.shape[1] for x in data]):
        return gram_inner_products(data)
    return cross_product_norms(data)


def gram_route_is_cheaper(samples: int, units: Sequence[int]) -> bool:
    """Whether the samples' Gram matrices cost fewer multiply-adds than the cross products."""
    k = len(units)
    gram = samples ** 2 * (sum(units) + INNER_PRODUCT_COST * k ** 2 / 2) / 2
    return gram < samples * sum(units) ** 2 / 2


def gram_tile(models: int) -> int:
    """Edge of the Gram tiles for ``models`` models (:data:`TILE`, smaller if K tiles would
    exceed :data:`TILE_BYTES`)."""
    return max(64, min(TILE, int(np.sqrt(TILE_BYTES / (8 * models)))))


def cross_product_norms(data: Sequence[np.ndarray]) -> np.ndarray:
    """‖XᵢᵀXⱼ‖²_F from one symmetric product ZᵀZ of the stacked data, summed by blocks."""
    stacked = np.concatenate(data, axis=1)
    squares = np.square(stacked.T @ stacked)
    starts = np.cumsum([0] + [x.shape[1] for x in data[:-1]])
    return np.add.reduceat(np.add.reduceat(squares, starts, axis=0), starts, axis=1)


def gram_inner_products(data: Sequence[np.ndarray], tile: int | None = None) -> np.ndarray:
    """⟨XᵢXᵢᵀ, XⱼXⱼᵀ⟩_F for every pair from the samples' Gram matrices (K × K).

    A Gram matrix is symmetric, so only its upper tiles are formed: the square ones on the
    diagonal as symmetric products, the ones right of it as plain products, counted twice
    for their mirror images. After each tile position, the K tiles' inner products come out
    of one product of the flattened tiles with their own transpose. Memory: one buffer of
    K tiles.
    """
    k, samples = len(data), data[0].shape[0]
    tile = min(tile or gram_tile(k), samples)
    edges = list(range(0, samples, tile)) + [samples]
    out = np.zeros((k, k))
    buffer = np.empty(k * tile * tile)
    for row, (r0, r1) in enumerate(zip(edges[:-1], edges[1:])):
        for c0, c1 in zip(edges[row:-1], edges[row + 1:]):
            tiles = buffer[:k * (r1 - r0) * (c1 - c0)].reshape(k, r1 - r0, c1 - c0)
            for x, piece in zip(data, tiles):
                rows = x[r0:r1]
                np.matmul(rows, rows.T if c0 == r0 else x[c0:c1].T, out=piece)
            flat = tiles.reshape(k, -1)
            out += (flat @ flat.T) * (1.0 if c0 == r0 else 2.0)
    return out
