"""Fixed-point search and Jacobians at N = 256 (prints figures, ratios and targets).

1. Roots from the same initial states, each side to a residual max|F(x) − x| < 1e-10, with
   the same per-start budget (``--cap`` iterations of a Newton-type method):
   - rnntool's search as ``find_fixed_points`` runs it (monotone Adam on q for all points
     at once for ``handoff_iters`` steps, then batched trust-region Newton in float64);
   - rnntool's batched trust-region Newton (``newton_polish``) straight from the starts,
     ``--cap`` iterations at most;
   - SciPy's ``root(method='lm')`` one start at a time (McMahan et al. 2021's method), on
     the map written in NumPy as McMahan et al. 2021 wrote it (no torch call per
     evaluation), with finite differences (``maxfev`` = cap·(N + 1): each LM iteration
     costs N + 1 evaluations) and with the analytic Jacobian (``maxfev`` = cap). (Uncapped, SciPy stops most starts
     by itself after 16–110 evaluations at N = 256, converged or not; the earlier timeouts
     came from the machine's load, 15–30 on 2 cores, not from runaway starts. The cap only
     bounds the worst case equally for both sides.) SciPy runs on a subset of the starts.
   Compared per converged root (seconds / starts that reached a root) and by the share of
   starts converged; targets: ≥ 50× (finite differences) and ≥ 20× (analytic) per root,
   converging at least SciPy's share.
2. Analytic Jacobians (``CTRNN.jacobian_state``) against autograd for a batch of points.

Network: tanh CT-RNN, α = 0.1, W_rec = s·I + g·G/√N (G standard normal); the default is a
plain random g = 1.5 network (s = 0), chaotic, with many fixed points. Usage:
python benchmarks/bench_fixedpoints.py [--n 256] [--points 256] [--cap 100]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.optimize import root

from rnntool.analysis.fixedpoint_search import descend, newton_polish
from rnntool.analysis.fixedpoints import FinderSettings, network_map
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


def finder(net: CTRNN, x0: np.ndarray, settings: FinderSettings) -> tuple[float, np.ndarray]:
    """The finder's search on every initial state as ``find_fixed_points`` runs it in
    ``exact`` mode (without de-duplication and eigen-analysis): seconds, residuals."""
    start = time.perf_counter()
    system = network_map(net)
    u = torch.zeros(len(x0), 1, dtype=torch.float64)
    found = descend(system, torch.as_tensor(x0), u,
                    min(settings.max_iters, settings.handoff_iters), settings.lr_init,
                    settings.tol_q, settings.tol_dq)
    roots = newton_polish(system, found.x.numpy(), np.zeros((len(x0), 1)),
                          iters=settings.newton_iters, tol=settings.root_tol)
    return time.perf_counter() - start, roots.residual


def batched_newton(net: CTRNN, x0: np.ndarray, cap: int) -> tuple[float, np.ndarray]:
    """Batched trust-region Newton from the starts, ``cap`` iterations at most: seconds, residuals."""
    start = time.perf_counter()
    roots = newton_polish(network_map(net), x0, np.zeros((len(x0), 1)), iters=cap, tol=1e-10)
    return time.perf_counter() - start, roots.residual


def scipy_points(net: CTRNN, x0: np.ndarray, use_jac: bool, cap: int
                 ) -> tuple[float, np.ndarray, np.ndarray]:
    """SciPy root(method='lm') start by start, with the analytic Jacobian or (McMahan et al.
    2021) finite differences, ``cap`` LM iterations at most: seconds, residuals, evaluations.
    The map is McMahan et al. 2021's NumPy function α(−x + W tanh x + b); it is checked
    against the network's own step first."""
    params = net.effective()
    w, b = params["W_rec"][0].numpy(), params["b"][0].numpy()
    alpha = net.config.alpha
    eye = np.eye(x0.shape[1])

    def fun(x: np.ndarray) -> np.ndarray:
        return alpha * (w @ np.tanh(x) + b - x)

    def jac(x: np.ndarray) -> np.ndarray:
        return alpha * (w * (1.0 - np.tanh(x) ** 2) - eye)

    probe = x0[:4]
    assert np.allclose(np.stack([fun(x) for x in probe]), residuals(net, probe, np.zeros((1, 1))),
                       atol=1e-12)
    assert np.allclose(jac(probe[0]), map_jacobians(net, probe[:1])[0] - eye, atol=1e-12)

    maxfev = cap if use_jac else cap * (x0.shape[1] + 1)
    start = time.perf_counter()
    res, nfev = [], []
    for x in x0:
        sol = root(fun, x, jac=jac if use_jac else None, method="lm", tol=1e-12,
                   options={"maxiter": maxfev})
        res.append(np.abs(fun(sol.x)).max())
        nfev.append(sol.nfev)
    return time.perf_counter() - start, np.array(res), np.array(nfev)


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
    parser.add_argument("--points", type=int, default=256)
    parser.add_argument("--scipy-points", type=int, default=32, help="SciPy subset (analytic; "
                        "a quarter of it with finite differences)")
    parser.add_argument("--cap", type=int, default=100, help="Newton/LM iterations per start")
    parser.add_argument("--g", type=float, default=1.5)
    parser.add_argument("--self", dest="self_coupling", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    net = network(args.n, args.g, args.self_coupling, args.seed)
    rng = np.random.default_rng(args.seed)
    x0 = rng.uniform(-2, 2, size=(args.points, args.n))
    print(f"N = {args.n}, {args.points} initial states, W = {args.self_coupling}·I + "
          f"{args.g}·G/√N, torch threads {torch.get_num_threads()}, per-start budget "
          f"{args.cap} Newton/LM iterations", flush=True)

    sides = {}
    for name, run in (("finder", lambda: finder(net, x0, FinderSettings())),
                      ("batched trust-region Newton", lambda: batched_newton(net, x0, args.cap))):
        seconds, res = run()
        ok = res < 1e-10
        sides[name] = (seconds / max(ok.sum(), 1), ok)
        print(f"rnntool {name}, all {args.points} starts: {seconds:.2f} s, {ok.sum()} converged "
              f"({ok.mean():.0%}), {1e3 * seconds / max(ok.sum(), 1):.1f} ms per converged root",
              flush=True)

    for use_jac, count, target in ((False, max(2, args.scipy_points // 4), 50),
                                   (True, args.scipy_points, 20)):
        t_scipy, res_s, nfev = scipy_points(net, x0[:count], use_jac, args.cap)
        ok_s = res_s < 1e-10
        per_root = t_scipy / max(ok_s.sum(), 1)
        how = "analytic Jacobian" if use_jac else "finite differences (McMahan et al. 2021)"
        per_iter = 1 if use_jac else args.n + 1
        print(f"scipy root(lm), {how}: {t_scipy:.2f} s for the first {count} starts, "
              f"{ok_s.sum()} converged ({ok_s.mean():.0%}); LM iterations per start: converged "
              f"median {np.median(nfev[ok_s]) / per_iter if ok_s.any() else float('nan'):.0f}, "
              f"unconverged median {np.median(nfev[~ok_s]) / per_iter if (~ok_s).any() else float('nan'):.0f}; "
              f"{1e3 * per_root:.0f} ms per converged root", flush=True)
        for name, (ours, ok) in sides.items():
            ratio = per_root / ours
            print(f"  {name}: {ratio:.1f}x faster per converged root (target >= {target}x: "
                  f"{'met' if ratio >= target else 'NOT met'}); converged on these starts "
                  f"{ok[:count].sum()}/{count} vs scipy {ok_s.sum()}/{count}, overall "
                  f"{ok.mean():.0%} vs {ok_s.mean():.0%} (target: at least as many: "
                  f"{'met' if ok.mean() >= ok_s.mean() else 'NOT met'})", flush=True)

    xb = torch.as_tensor(x0)
    j = jacobians(net, xb)
    print(f"Jacobians of {args.points} points: analytic {1e3 * j['analytic']:.0f} ms, autograd "
          f"(batch sum) {1e3 * j['autograd']:.0f} ms, vmap(jacrev) {1e3 * j['vmap_jacrev']:.0f} ms; "
          f"max |difference| {j['max_diff']:.1e}")


if __name__ == "__main__":
    main()
