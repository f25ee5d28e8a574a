"""Fixed-point search and Jacobians at N = 256 with 1024 initial states (prints figures).

1. The batched finder (monotone Adam on q for all points at once, candidates handed to
   Newton as soon as a few Newton steps finish them, then batched damped Newton in
   float64) against SciPy's ``root(method='lm')`` one point at a time (McMahan et al.
   2021's method, finite differences; and with the analytic Jacobian), both from the same
   initial states, both to a residual max|F(x) − x| < 1e-10. Compared per converged root
   (time / starts that reached a root) and by the share of starts converged. SciPy is
   timed on a subset and extrapolated (said so in the output).
2. Analytic Jacobians (``CTRNN.jacobian_state``) against autograd for a batch of points.

Network: tanh CT-RNN, α = 0.1, W_rec = s·I + g·G/√N (G standard normal); the default is a
plain random g = 1.5 network (s = 0), which has many fixed points. (Strong self-coupling,
s ≥ 1.5, gives every unit non-root local minima of q at its folds, where gradient methods
and SciPy's LM stall alike.) Usage: python benchmarks/bench_fixedpoints.py [--n 256] [--points 1024]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.optimize import root

from rnntool.analysis.fixedpoint_search import descend, newton_polish
from rnntool.analysis.fixedpoints import FinderSettings, find_fixed_points, network_map
from rnntool.analysis.point_analytics import map_jacobians, residuals
from rnntool.network import CTRNN, NetworkConfig


def network(n: int, g: float, self_coupling: float, seed: int) -> CTRNN:
    gen = torch.Generator().manual_seed(seed)
    w = self_coupling * torch.eye(n, dtype=torch.float64) + g * torch.randn(
        (n, n), generator=gen, dtype=torch.float64) / n ** 0.5
    cfg = NetworkConfig(n_in=1, n_rec=n, alpha=0.1, phi="tanh", dtype="float64")
    params = {"W_in": torch.zeros(1, n, 1), "W_rec": w[None], "b": torch.zeros(1, n),
              "W_out": torch.zeros(1, 1, n), "b_out": torch.zeros(1, 1), "x0": torch.zeros(1, n)}
    return CTRNN(cfg, params)


def batched(net: CTRNN, x0: np.ndarray, max_iters: int) -> tuple[float, np.ndarray]:
    """The finder's search on every initial state (no de-duplication): seconds, residuals."""
    start = time.perf_counter()
    system = network_map(net)
    u = torch.zeros(len(x0), 1, dtype=torch.float64)
    found = descend(system, torch.as_tensor(x0), u, max_iters, newton=system)
    roots = newton_polish(system, found.x.numpy(), np.zeros((len(x0), 1)), iters=50, tol=1e-10)
    return time.perf_counter() - start, roots.residual


def scipy_points(net: CTRNN, x0: np.ndarray, use_jac: bool) -> tuple[float, np.ndarray]:
    """SciPy root(method='lm') point by point, with the analytic Jacobian or (McMahan et al. 2021)
    finite differences: seconds, residuals."""
    u = np.zeros((1, 1))
    eye = np.eye(x0.shape[1])

    def fun(x: np.ndarray) -> np.ndarray:
        return residuals(net, x[None], u)[0]

    def jac(x: np.ndarray) -> np.ndarray:
        return map_jacobians(net, x[None])[0] - eye

    start = time.perf_counter()
    res = []
    for x in x0:
        sol = root(fun, x, jac=jac if use_jac else None, method="lm", tol=1e-12)
        res.append(np.abs(fun(sol.x)).max())
    return time.perf_counter() - start, np.array(res)


