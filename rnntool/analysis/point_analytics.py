"""Linearisation of a dynamical system around given points: Jacobians, spectra, eigenvectors,
stability.

Every analysis reads the network through its :class:`~rnntool.network.DynamicalSystem` view,
the map x_{t+1} = F(x_t, u_t) of any cell:

- the **map** Jacobian is J = ∂F/∂x (the cell's own, analytic or autograd), eigenvalues λ;
  the map is stable where every |λ| < 1, with time constants −1/ln|λ| in steps;
- for continuous-time cells (a time scale α = dt/τ, F = x + α·f) the **flow** Jacobian is
  A = (J − I)/(α·τ), eigenvalues μ = (λ − 1)/α in units of 1/τ, stable where Re μ < 0, with
  time constants −1/Re μ in units of τ. Discrete maps (GRU, LSTM, the tanh RNN) have no
  flow, and its quantities are None.

Map stability implies flow stability; the two differ only for eigenvalues outside the unit
circle with Re λ < 1, where the Euler discretisation is unstable although the flow is
stable — possible only for large α. With the task's step length ``dt_ms`` both kinds of time
constant convert to milliseconds (one step lasts α·τ = dt_ms).

Eigen-decompositions run in float64 with NumPy's batched routines, not torch's batched
solvers (which can hang at N ≥ 256 with several threads).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rnntool.network import DynamicalSystem, Network


class Spectrum:
    """Stability read off map eigenvalues λ (P, N) and α (None or NaN for discrete maps);
    shared by every point container."""

    eigenvalues: np.ndarray
    alpha: float | None

    @property
    def has_flow(self) -> bool:
        """Whether the system is a discretised flow (it has a time scale α)."""
        return self.alpha is not None and np.isfinite(self.alpha)

    @property
    def flow_eigenvalues(self) -> np.ndarray | None:
        """Eigenvalues μ = (λ − 1)/α of the continuous flow, in units of 1/τ (None without α)."""
        return (self.eigenvalues - 1.0) / self.alpha if self.has_flow else None

    @property
    def n_unstable(self) -> np.ndarray:
        """Number of unstable directions of the map, |λ| > 1 (P,)."""
        return (np.abs(self.eigenvalues) > 1.0).sum(-1)

    @property
    def n_unstable_flow(self) -> np.ndarray | None:
        """Number of unstable directions of the flow, Re μ > 0 (P,); None without α."""
        return (self.flow_eigenvalues.real > 0.0).sum(-1) if self.has_flow else None

    @property
    def stable_map(self) -> np.ndarray:
        return np.abs(self.eigenvalues).max(-1) < 1.0

    @property
    def stable_flow(self) -> np.ndarray | None:
        """Stable as a continuous flow, Re μ < 0 (P,); None without α."""
        return self.flow_eigenvalues.real.max(-1) < 0.0 if self.has_flow else None

    @property
    def time_constants(self) -> np.ndarray | None:
        """Flow time constants −1/Re μ in units of τ (negative for growing modes) (P, N);
        None without α."""
        if not self.has_flow:
            return None
        with np.errstate(divide="ignore"):
            return -1.0 / self.flow_eigenvalues.real

    @property
    def map_time_constants(self) -> np.ndarray:
        """Map time constants −1/ln|λ| in steps (negative for growing modes) (P, N)."""
        with np.errstate(divide="ignore"):
            return -1.0 / np.log(np.abs(self.eigenvalues))

    def map_time_constants_ms(self, dt_ms: float) -> np.ndarray:
        """Map time constants in milliseconds for a task step of ``dt_ms`` (P, N)."""
        return self.map_time_constants * dt_ms

    def time_constants_ms(self, dt_ms: float) -> np.ndarray | None:
        """Flow time constants in milliseconds (τ = dt_ms/α) (P, N); None without α."""
        tau = self.time_constants
        return None if tau is None else tau * (dt_ms / self.alpha)


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
        alpha: the system's α = dt/τ, None for a discrete map.
    """

    x: np.ndarray
    u: np.ndarray
    q: np.ndarray
    jacobian: np.ndarray
    eigenvalues: np.ndarray
    right: np.ndarray
    left: np.ndarray
    alpha: float | None


def _as_batch(system: DynamicalSystem, values: np.ndarray | torch.Tensor,
              width: int) -> torch.Tensor:
    arr = torch.as_tensor(np.array(values, dtype=np.float64)).reshape(-1, width)
    return arr.to(system.device)


def float64_network(system: DynamicalSystem | Network) -> DynamicalSystem:
    """The same system (member 0 of a network) evaluated in float64."""
    return DynamicalSystem.of(system).float64()


def residuals(system: DynamicalSystem | Network, x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """F(x, u) − x for P points, in float64: (P, S)."""
    ds = float64_network(system)
    xt = _as_batch(ds, x, ds.state_size)
    ut = _as_batch(ds, u, ds.input_size)
    with torch.no_grad():
        return (ds.step(xt, ut) - xt).cpu().numpy()


def map_jacobians(system: DynamicalSystem | Network, x: np.ndarray,
                  u: np.ndarray | None = None) -> np.ndarray:
    """∂F/∂x at P points in float64, (P, S, S) (inputs matter for gated cells)."""
    ds = float64_network(system)
    xt = _as_batch(ds, x, ds.state_size)
    ut = None if u is None else _as_batch(ds, np.broadcast_to(
        np.asarray(u, np.float64).reshape(-1, ds.input_size), (xt.shape[0], ds.input_size)),
        ds.input_size)
    with torch.no_grad():
        return ds.jacobian_state(xt, ut).cpu().numpy()


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


def analyse_points(system: DynamicalSystem | Network, x: np.ndarray,
                   u: np.ndarray) -> PointAnalytics:
    """Linearise the system at P points ``x`` (P, S) with inputs ``u`` (P, n_in)."""
    ds = DynamicalSystem.of(system)
    x = np.asarray(x, dtype=np.float64).reshape(-1, ds.state_size)
    u = np.broadcast_to(np.asarray(u, dtype=np.float64).reshape(-1, ds.input_size),
                        (x.shape[0], ds.input_size)).copy()
    r = residuals(ds, x, u)
    jac = map_jacobians(ds, x, u)
    values, right, left = eigen_sorted(jac)
    return PointAnalytics(x, u, 0.5 * (r ** 2).sum(-1), jac, values, right, left, ds.alpha)


def point_analytics(system: DynamicalSystem | Network, x: np.ndarray,
                    u: np.ndarray) -> PointAnalytics:
    """Analytics of one point ``x`` (S,) under constant input ``u`` (n_in,); arrays keep P = 1."""
    return analyse_points(system, np.asarray(x)[None], np.asarray(u)[None])
