"""Per-model SVD reduction used by the CCA-family metrics.

The thin SVD X − mean = U S Vᵀ comes from the eigendecomposition of the smaller of the
two covariance matrices (features × features when there are fewer features than samples),
which is several times cheaper than an SVD of the data and agrees with it to rounding for
every component kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from rnntool.errors import ConfigError


@dataclass(frozen=True)
class Reduction:
    """Centred data X = basis · diag(scales) · loadings, components in decreasing order.

    basis (samples, k) has orthonormal columns; scales (k,) are singular values;
    loadings (k, features) are the right singular vectors (rows).
    """

    basis: np.ndarray
    scales: np.ndarray
    loadings: np.ndarray


@dataclass(frozen=True)
class Centred:
    """Centred data (samples, features) and the norms the metrics divide by, each computed
    on first use (a batched K × K route may never need them)."""

    x: np.ndarray

    @cached_property
    def frobenius(self) -> float:
        """‖X‖_F (Procrustes)."""
        return float(np.linalg.norm(self.x))

    @cached_property
    def gram_norm(self) -> float:
        """‖XᵀX‖_F = ‖XXᵀ‖_F (CKA)."""
        return float(np.linalg.norm(self.x.T @ self.x))


def centred(x: np.ndarray) -> np.ndarray:
    """Data as float64 with each feature's mean over samples removed."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or min(x.shape) < 1:
        raise ConfigError(f"expected a (samples, features) matrix, got shape {x.shape}")
    return x - x.mean(axis=0)


def check_truncation(keep: float, components: int | None) -> None:
    """Raise ConfigError unless ``keep`` lies in (0, 1] and ``components`` is None or ≥ 1."""
    if not 0.0 < keep <= 1.0:
        raise ConfigError(f"the variance fraction to keep must lie in (0, 1], got {keep}")
    if components is not None and components < 1:
        raise ConfigError(f"the number of components must be ≥ 1, got {components}")


def reduce(x: np.ndarray, keep: float = 1.0, components: int | None = None) -> Reduction:
    """SVD of the centred data keeping the leading components.

    ``components`` fixes their number; otherwise the fewest that explain at least ``keep``
    of the variance are kept (``keep = 1`` keeps every numerically non-zero component).
    """
    check_truncation(keep, components)
    xc = centred(x)
    samples, features = xc.shape
    if features <= samples:
        power, vecs = np.linalg.eigh(xc.T @ xc)
        power, vecs = power[::-1], vecs[:, ::-1]
    else:
        power, left = np.linalg.eigh(xc @ xc.T)
        power, left = power[::-1], left[:, ::-1]
    rank = int(np.sum(power > power[0] * max(xc.shape) * np.finfo(float).eps)) if power[0] > 0 else 0
    if rank == 0:
        raise ConfigError("the activity has no variance: every sample is the same")
    power = power[:rank]
    if components is not None:
        k = min(components, rank)
    elif keep >= 1.0:
        k = rank
    else:
        k = int(np.searchsorted(np.cumsum(power) / power.sum(), keep) + 1)
        k = min(k, rank)
    scales = np.sqrt(power[:k])
    if features <= samples:
        loadings = vecs[:, :k].T
        basis = (xc @ loadings.T) / scales
    else:
        basis = left[:, :k]
        loadings = (basis.T @ xc) / scales[:, None]
    return Reduction(basis, scales, loadings)

