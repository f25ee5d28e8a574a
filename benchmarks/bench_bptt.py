"""BPTT throughput against this machine's own GEMM ceiling, and time to a trained CDI model.

Run: ``python benchmarks/bench_bptt.py [--device cpu|cuda] [--skip-train]``. Figures vary
±15–20 % between runs on a shared machine; compare ratios measured in the same run.

Targets (issue #2): ≥ 60 % of the float32 GEMM peak for a BPTT step (forward + backward +
Adam) at N = 256, B = 128, T = 500, and ≤ 60 s to train the default CDI model
(``rnntool train bptt_0050 -v 0.5 --N 2``) to the 90 % criterion on 2 cores. Issue #8: the
``rate`` cell's scan reaches at least the ``ctrnn`` scan's share of the peak; the ``gru`` and
``lstm`` cells' step loops take at most 1.5× the time of torch.nn.GRU / LSTM on the same
shapes (forward + backward). Issue 15: state the share at McMahan et al. 2021's size (N = 50,
B = 500, T = 750) and what a fused formulation could gain there: the step's unavoidable
products alone are timed for that bound.
"""

from __future__ import annotations

import argparse
import time

import torch

from rnntool.network import CTRNN, preset_config
from rnntool.rules import BPTT
from rnntool.runtime import tune_allocator
from rnntool.tasks import make_task
from rnntool.training import TrainSettings, network_for, train

from _machine import gemm_peak, machine_line


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def bptt_step_rate(n: int, batch: int, steps: int, device: str, reps: int = 5,
                   cell: str = "ctrnn") -> tuple[float, float]:
    """Seconds per BPTT step (forward, backward, Adam) and its GFLOP/s (6·B·N²·T flops)."""
    cfg = preset_config("ctrnn", 4, n, 1, trainable=("W_rec",), cell=cell)
    gen = torch.Generator().manual_seed(0)
    net = CTRNN.initialise(cfg, gen, device=device)
    params = net.trainable_parameters()
    opt = torch.optim.Adam(params, lr=1e-4)
    inputs = torch.randn(batch, steps, 4)
    times = []
    for i in range(reps + 2):
        _sync(device)
        t0 = time.perf_counter()
        out = net.simulate(inputs, net.initial_state(batch, gen)).outputs
        loss = (out[:, :, -1] ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        _sync(device)
        if i >= 2:
            times.append(time.perf_counter() - t0)
    best = min(times)
    return best, 6 * batch * n * n * steps / best / 1e9


def products_alone(n: int, batch: int, steps: int, device: str, reps: int = 3) -> float:
    """Seconds of the matrix products a BPTT step cannot avoid, run back to back: T forward
    products r_t·W_recᵀ, T backward products g_t·W_rec (each (B × N)·(N × N), one per step
    because each needs the previous step) and the W_rec gradient as one product over all
    steps. Every element-wise kernel of the step is left out, so a fused step — whatever
    formulation folds the element-wise work into the products — takes at least this long."""
    r = torch.randn(steps, batch, n, device=device)
    w = torch.randn(n, n, device=device)
    out = torch.empty(batch, n, device=device)
    flat = r.reshape(-1, n)

    def run() -> None:
        for t in range(steps):
            torch.mm(r[t], w, out=out)
        for t in range(steps - 1, -1, -1):
            torch.mm(r[t], w, out=out)
        flat.t() @ flat

    best = float("inf")
    for _ in range(reps):
        _sync(device)
        t0 = time.perf_counter()
        run()
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return best


def gated_ratio(cell: str, n: int, batch: int, steps: int, device: str,
                reps: int = 3) -> tuple[float, float]:
    """Seconds per forward + backward pass of the ``cell`` network and of torch.nn's module
    with the same weights and shapes (all recurrent weights trained, loss on every step)."""
    module = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](4, n, batch_first=True).to(device)
    net = CTRNN.initialise(preset_config("ctrnn", 4, n, 1, cell=cell,
                                         trainable=("W_in", "W_rec", "b", "b_rec")),
                           torch.Generator().manual_seed(0), device=device)
    net.trainable_parameters()
    inputs = torch.randn(batch, steps, 4, device=device)
    x0 = net.initial_state(batch)

    def ours() -> None:
        net.simulate(inputs, x0).rates.sum().backward()

    def theirs() -> None:
        module(inputs)[0].sum().backward()

    def best(fn) -> float:
        times = []
        for i in range(reps + 1):
            _sync(device)
            t0 = time.perf_counter()
            fn()
            _sync(device)
            if i:
                times.append(time.perf_counter() - t0)
        return min(times)

    return best(ours), best(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--skip-train", action="store_true")
    args = parser.parse_args()
    tune_allocator()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    print(machine_line(args.device))
    peak = gemm_peak(args.device)
    print(f"float32 GEMM peak: {peak:.1f} GFLOP/s")
    for cell, (n, b, t) in (("ctrnn", (256, 128, 500)), ("rate", (256, 128, 500)),
                            ("ctrnn", (50, 500, 750)), ("rate", (50, 500, 750))):
        sec, rate = bptt_step_rate(n, b, t, args.device, cell=cell)
        print(f"BPTT {cell} N={n} B={b} T={t}: {1000 * sec:.1f} ms/step, {rate:.1f} GFLOP/s, "
              f"{100 * rate / peak:.1f} % of GEMM peak")
    n, b, t = 50, 500, 750
    floor = products_alone(n, b, t, args.device)
    print(f"  N={n} B={b} T={t}: the step's products alone take {1000 * floor:.1f} ms "
          f"({100 * 6 * b * n * n * t / floor / 1e9 / peak:.1f} % of the peak): the most a "
          f"fused step can gain is step time / {1000 * floor:.1f} ms (the recurrence is "
          f"sequential, so only the input products and the W_rec gradient batch over time, "
          f"and the scan already does both)")
    for cell in ("gru", "lstm"):
        n, b, t = 256, 128, 100
        ours, theirs = gated_ratio(cell, n, b, t, args.device)
        print(f"{cell} N={n} B={b} T={t} forward+backward: {1000 * ours:.0f} ms, torch.nn "
              f"{1000 * theirs:.0f} ms, ratio {ours / theirs:.2f}")
    if not args.skip_train:
        task = make_task("cdi", contexts=2, noise_std=0.5)
        t0 = time.perf_counter()
        record = train("bench_bptt_0050", task, BPTT.create(task), network_for(BPTT, task),
                       TrainSettings(seed=0, device=args.device))
        t = record.training
        print(f"default CDI model (bptt, N=50, -v 0.5, seed 0): {time.perf_counter() - t0:.1f} s, "
              f"{t['iterations']} iterations, converged={t['converged']}, "
              f"best validation accuracy {t['best_val_accuracy']:.3f}")


if __name__ == "__main__":
    main()
