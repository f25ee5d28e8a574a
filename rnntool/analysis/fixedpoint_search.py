"""The fixed-point search itself, written against any map x ↦ F(x, u) with a Jacobian ∂F/∂x.

Three stages, each batched over every (initial state, input) pair:

1. :func:`descend` — Adam on q(x) = ½‖F(x, u) − x‖² with a *monotone* per-point step size:
   a step that does not lower q is rejected, that point's step halved and its moments
   restarted from its gradient (whose Adam direction always descends for a small enough
   step); an accepted step grows it by ``growth``. So q never rises and the step size
   settles instead of oscillating. At geometrically spaced iterations every live point
   gets a few Newton steps, and those that reach a root leave the descent at once.
2. :func:`newton_polish` — damped Newton on F(x, u) − x = 0 in float64 (backtracking, and
   Levenberg–Marquardt steps where J − I is near-singular), run until the residual falls
   below ``tol`` and a further step changes the point by rounding only, so two starts that reach the same root end at the same place to rounding.
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
            jac = self.jacobian(xt, ut).cpu().numpy()
        jac = np.array(jac, dtype=np.float64)
        idx = np.arange(x.shape[1])
        jac[:, idx, idx] -= 1.0
        return jac


# stage 1: monotone Adam ----------------------------------------------------------------------
@dataclass
class Descent:
    """Outcome of :func:`descend`: final states, their q, which were handed to Newton
    (already moved by the accepted Newton step) and the iterations run."""

    x: torch.Tensor
    q: torch.Tensor
    handed_off: np.ndarray
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
            growth: float = 1.2, newton: MapSystem | None = None, root_tol: float = 1e-10,
            check_iters: int = 4, first_check: int = 8, compact_every: int = 25,
            stall_ratio: float = 0.5) -> Descent:
    """Minimise q for all points at once with monotone per-point Adam (see module doc).

    A point stops when q < ``tol_q``, when an accepted step lowers q by less than
    ``tol_dq``·step size (FixedPointFinder's rule), when its step size has collapsed below
    1e-12·``lr_init``, or when it is handed to Newton (when ``newton``, the same map in
    float64, is given: at iterations ``first_check``·(2^k − 1), k ≥ 1, every live point gets
    ``check_iters`` steps of :func:`newton_polish`, and those that reach ``root_tol`` leave
    with their root). With ``newton``, a point whose q has not fallen below ``stall_ratio``
    × its q at the previous check (an interval as long as all before it) stops too: it sits
    at a minimum of q that is no root, or on a slow manifold — a slow point, which only
    the descent alone (``newton=None``, the approximate mode) keeps refining. On a chaotic
    network such starts are common and would otherwise run to ``max_iters``. Finished
    points leave the batch every ``compact_every`` iterations.
    """
    b1, b2, eps = 0.9, 0.999, 1e-8
    out = x.detach().clone()
    handed = np.zeros(x.shape[0], dtype=bool)
    rows = torch.arange(x.shape[0], device=x.device)
    xa, ua = out.clone(), u
    q, g = _q_and_grad(system, xa, ua)
    m, v = (1 - b1) * g, (1 - b2) * g * g
    t = torch.ones_like(q)
    lr = torch.full_like(q, lr_init)
    live = q >= tol_q
    q_check = torch.full_like(q, float("inf"))
    checks = {first_check * (2 ** k - 1) for k in range(1, 24)} if newton is not None else set()
    iters = 0
    for it in range(1, max_iters + 1):
        iters = it
        if it - 1 in checks and bool(live.any()):
            idx = torch.nonzero(live).flatten()
            tried = newton_polish(newton, xa[idx].detach().cpu().double().numpy(),
                                  ua[idx].cpu().double().numpy(), check_iters, root_tol)
            ok = tried.converged
            if ok.any():
                good = idx[torch.from_numpy(ok).to(idx.device)]
                xa[good] = torch.from_numpy(tried.x[ok]).to(xa)
                live[good] = False
                handed[rows[good].cpu().numpy()] = True
            live &= ~(q > stall_ratio * q_check)
            q_check = q.clone()
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
            rows, xa, ua, q, g, m, v, t, lr, live, q_check = (
                a[live] for a in (rows, xa, ua, q, g, m, v, t, lr, live, q_check))
    with torch.no_grad():
        r = system.step(out, u) - out
    return Descent(out, 0.5 * (r * r).sum(-1), handed, iters)


# stage 2: Newton ----------------------------------------------------------------------------
def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched solve a δ = b; where some matrix is exactly singular, the minimum-damping
    Levenberg–Marquardt step (aᵀa + εI)δ = aᵀb for the whole batch instead."""
    try:
        with np.errstate(all="ignore"):
            return np.linalg.solve(a, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        at = np.swapaxes(a, 1, 2)
        eps = 1e-14 * np.maximum((a * a).sum((1, 2)), 1e-300)
        normal = at @ a + eps[:, None, None] * np.eye(a.shape[-1])
        return np.linalg.solve(normal, at @ b[..., None])[..., 0]


def _lm_steps(a: np.ndarray, r: np.ndarray, damping: np.ndarray) -> np.ndarray:
    """Levenberg–Marquardt steps (AᵀA + λI)δ = −Aᵀr (a descent direction for q)."""
    at = np.swapaxes(a, 1, 2)
    normal = at @ a + damping[:, None, None] * np.eye(a.shape[-1])
    return -np.linalg.solve(normal, (at @ r[..., None]))[..., 0]


@dataclass
class Polished:
    """Outcome of :func:`newton_polish`: points, residuals max|F(x) − x|, the size of each
    point's last accepted step (its remaining position error), and which converged."""

    x: np.ndarray
    residual: np.ndarray
    last_step: np.ndarray
    converged: np.ndarray


def newton_polish(system: MapSystem, x: np.ndarray, u: np.ndarray, iters: int = 50,
                  tol: float = 1e-10, chunk: int = 256) -> Polished:
    """Batched damped Newton / Levenberg–Marquardt on F(x, u) − x = 0 in float64.

    Newton steps (J − I)δ = −r are tried at δ, δ/2, …, δ/16 and the first that lowers
    ½‖r‖² is taken; a point where none does switches to Levenberg–Marquardt with its own
    damping λ (÷10 on success, ×10 on failure) and back to Newton once λ < 1e-9. A point
    stops once its residual is below ``tol`` and its last step moved it less than
    1e-12·(1 + ‖x‖∞) (at most two steps after reaching ``tol``), or when it cannot improve
    (λ > 1e8). ``chunk`` bounds memory.
    """
    x = np.array(x, dtype=np.float64)
    u = np.ascontiguousarray(u, dtype=np.float64)
    r = system.residual(x, u)
    q = 0.5 * (r ** 2).sum(-1)
    damping = np.zeros(len(x))
    last = np.full(len(x), np.inf)
    after = np.zeros(len(x), dtype=int)
    for _ in range(iters):
        below = np.abs(r).max(-1) < tol
        after += below
        settled = below & ((last <= 1e-12 * (1 + np.abs(x).max(-1))) | (after > 2))
        active = ~settled & (damping < 1e8) & np.isfinite(q)
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        for part in np.array_split(idx, -(-idx.size // chunk)):
            a = system.jacobian_minus_identity(x[part], u[part])
            lam = damping[part]
            delta = np.empty((part.size, x.shape[1]))
            newton = lam == 0
            if newton.any():
                delta[newton] = _solve(a[newton], -r[part[newton]])
            if (~newton).any():
                delta[~newton] = _lm_steps(a[~newton], r[part[~newton]], lam[~newton])
            moved = np.zeros(part.size, dtype=bool)
            for scale in (1.0, 0.5, 0.25, 0.125, 0.0625):
                todo = ~moved & (newton | (scale == 1.0))
                if not todo.any():
                    break
                sel = part[todo]
                cand = x[sel] + scale * delta[todo]
                with np.errstate(all="ignore"):
                    r_c = system.residual(cand, u[sel])
                    q_c = 0.5 * (r_c ** 2).sum(-1)
                better = q_c < q[sel]
                good = sel[better]
                last[good] = np.abs(cand[better] - x[good]).max(-1)
                x[good], r[good], q[good] = cand[better], r_c[better], q_c[better]
                moved[np.flatnonzero(todo)[better]] = True
            damping[part] = np.where(moved, np.where(lam < 1e-9, 0.0, lam / 10),
                                     np.where(lam == 0, 1e-3, lam * 10))
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
