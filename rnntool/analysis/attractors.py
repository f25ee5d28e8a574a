"""Tracing line and ring attractors: slow points on hyperplanes across the attractor.

A continuous attractor is a curve of (nearly) fixed points. Unconstrained fixed-point
searches find a few of its points at random places; tracing instead places ``n_points``
evenly (by arc length) along a curve through ordered *anchor* states (states the network
settles in after trials of different conditions, relaxed under the constant input) and
minimises the speed q(x) = ½‖F(x, u) − x‖² of every point on the hyperplane through it
orthogonal to the curve's local tangent, so the points cannot slide together along the
attractor. This follows the line-attractor analysis of the engellab pipeline, with its
defects fixed: a polyline through many anchors instead of a straight segment between two
ends (curved attractors), closed curves (rings), anchors relaxed with the stimulus off,
analytic Jacobians, batched Levenberg–Marquardt steps for all points at once, and one
pass of re-centring the tangents on the points found. A hyperplane is N − 1 dimensional and
may hold slow regions far from the curve (another branch, the other decision): every point
stays within ``reach`` point spacings of where its pass started it, so a trace never
zigzags between distant regions; a point held at that limit keeps its (large) speed q,
which the trace reports, instead of jumping away.

At every traced point the linearisation is analysed: flow eigenvalues μ = (λ − 1)/α
sorted by descending real part, the principal right and left eigenvectors (of the largest
Re μ) oriented consistently along the attractor, and a class per point: **marginal** when
|max Re μ| ≤ ``eig_tol`` (a point on a continuous attractor), stable below −eig_tol,
unstable above. For maps without a time scale (α = None) the same is done with
ln|λ| in place of Re μ.

Everything here uses a minimal view of a network (:class:`MapView`: F(x, u) and ∂F/∂x on
batches), so any cell with those two functions can be traced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor

from rnntool.errors import ConfigError

CLASSES = ("stable", "marginal", "unstable")


@dataclass
class MapView:
    """A network as a map on batches: ``step(x, u)`` → F(x, u) (B, N) and ``jacobian(x, u)``
    → ∂F/∂x (B, N, N), in float64; ``alpha`` = dt/τ, or None for a discrete map."""

    step: Callable[[Tensor, Tensor], Tensor]
    jacobian: Callable[[Tensor, Tensor], Tensor]
    alpha: float | None
    n_state: int
    n_in: int


def view_of(system: Any) -> MapView:
    """The :class:`MapView` of a network (member 0) or a dynamical-system view, in float64.

    The view takes and returns CPU tensors (the tracing's linear algebra runs in NumPy); a
    network on another device evaluates its map there.
    """
    from rnntool.network.system import DynamicalSystem
    view = DynamicalSystem.of(system).float64()
    device = torch.device(view.device)
    if device.type == "cpu":
        return MapView(view.step, view.jacobian_state, view.alpha, view.state_size,
                       view.input_size)

    def step(x: Tensor, u: Tensor) -> Tensor:
        return view.step(x.to(device), u.to(device)).cpu()

    def jacobian(x: Tensor, u: Tensor) -> Tensor:
        return view.jacobian_state(x.to(device), u.to(device)).cpu()

    return MapView(step, jacobian, view.alpha, view.state_size, view.input_size)


@torch.no_grad()
def run(view: MapView, x0: Tensor, inputs: Tensor) -> Tensor:
    """States after each step under ``inputs`` (B, T, n_in) from x0 (B, N): (B, T, N)."""
    x, out = x0.double(), []
    for t in range(inputs.shape[1]):
        x = view.step(x, inputs[:, t].double())
        out.append(x)
    return torch.stack(out, 1)


@torch.no_grad()
def relax(view: MapView, x: Tensor, u: Tensor, steps: int) -> Tensor:
    """``steps`` steps of F(·, u) from every state of x (B, N) under one constant u (n_in,)."""
    x, u = x.double(), u.double().expand(x.shape[0], -1)
    for _ in range(steps):
        x = view.step(x, u)
    return x


@dataclass
class Trace:
    """Slow points traced along an attractor, in order along it.

    Attributes:
        points: (P, N) slow points; ``u``: the constant input (n_in,).
        q: ½‖F(x, u) − x‖² at each point (P,); ``arc``: arc length from the first point (P,).
        tangent: unit tangent of the attractor at each point (P, N).
        eigenvalues: map eigenvalues λ sorted by descending Re μ (flow) (P, N), complex.
        right, left: principal right and left eigenvectors (P, N), real parts, oriented
            consistently along the attractor and with left·right > 0.
        growth: max Re μ (or max ln|λ| without a time scale) per point (P,).
        kind: 0 stable, 1 marginal, 2 unstable (:data:`CLASSES`) (P,).
        eig_tol: the tolerance of the marginal class; ``closed``: a ring.
    """

    points: np.ndarray
    u: np.ndarray
    q: np.ndarray
    arc: np.ndarray
    tangent: np.ndarray
    eigenvalues: np.ndarray
    right: np.ndarray
    left: np.ndarray
    growth: np.ndarray
    kind: np.ndarray
    eig_tol: float
    closed: bool
    alpha: float | None

    @property
    def speed(self) -> np.ndarray:
        """‖F(x) − x‖ per step at each point (P,)."""
        return np.sqrt(2 * self.q)

    @property
    def alignment(self) -> np.ndarray:
        """|cos| between the principal right eigenvector and the tangent (P,): near 1 when
        the slowest mode runs along the attractor."""
        r = self.right / np.linalg.norm(self.right, axis=1, keepdims=True)
        return np.abs((r * self.tangent).sum(1))

    def counts(self) -> dict[str, int]:
        return {name: int((self.kind == i).sum()) for i, name in enumerate(CLASSES)}


def order_anchors(anchors: np.ndarray, closed: bool) -> np.ndarray:
    """Anchors in order along the attractor: by PC1 for a line, by angle in the PC1–PC2
    plane around their centroid for a ring."""
    centred = anchors - anchors.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    if closed:
        if vt.shape[0] < 2:
            raise ConfigError("a ring needs anchors spanning at least two dimensions")
        key = np.arctan2(centred @ vt[1], centred @ vt[0])
    else:
        key = centred @ vt[0]
    return anchors[np.argsort(key, kind="stable")]


def resample(curve: np.ndarray, n_points: int, closed: bool) -> tuple[np.ndarray, np.ndarray]:
    """``n_points`` points evenly spaced by arc length along a polyline, and unit tangents."""
    nodes = np.concatenate([curve, curve[:1]]) if closed else curve
    seg = np.linalg.norm(np.diff(nodes, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    if cum[-1] <= 0:
        raise ConfigError("the anchors of the attractor all coincide: nothing to trace")
    s = np.linspace(0.0, cum[-1], n_points, endpoint=not closed)
    points = np.stack([np.interp(s, cum, nodes[:, j]) for j in range(nodes.shape[1])], 1)
    return points, tangents(points, closed)


def tangents(points: np.ndarray, closed: bool) -> np.ndarray:
    """Unit tangents by central differences (one-sided at the ends of a line)."""
    if closed:
        diff = np.roll(points, -1, 0) - np.roll(points, 1, 0)
    else:
        diff = np.gradient(points, axis=0)
    return diff / np.maximum(np.linalg.norm(diff, axis=1, keepdims=True), 1e-300)


def constrained_slow_points(view: MapView, start: np.ndarray, normal: np.ndarray, u: np.ndarray,
                            iters: int = 200, tol_q: float = 1e-20, radius: float = math.inf
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Minimise q on the hyperplanes {x : nᵢ·(x − startᵢ) = 0} within ``radius`` of startᵢ,
    all points at once.

    Levenberg–Marquardt steps restricted to the hyperplane: with A = J − I, residual r and
    the projector P = I − n nᵀ, δ solves (P AᵀA P + λI) δ = −P Aᵀ r (δ ⟂ n for λ > 0); a
    step that would leave the ball is pulled back to its surface along the hyperplane; λ
    shrinks after a step that lowers q and grows otherwise, per point.
    """
    origin = torch.as_tensor(start, dtype=torch.float64)
    x = origin.clone()
    n = torch.as_tensor(normal, dtype=torch.float64)
    uu = torch.as_tensor(u, dtype=torch.float64).reshape(1, -1).expand(x.shape[0], -1)
    eye = torch.eye(x.shape[1], dtype=torch.float64)
    proj = eye - n[:, :, None] * n[:, None, :]
    damping = torch.full((x.shape[0],), 1e-3, dtype=torch.float64)

    def speed(points: Tensor) -> tuple[Tensor, Tensor]:
        r = view.step(points, uu) - points
        return r, 0.5 * (r ** 2).sum(1)

    with torch.no_grad():
        r, q = speed(x)
        for _ in range(iters):
            if bool((q <= tol_q).all()):
                break
            a = view.jacobian(x, uu) - eye
            pa = a @ proj
            lhs = (pa.transpose(1, 2) @ pa).numpy() + damping.numpy()[:, None, None] * eye.numpy()
            rhs = -(pa.transpose(1, 2) @ r[..., None]).numpy()
            delta = torch.from_numpy(np.linalg.solve(lhs, rhs)[..., 0])
            delta = delta - (delta * n).sum(1, keepdim=True) * n  # exact projection
            moved = x + delta - origin
            shrink = (radius / moved.norm(dim=1, keepdim=True).clamp_min(1e-300)).clamp(max=1.0)
            candidate = origin + moved * shrink
            r_new, q_new = speed(candidate)
            better = q_new < q
            x = torch.where(better[:, None], candidate, x)
            r = torch.where(better[:, None], r_new, r)
            q = torch.where(better, q_new, q)
            damping = torch.where(better, damping / 3, damping * 4).clamp(1e-12, 1e12)
    return x.numpy(), q.numpy()


def _principal(view: MapView, points: np.ndarray, u: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Eigenvalues sorted by descending growth rate, principal right/left eigenvectors, growth."""
    x = torch.as_tensor(points, dtype=torch.float64)
    uu = torch.as_tensor(u, dtype=torch.float64).reshape(1, -1).expand(x.shape[0], -1)
    with torch.no_grad():
        jac = view.jacobian(x, uu).numpy()
    values, right = np.linalg.eig(jac)
    if view.alpha is None:
        rate = np.log(np.maximum(np.abs(values), 1e-300))
    else:
        rate = (values.real - 1.0) / view.alpha
    order = np.argsort(-rate, axis=1, kind="stable")
    values = np.take_along_axis(values, order, 1)
    right = np.take_along_axis(right, order[:, None, :], 2)
    left = np.linalg.inv(right)[:, 0, :]
    return values, right[:, :, 0].real, left.real, np.take_along_axis(rate, order, 1)[:, 0]


def orient(vectors: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Signs flipped so neighbours along the attractor agree and the mean projection on
    ``reference`` (tangents) is non-negative."""
    dots = (vectors[1:] * vectors[:-1]).sum(1)
    signs = np.concatenate([[1.0], np.cumprod(np.where(dots < 0, -1.0, 1.0))])
    vectors = vectors * signs[:, None]
    if (vectors * reference).sum() < 0:
        vectors = -vectors
    return vectors


def trace_attractor(view: MapView, anchors: np.ndarray, u: np.ndarray, closed: bool = False,
                    n_points: int = 31, eig_tol: float = 1e-2, iters: int = 200,
                    passes: int = 2, reach: float = 4.0) -> Trace:
    """Trace the line (``closed=False``) or ring attractor through ``anchors`` (M, N) under
    the constant input ``u`` (n_in,); see the module docstring.

    ``eig_tol`` is in units of 1/τ (flow growth rate) for continuous-time networks;
    ``reach`` is how far a point may move in one pass, in spacings of the pass's points.
    """
    anchors = np.asarray(anchors, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64).reshape(-1)
    if anchors.ndim != 2 or anchors.shape[1] != view.n_state or u.shape[0] != view.n_in:
        raise ConfigError("anchors must be (M, N) states and u one input vector of the network")
    if anchors.shape[0] < (3 if closed else 2):
        raise ConfigError(f"a {'ring' if closed else 'line'} needs at least "
                          f"{3 if closed else 2} anchor states")
    if n_points < 3:
        raise ConfigError(f"n_points must be ≥ 3, got {n_points}")
    if eig_tol < 0:
        raise ConfigError(f"eig_tol must be ≥ 0, got {eig_tol}")
    if not reach > 0:
        raise ConfigError(f"reach must be > 0 point spacings, got {reach}")
    curve = order_anchors(anchors, closed)
    for _ in range(max(passes, 1)):
        start, normal = resample(curve, n_points, closed)
        spacing = np.linalg.norm(np.diff(start, axis=0), axis=1).mean()
        points, q = constrained_slow_points(view, start, normal, u, iters, radius=reach * spacing)
        curve = points
    tangent = tangents(points, closed)
    values, right, left, growth = _principal(view, points, u)
    right = orient(right, tangent)
    left = left * np.where((left * right).sum(1) < 0, -1.0, 1.0)[:, None]
    kind = np.where(np.abs(growth) <= eig_tol, 1, np.where(growth < 0, 0, 2))
    steps = np.linalg.norm(np.diff(np.concatenate([points, points[:1]]) if closed else points,
                                   axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(steps)])[:n_points]
    return Trace(points, u, q, arc, tangent, values, right, left, growth, kind, float(eig_tol),
                 bool(closed), view.alpha)
