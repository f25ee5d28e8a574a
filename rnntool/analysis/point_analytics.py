"""Linearisation of a network around given points: Jacobians, spectra, eigenvectors, stability.

The network's update is the Euler map F(x, u) = x + α·f(x, u) with
f(x, u) = −x + W_rec φ(x) + W_in u + b, so the continuous flow is τ·ẋ = f(x, u) and

- the **map** Jacobian is J = ∂F/∂x (from :meth:`CTRNN.jacobian_state`), eigenvalues λ;
- the **flow** Jacobian is A = ∂ẋ/∂x = (J − I)/(α·τ), eigenvalues μ = (λ − 1)/α in units of
  1/τ (τ, the units' time constant, is the model's time unit; one step lasts α·τ).

Stability of the map means |λ| < 1 for every eigenvalue; stability of the flow means
Re μ < 0, i.e. Re λ < 1. Map stability implies flow stability; the two differ only for
eigenvalues outside the unit circle with Re λ < 1 (complex pairs with large imaginary parts
or real λ < −1), where the Euler discretisation is unstable although the flow is stable —
possible only for large α. Time constants: −1/Re μ (units of τ) for the flow and
−1/ln|λ| (steps) for the map.

Eigen-decompositions run in float64 with NumPy's batched routines, not torch's batched
solvers (which can hang at N ≥ 256 with several threads).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rnntool.network.ctrnn import CTRNN


class Spectrum:
    """Stability read off map eigenvalues λ (P, N) and α; shared by every point container."""

    eigenvalues: np.ndarray
    alpha: float

    @property
    def flow_eigenvalues(self) -> np.ndarray:
        """Eigenvalues μ = (λ − 1)/α of the continuous flow, in units of 1/τ."""
        return (self.eigenvalues - 1.0) / self.alpha

    @property
    def n_unstable(self) -> np.ndarray:
        """Number of unstable directions of the map, |λ| > 1 (P,)."""
        return (np.abs(self.eigenvalues) > 1.0).sum(-1)

    @property
    def n_unstable_flow(self) -> np.ndarray:
        """Number of unstable directions of the flow, Re μ > 0 (P,)."""
        return (self.flow_eigenvalues.real > 0.0).sum(-1)

    @property
    def stable_map(self) -> np.ndarray:
        return np.abs(self.eigenvalues).max(-1) < 1.0

    @property
    def stable_flow(self) -> np.ndarray:
        return self.flow_eigenvalues.real.max(-1) < 0.0

    @property
    def time_constants(self) -> np.ndarray:
        """Flow time constants −1/Re μ in units of τ (negative for growing modes) (P, N)."""
        with np.errstate(divide="ignore"):
            return -1.0 / self.flow_eigenvalues.real

    @property
    def map_time_constants(self) -> np.ndarray:
        """Map time constants −1/ln|λ| in steps (negative for growing modes) (P, N)."""
        with np.errstate(divide="ignore"):
            return -1.0 / np.log(np.abs(self.eigenvalues))


@dataclass
class PointAnalytics(Spectrum):
    """The linearisation of a network at P points; eigen-quantities sorted by descending |λ|.

    Attributes:
        x, u: the points (P, N) and their constant inputs (P, n_in).
        q: ½‖F(x, u) − x‖² (P,).
        jacobian: map Jacobians J = ∂F/∂x (P, N, N).
        eigenvalues: map eigenvalues λ (P, N), complex.
        right: right eigenvectors, column i for λ_i: J r_i = λ_i r_i (P, N, N).
        left: left eigenvectors, column i for λ_i: l_iᵀ J = λ_i l_iᵀ, with l_iᵀ r_j = δ_ij.
        alpha: the network's α = dt/τ.
    """

    x: np.ndarray
    u: np.ndarray
    q: np.ndarray
    jacobian: np.ndarray
    eigenvalues: np.ndarray
    right: np.ndarray
    left: np.ndarray
    alpha: float

def _as_batch(net: CTRNN, values: np.ndarray | torch.Tensor, width: int) -> torch.Tensor:
    arr = torch.as_tensor(np.asarray(values, dtype=np.float64)).reshape(-1, width)
    return arr.to(net.device)


def float64_network(net: CTRNN) -> CTRNN:
    """The same network (member 0) evaluated in float64."""
    if net.members != 1:
        net = net.member(0)
    if net.dtype == torch.float64:
        return net
    return CTRNN(net.config.with_(dtype="float64"),
                 {k: v.detach() for k, v in net.params.items()}, net.device)


def residuals(net: CTRNN, x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """F(x, u) − x for P points, in float64: (P, N)."""
    net = float64_network(net)
    xt = _as_batch(net, x, net.config.n_rec)
    ut = _as_batch(net, u, net.config.n_in)
    with torch.no_grad():
        return (net.step(xt[None], ut[None])[0] - xt).cpu().numpy()


def map_jacobians(net: CTRNN, x: np.ndarray) -> np.ndarray:
    """∂F/∂x at P points in float64, (P, N, N)."""
    net = float64_network(net)
    xt = _as_batch(net, x, net.config.n_rec)
    with torch.no_grad():
        return net.jacobian_state(xt[None])[0].cpu().numpy()


def eigen_sorted(jacobians: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batched eigenvalues, right and left eigenvectors, sorted by descending |λ|.

    Left eigenvectors are the rows of R⁻¹ (so lᵢᵀ rⱼ = δᵢⱼ), returned as columns.
    """
    values, right = np.linalg.eig(jacobians)
    order = np.argsort(-np.abs(values), axis=-1, kind="stable")
    values = np.take_along_axis(values, order, -1)
    right = np.take_along_axis(right, order[:, None, :], -1)
    left = np.swapaxes(np.linalg.inv(right), -1, -2)
    return values, right, left


def analyse_points(net: CTRNN, x: np.ndarray, u: np.ndarray) -> PointAnalytics:
    """Linearise ``net`` at P points ``x`` (P, N) with inputs ``u`` (P, n_in)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1, net.config.n_rec)
    u = np.broadcast_to(np.asarray(u, dtype=np.float64).reshape(-1, net.config.n_in),
                        (x.shape[0], net.config.n_in)).copy()
    r = residuals(net, x, u)
    jac = map_jacobians(net, x)
    values, right, left = eigen_sorted(jac)
    return PointAnalytics(x, u, 0.5 * (r ** 2).sum(-1), jac, values, right, left,
                          float(net.config.alpha))


def point_analytics(net: CTRNN, x: np.ndarray, u: np.ndarray) -> PointAnalytics:
    """Analytics of one point ``x`` (N,) under constant input ``u`` (n_in,); arrays keep P = 1."""
    return analyse_points(net, np.asarray(x)[None], np.asarray(u)[None])
