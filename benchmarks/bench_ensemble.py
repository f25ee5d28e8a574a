"""A K-seed ensemble trained as one batched BPTT run against K sequential single runs.

Run: ``python benchmarks/bench_ensemble.py [--seeds 20] [--iters 10]``. Both sides call the
library exactly as ``rnntool train`` does (``train_ensemble`` vs ``train`` per seed, the
same task, network and rule), with validation effectively off so the training step is
measured. FLOPs per network-iteration are counted as 6·B·N²·T (forward, and backward
through states and weights); shares are of the float32 GEMM peak measured in the same run.
The machine may be shared: compare ratios from one run only (the load average before
and after is printed); ``--clock cpu`` times everything, the GEMM peak included, in this
process's CPU seconds, which other processes disturb far less than wall time. ``OMP_NUM_THREADS`` sets the threads of both sides.

Targets (issue 9): at N = 64, B = 32, T = 500 the 20-seed ensemble reaches ≥ 5× the
throughput of 20 sequential single-seed runs; at N = 256 its GEMM-peak share is within
10 % of a single run's.
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from rnntool.engine.ensemble import train_ensemble
from rnntool.rules import BPTT
from rnntool.tasks import make_task
from rnntool.training import TrainSettings, network_for, train

from _machine import gemm_peak, machine_line

TARGET_SPEEDUP = 5.0
#: the clock every figure is taken with (``--clock``)
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


def run(n: int, batch: int, steps: int, seeds: int, iters: int) -> tuple[float, float]:
    """Seconds for one ensemble of ``seeds`` members and for ``seeds`` sequential runs."""
    task = make_task("cdi", steps=steps, noise_std=0.5)
    rule = BPTT.create(task, batch_size=batch, max_iters=iters)
    cfg = network_for(BPTT, task, n)
    settings = TrainSettings(stop=(), validation_trials=32, validate_every=10 ** 9)
    chosen = list(range(1, seeds + 1))
    t0 = clock()
    train_ensemble([f"e{s}" for s in chosen], chosen, task, rule, cfg, settings)
    ensemble = clock() - t0
    t0 = clock()
    for s in chosen:
        train(f"s{s}", task, rule, cfg, TrainSettings(**{**settings.__dict__, "seed": s}))
    sequential = clock() - t0
    return ensemble, sequential


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="cpu: this process's CPU seconds, steadier on a shared machine "
                             "with one thread (OMP_NUM_THREADS=1)")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(machine_line())
    peak = gemm_peak(clock=clock)
    print(f"float32 GEMM peak (this run): {peak:.0f} GFLOP/s, {torch.get_num_threads()} threads, "
          f"{args.clock} clock", flush=True)
    shares = {}
    for n in (64, 256):
        iters = args.iters if n == 64 else max(2, args.iters // 5)
        ens, seq = run(n, args.batch, args.steps, args.seeds, iters)
        flops = 6 * args.batch * n * n * args.steps * iters * args.seeds / 1e9
        shares[n] = (flops / ens / peak, flops / seq / peak)
        print(f"N={n:4d} B={args.batch} T={args.steps} K={args.seeds} iters={iters}: "
              f"ensemble {args.seeds * iters / ens:7.1f} network-iterations/s "
              f"({shares[n][0]:6.1%} of peak), sequential {args.seeds * iters / seq:7.1f} "
              f"({shares[n][1]:6.1%} of peak), ensemble/sequential {seq / ens:.2f}x", flush=True)
    ratio64 = shares[64][0] / shares[64][1]
    ratio256 = shares[256][0] / shares[256][1]
    print(f"target N=64: ensemble >= {TARGET_SPEEDUP}x sequential: {ratio64:.2f}x "
          f"({'met' if ratio64 >= TARGET_SPEEDUP else 'not met'})")
    print(f"target N=256: ensemble share within 10 % of a single run's: {shares[256][0]:.1%} vs "
          f"{shares[256][1]:.1%} ({'met' if ratio256 >= 0.9 else 'not met'})")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
