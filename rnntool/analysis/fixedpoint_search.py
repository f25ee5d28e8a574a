"""The fixed-point search itself, written against any map x ↦ F(x, u) with a Jacobian ∂F/∂x.

Three stages, each batched over every (initial state, input) pair:

1. :func:`descend` — Adam on q(x) = ½‖F(x, u) − x‖² with a *monotone* per-point step size:
   a step that does not lower q is rejected, that point's step halved and its moments
   restarted from its gradient (whose Adam direction always descends for a small enough
   step); an accepted step grows it by ``growth``. So q never rises and the step size
   settles instead of oscillating. Alone it finds slow points; before Newton it runs a
   short while only (a few hundred steps carry the starts into basins of roots).
2. :func:`newton_polish` — trust-region Newton (Powell's dogleg) on F(x, u) − x = 0 in
   float64, run until the residual falls below ``tol`` and a further step changes the
   point by rounding only, so two starts that reach the same root end at the same place
   to rounding; points stuck at a minimum of q that is no root stop early.
3. :func:`group_roots` — roots of one input are merged by where they converged (within
   the error left by their last Newton step), and roots joined by a path of roots (the
   residual at the midpoint of neighbouring roots is itself below ``tol``) form one
   continuous set — a line or ring attractor is one object, not thousands of points.

Linear algebra runs in NumPy (torch's batched solvers can hang at N ≥ 256 with several
threads); the map and its Jacobian are evaluated in torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from rnntool.runtime import tune_allocator

Step = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class MapSystem:
    """A discrete-time system under constant input, on batches of points.

    Attributes:
        step: F(x, u) for x (P, N) and u (P, n_in), returning (P, N); differentiable in x.
        jacobian: ∂F/∂x at (x, u), returning (P, N, N).
        device: where ``step`` and ``jacobian`` run; the NumPy-facing methods move their
            arrays there and back.
    """

    step: Step
    jacobian: Step
    device: torch.device = torch.device("cpu")

    def residual(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """F(x, u) − x in float64 (P, N)."""
        xt, ut = torch.from_numpy(x).to(self.device), torch.from_numpy(u).to(self.device)
        with torch.no_grad():
            return (self.step(xt, ut) - xt).cpu().numpy()

    def jacobian_minus_identity(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """∂F/∂x − I in float64 (P, N, N)."""
        xt, ut = torch.from_numpy(x).to(self.device), torch.from_numpy(u).to(self.device)
        with torch.no_grad():
            jac = self.jacobian(xt, ut).cpu()
        jac = np.array(jac.numpy(), dtype=np.float64)   # a copy: J may share a parameter's memory
        jac.reshape(len(x), -1)[:, ::x.shape[1] + 1] -= 1.0
        return jac


# stage 1: monotone Adam ----------------------------------------------------------------------
@dataclass
class Descent:
    """Outcome of :func:`descend`: final states, their q and the iterations run."""

    x: torch.Tensor
    q: torch.Tensor
    iterations: int


def _q_and_grad(system: MapSystem, x: torch.Tensor, u: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
    xg = x.detach().requires_grad_(True)
    r = system.step(xg, u) - xg
    q = 0.5 * (r * r).sum(-1)
    (grad,) = torch.autograd.grad(q.sum(), xg)
    return q.detach(), grad


def descend(system: MapSystem, x: torch.Tensor, u: torch.Tensor, max_iters: int,
            lr_init: float = 1.0, tol_q: float = 1e-12, tol_dq: float = 1e-20,
            growth: float = 1.2, compact_every: int = 25) -> Descent:
    """Minimise q for all points at once with monotone per-point Adam (see module doc).

    A point stops when q < ``tol_q``, when an accepted step lowers q by less than
    ``tol_dq``·step size (FixedPointFinder's rule), or when its step size has collapsed
    below 1e-12·``lr_init``. Finished points leave the batch every ``compact_every``
    iterations. (Trying a few Newton steps on live points at iterations 8, 24, 56, 120, to let them leave
    early, was measured and dropped: on a chaotic N = 256 network it doubled the
    factorisations for the same roots; on the 3-bit flip-flop it saved 20 %.)
    """
    b1, b2, eps = 0.9, 0.999, 1e-8
    out = x.detach().clone()
    rows = torch.arange(x.shape[0], device=x.device)
    xa, ua = out.clone(), u
    q, g = _q_and_grad(system, xa, ua)
    m, v = (1 - b1) * g, (1 - b2) * g * g
    t = torch.ones_like(q)
    lr = torch.full_like(q, lr_init)
    live = q >= tol_q
    iters = 0
    for it in range(1, max_iters + 1):
        iters = it
        direction = (m / (1 - b1 ** t)[:, None]) / ((v / (1 - b2 ** t)[:, None]).sqrt() + eps)
        trial = xa - (lr * live)[:, None] * direction
        q_new, g_new = _q_and_grad(system, trial, ua)
        accept = live & (q_new < q)
        reject = live & ~accept
        dq = q - q_new
        xa = torch.where(accept[:, None], trial, xa)
        q = torch.where(accept, q_new, q)
        g = torch.where(accept[:, None], g_new, g)
        # an accepted point updates its moments; a rejected one restarts them from its
        # gradient, whose sign-like Adam direction always descends for a small enough step
        t = torch.where(accept, t + 1, torch.where(reject, torch.ones_like(t), t))
        m = torch.where(accept[:, None], b1 * m + (1 - b1) * g,
                        torch.where(reject[:, None], (1 - b1) * g, m))
        v = torch.where(accept[:, None], b2 * v + (1 - b2) * g * g,
                        torch.where(reject[:, None], (1 - b2) * g * g, v))
        lr = torch.where(accept, torch.clamp(lr * growth, max=lr_init),
                         torch.where(reject, lr * 0.5, lr))
        stalled = (accept & (dq < tol_dq * lr)) | (lr < 1e-12 * lr_init)
        live = live & ~(stalled | (q < tol_q) | ~torch.isfinite(q))
        if it % compact_every == 0 or it == max_iters or not bool(live.any()):
            out[rows] = xa.detach()
            if not bool(live.any()):
                break
            rows, xa, ua, q, g, m, v, t, lr, live = (
                a[live] for a in (rows, xa, ua, q, g, m, v, t, lr, live))
    with torch.no_grad():
        r = system.step(out, u) - out
    return Descent(out, 0.5 * (r * r).sum(-1), iters)


# stage 2: Newton ----------------------------------------------------------------------------
def _newton_and_gradient(a: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For A = J − I (P, N, N) and r (P, N): the Newton step −A⁻¹r, the gradient g = Aᵀr
    of q = ½‖r‖² and A g. Where A is singular to working precision (the solve fails, its
    step leaves ‖Aδ + r‖ above ‖r‖/10, or ‖A‖‖δ‖ > 10¹⁰‖r‖ — a condition number beyond
    10¹⁰, as along a continuous set of roots), the Newton step is NaN and the caller steps along −g alone, which never moves along A's
    null space."""
    # batched matrix-vector products through BLAS (einsum's loops are slower)
    g = np.matmul(r[:, None, :], a)[:, 0]
    ag = np.matmul(a, g[..., None])[..., 0]
    with np.errstate(all="ignore"):
        try:
            step = -np.linalg.solve(a, r[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = np.full_like(r, np.nan)
            for i in range(len(a)):
                try:
                    step[i] = -np.linalg.solve(a[i], r[i])
                except np.linalg.LinAlgError:
                    pass
        r_norm = np.linalg.norm(r, axis=-1)
        miss = np.linalg.norm(np.matmul(a, step[..., None])[..., 0] + r, axis=-1)
        flat = a.reshape(len(a), -1)  # ‖A‖_F in one pass, without a P × N × N temporary
        size = np.sqrt(np.einsum("pk,pk->p", flat, flat)) * np.linalg.norm(step, axis=-1)
        step[~((miss <= 0.1 * r_norm) & (size <= 1e10 * r_norm))] = np.nan
    return step, g, ag


def _dogleg(newton: np.ndarray, g: np.ndarray, ag: np.ndarray, r: np.ndarray,
            radius: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Powell's dogleg step within ``radius`` and its predicted decrease of q: the Newton
    step if it fits, else the path from the Cauchy point (the minimiser of the model along
    −g) towards it, cut at the radius; without a Newton step (singular A), the Cauchy step."""
    gg = (g * g).sum(-1)
    curv = np.maximum((ag * ag).sum(-1), 1e-300)
    cauchy_len = gg / curv                      # the Cauchy point is −cauchy_len·g
    gnorm = np.sqrt(np.maximum(gg, 1e-300))
    n_newton = np.linalg.norm(newton, axis=-1)
    has_newton = np.isfinite(n_newton)
    fits = has_newton & (n_newton <= radius)
    n_cauchy = cauchy_len * gnorm
    outside = ~fits & (n_cauchy >= radius)
    between = ~fits & ~outside & has_newton
    # between: p = c + τ(n − c) with ‖p‖ = radius, c the Cauchy point
    c = -cauchy_len[:, None] * g
    d = np.where(has_newton[:, None], newton, 0.0) - c
    dd = np.maximum((d * d).sum(-1), 1e-300)
    cd = (c * d).sum(-1)
    tau = (-cd + np.sqrt(np.maximum(cd * cd + dd * (radius ** 2 - n_cauchy ** 2), 0.0))) / dd
    # coefficients of p = k_n·newton + k_g·g, so A p = −k_n·r + k_g·A g is exact
    k_n = np.where(fits, 1.0, np.where(between, tau, 0.0))
    k_g = np.where(fits, 0.0, np.where(outside, -radius / gnorm,
                                       np.where(between, -(1 - tau) * cauchy_len, -cauchy_len)))
    step = k_n[:, None] * np.where(has_newton[:, None], newton, 0.0) + k_g[:, None] * g
    model = r * (1 - k_n[:, None]) + k_g[:, None] * ag
    return step, 0.5 * ((r * r).sum(-1) - (model * model).sum(-1))


@dataclass
class Polished:
    """Outcome of :func:`newton_polish`: points, residuals max|F(x) − x|, the size of each
    point's last accepted step (its remaining position error), and which converged."""

    x: np.ndarray
    residual: np.ndarray
    last_step: np.ndarray
    converged: np.ndarray


def newton_polish(system: MapSystem, x: np.ndarray, u: np.ndarray, iters: int = 50,
                  tol: float = 1e-10, chunk: int = 64, stall_window: int = 8,
                  stall_ratio: float = 0.5) -> Polished:
    """Batched trust-region Newton on F(x, u) − x = 0 in float64 (Powell's dogleg, the
    method of MINPACK's ``hybrj``): per point, the Newton step (J − I)δ = −r if it fits
    in the trust radius, else the dogleg path towards it from the Cauchy point; the radius
    shrinks where the decrease of q = ½‖r‖² falls short of the linear model's and grows
    where it matches. A rejected step costs one residual (the factorised Jacobian is kept),
    so ``iters`` bounds the Jacobians per point.

    A point stops once its residual is below ``tol`` and a further step would change it by
    rounding only (its last step moved it less than 1e-12·(1 + ‖x‖∞), at most two steps
    after reaching ``tol``, so two starts that reach one root end at it to rounding); when
    its radius collapses; or when q did not fall below ``stall_ratio`` × its value
    ``stall_window`` Jacobians before (a minimum of q that is no root: most starts on a
    chaotic network that fail end here, and would otherwise spend every iteration).
    ``chunk`` points share one batch of Jacobians (bounds memory).
    """
    tune_allocator()
    x = np.array(x, dtype=np.float64)
    u = np.ascontiguousarray(u, dtype=np.float64)
    p, n = x.shape
    r = system.residual(x, u)
    q = 0.5 * (r * r).sum(-1)
    radius = np.maximum(1.0, np.linalg.norm(x, axis=-1))
    last = np.full(p, np.inf)
    after = np.zeros(p, dtype=int)
    jacobians = np.zeros(p, dtype=int)
    q_window = q.copy()
    stopped = ~np.isfinite(q)
    fresh = np.ones(p, dtype=bool)             # needs a Jacobian at its current point
    newton, g, ag = (np.zeros((p, n)) for _ in range(3))
    while True:
        below = np.abs(r).max(-1) < tol
        settled = below & ((last <= 1e-12 * (1 + np.abs(x).max(-1))) | (after >= 2))
        stopped |= settled | (fresh & (jacobians >= iters))
        active = np.flatnonzero(~stopped)
        if active.size == 0:
            break
        need = active[fresh[active]]
        for part in np.array_split(need, -(-need.size // chunk)) if need.size else ():
            newton[part], g[part], ag[part] = _newton_and_gradient(
                system.jacobian_minus_identity(x[part], u[part]), r[part])
        jacobians[need] += 1
        fresh[need] = False
        window = need[(jacobians[need] % stall_window) == 0]
        stalled = window[q[window] > stall_ratio * q_window[window]]
        q_window[window] = q[window]
        stopped[stalled] = True
        active = active[~stopped[active]]
        if active.size == 0:
            continue
        step, predicted = _dogleg(newton[active], g[active], ag[active], r[active], radius[active])
        trial = x[active] + step
        with np.errstate(all="ignore"):
            r_t = system.residual(trial, u[active])
            q_t = 0.5 * (r_t * r_t).sum(-1)
        ratio = (q[active] - q_t) / np.maximum(predicted, 1e-300)
        ok = (q_t < q[active]) & (ratio > 1e-4)
        length = np.linalg.norm(step, axis=-1)
        radius[active] = np.where(ratio < 0.25, 0.25 * length,
                                  np.where(ratio > 0.75, np.maximum(radius[active], 2 * length),
                                           radius[active]))
        good = active[ok]
        last[good] = np.abs(step[ok]).max(-1)
        after[good] += below[good]
        x[good], r[good], q[good] = trial[ok], r_t[ok], q_t[ok]
        fresh[good] = True
        # a root whose step no longer lowers q is at rounding level: the step it proposed
        # is its remaining position error
        done = ~ok & below[active]
        last[active[done]] = np.abs(step[done]).max(-1)
        stopped[active[done]] = True
        stopped[active] |= radius[active] < 1e-13 * (1 + np.abs(x[active]).max(-1))
    res = np.abs(r).max(-1)
    return Polished(x, res, last, res < tol)


# stage 3: grouping --------------------------------------------------------------------------
def group_roots(system: MapSystem, x: np.ndarray, u: np.ndarray, error: np.ndarray,
                tol: float, neighbours: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Merge roots of one input by where they converged and link continuous sets.

    Args:
        x: roots (P, N) under one input ``u`` (n_in,); error: each root's remaining
            position error (its last Newton step).
        tol: the root tolerance; two neighbouring roots are joined when the residual at
            their midpoint and quarter points is below it (a path of roots joins them).
    Returns:
        ``same`` (P,): the representative index each root merges into (identical roots);
        ``component`` (P,): connected set of roots each belongs to (0 … C − 1).
    """
    p = len(x)
    if p == 0:
        return np.zeros(0, int), np.zeros(0, int)
    scale = 1.0 + np.abs(x).max()
    radius = np.maximum(10 * np.nan_to_num(error, posinf=0.0), 1e-9 * scale)
    tree = cKDTree(x)
    k = min(neighbours + 1, p)
    dist, nb = tree.query(x, k=k)
    dist, nb = dist.reshape(p, k), nb.reshape(p, k)
    rows = np.repeat(np.arange(p), k)
    cols, d = nb.ravel(), dist.ravel()
    valid = (cols != rows) & (cols < p)
    rows, cols, d = rows[valid], cols[valid], d[valid]
    identical = d <= radius[rows] + radius[cols]
    # copies of one root to rounding: all of them, wherever they sit among each other's
    # nearest neighbours (hundreds of copies split a k-neighbour graph into cliques)
    copies = tree.query_pairs(2e-9 * scale, output_type="ndarray").reshape(-1, 2)
    n_same, same_label = connected_components(
        coo_matrix((np.ones(identical.sum() + len(copies)),
                    (np.concatenate([rows[identical], copies[:, 0]]),
                     np.concatenate([cols[identical], copies[:, 1]]))), (p, p)),
        directed=False)
    rep = np.full(n_same, -1)
    order = np.argsort(error, kind="stable")
    for i in order[::-1]:
        rep[same_label[i]] = i
    same = rep[same_label]
    # continuous sets: neighbouring distinct roots with roots all along the segment
    cand = ~identical
    rows, cols = rows[cand], cols[cand]
    linked = np.zeros(rows.size, dtype=bool)
    if rows.size:
        ub = np.broadcast_to(u, (rows.size, u.shape[-1])).copy()
        linked = np.ones(rows.size, dtype=bool)
        for frac in (0.25, 0.5, 0.75):
            mid = (1 - frac) * x[rows] + frac * x[cols]
            linked &= np.abs(system.residual(mid, ub)).max(-1) < tol
    edges_r = np.concatenate([rows[linked], np.arange(p)])
    edges_c = np.concatenate([cols[linked], same])
    _, component = connected_components(
        coo_matrix((np.ones(edges_r.size), (edges_r, edges_c)), (p, p)), directed=False)
    return same, component


def spread_sample(x: np.ndarray, count: int) -> np.ndarray:
    """Indices of up to ``count`` points of ``x`` spread over it (farthest-point sampling,
    starting from the point nearest the centroid)."""
    if len(x) <= count:
        return np.arange(len(x))
    chosen = [int(np.argmin(np.linalg.norm(x - x.mean(0), axis=1)))]
    dist = np.linalg.norm(x - x[chosen[0]], axis=1)
    for _ in range(count - 1):
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, np.linalg.norm(x - x[nxt], axis=1))
    return np.array(sorted(chosen))