def jacobians(net: CTRNN, x: torch.Tensor, repeats: int = 3) -> dict[str, float]:
    """Seconds per batch: analytic, autograd on the batch sum, vmap(jacrev); max difference."""
    def step(xb: torch.Tensor) -> torch.Tensor:
        return net.step(xb[None], torch.zeros(1, xb.shape[0], 1, dtype=xb.dtype))[0]

    def timed(fn):
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            out = fn()
            best = min(best, time.perf_counter() - start)
        return best, out

    t_analytic, j_analytic = timed(lambda: net.jacobian_state(x[None])[0])
    t_auto, j_auto = timed(lambda: torch.autograd.functional.jacobian(
        lambda xb: step(xb).sum(0), x, vectorize=True).permute(1, 0, 2))
    t_vmap, j_vmap = timed(lambda: torch.func.vmap(torch.func.jacrev(
        lambda xi: step(xi[None])[0]))(x))
    diff = max(float((j_analytic - j_auto).abs().max()), float((j_analytic - j_vmap).abs().max()))
    return {"analytic": t_analytic, "autograd": t_auto, "vmap_jacrev": t_vmap, "max_diff": diff}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--points", type=int, default=1024)
    parser.add_argument("--scipy-points", type=int, default=32, help="SciPy subset, extrapolated")
    parser.add_argument("--g", type=float, default=1.5)
    parser.add_argument("--self", dest="self_coupling", type=float, default=0.0)
    parser.add_argument("--max-iters", type=int, default=FinderSettings().max_iters)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    net = network(args.n, args.g, args.self_coupling, args.seed)
    rng = np.random.default_rng(args.seed)
    x0 = rng.uniform(-2, 2, size=(args.points, args.n))
    print(f"N = {args.n}, {args.points} initial states, W = {args.self_coupling}·I + "
          f"{args.g}·G/√N, torch threads {torch.get_num_threads()}")

    t_batch, res = batched(net, x0, args.max_iters)
    ok = res < 1e-10
    per_root = t_batch / max(ok.sum(), 1)
    print(f"batched search, all {args.points} points: {t_batch:.2f} s, {ok.sum()} converged "
          f"({ok.mean():.0%}, max|F(x)-x| < 1e-10), {1e3 * per_root:.1f} ms per converged root",
          flush=True)
    start = time.perf_counter()
    pts = find_fixed_points(net, np.zeros((1, 1)), None,
                            FinderSettings(method="exact", n_inits=args.points, init_from="box",
                                           box_scale=2.0, max_iters=args.max_iters))
    t_full = time.perf_counter() - start
    print(f"find_fixed_points(method='exact'), incl. de-duplication and eigen-analysis: "
          f"{t_full:.2f} s, {int(pts.is_fixed.sum())} unique fixed points "
          f"({int((pts.is_fixed & pts.stable_map).sum())} stable)", flush=True)

    for use_jac, count in ((False, max(2, args.scipy_points // 4)), (True, args.scipy_points)):
        subset = x0[:count]
        t_scipy, res_s = scipy_points(net, subset, use_jac)
        ok_s = res_s < 1e-10
        total = t_scipy / len(subset) * args.points
        scipy_per_root = t_scipy / max(ok_s.sum(), 1)
        how = "analytic Jacobian" if use_jac else "finite differences, as McMahan et al. 2021"
        print(f"scipy root(method='lm'), {how}: {t_scipy:.2f} s for {len(subset)} points "
              f"({ok_s.sum()} converged, {ok_s.mean():.0%}; the batched search converged "
              f"{ok[:count].sum()} of the same starts); {1e3 * scipy_per_root:.0f} ms per "
              f"converged root -> batched search {scipy_per_root / per_root:.0f}x faster per "
              f"converged root; EXTRAPOLATED to all {args.points} points: {total:.1f} s "
              f"({total / t_batch:.0f}x, {total / t_full:.0f}x against the full pipeline)",
              flush=True)

    xb = torch.as_tensor(x0)
    j = jacobians(net, xb)
    print(f"Jacobians of {args.points} points: analytic {1e3 * j['analytic']:.0f} ms, autograd "
          f"(batch sum) {1e3 * j['autograd']:.0f} ms, vmap(jacrev) {1e3 * j['vmap_jacrev']:.0f} ms; "
          f"max |difference| {j['max_diff']:.1e}")


if __name__ == "__main__":
    main()
