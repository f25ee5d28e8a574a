"""Speed of the cells (issue #8), against this machine's GEMM peak measured in the same run.

Run: ``python benchmarks/bench_cells.py`` (about 2 minutes on 2 idle cores; ``--steps 100``
for a quick check). Targets:

- the ``rate`` cell's BPTT step (forward, backward, Adam; W_rec trained) reaches at least the
  ``ctrnn`` scan's share of the float32 GEMM peak at N = 256, B = 128, T = 500;
- the ``gru`` and ``lstm`` cells take at most 1.5× the time of ``torch.nn.GRU`` / ``LSTM``
  holding the same weights, on the same shapes (forward + backward, every recurrent weight
  trained, a loss on every step's hidden state).

Each pair is timed alternately (ours, theirs, ours, …) and the best of each is compared, so
load that comes and goes hits both; the GEMM probe runs before and after and both are shown.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import torch

from rnntool.network import Network, preset_config
from rnntool.runtime import tune_allocator

from _machine import gemm_peak, machine_line


def alternate(first: Callable[[], None], second: Callable[[], None],
              reps: int) -> tuple[float, float]:
    """Best seconds of each function, timed in turns after one warm-up call each."""
    first(), second()
    best = [float("inf"), float("inf")]
    for _ in range(reps):
        for i, fn in enumerate((first, second)):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best[0], best[1]


def bptt_step(cell: str, n: int, batch: int, steps: int) -> Callable[[], None]:
    """One BPTT step of a W_rec-trained network of ``cell``: forward, backward, Adam."""
    cfg = preset_config("ctrnn", 4, n, 1, trainable=("W_rec",), cell=cell)
    gen = torch.Generator().manual_seed(0)
    net = Network.initialise(cfg, gen)
    opt = torch.optim.Adam(net.trainable_parameters(), lr=1e-4)
    inputs = torch.randn(batch, steps, 4, generator=gen)
    x0 = net.initial_state(batch, gen)

    def step() -> None:
        loss = (net.simulate(inputs, x0).outputs[:, :, -1] ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def gated_pair(cell: str, n: int, batch: int, steps: int) -> tuple[Callable[[], None],
                                                                   Callable[[], None]]:
    """Forward + backward of the ``cell`` network and of torch.nn's module, same weights."""
    net = Network.initialise(preset_config("ctrnn", 4, n, 1, cell=cell,
                                           trainable=("W_in", "W_rec", "b", "b_rec")),
                             torch.Generator().manual_seed(0))
    net.trainable_parameters()
    module = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](4, n, batch_first=True)
    with torch.no_grad():
        for ours, theirs in (("W_in", "weight_ih_l0"), ("W_rec", "weight_hh_l0"),
                             ("b", "bias_ih_l0"), ("b_rec", "bias_hh_l0")):
            getattr(module, theirs).copy_(net.params[ours][0])
    inputs = torch.randn(batch, steps, 4)
    x0 = net.initial_state(batch)

    def ours() -> None:
        net.simulate(inputs, x0).rates.sum().backward()

    def theirs() -> None:
        module(inputs)[0].sum().backward()
    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    n, b, t = args.n, args.batch, args.steps
    tune_allocator()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; N={n} B={b} T={t}")
    print(machine_line())
    peak = gemm_peak()
    print(f"float32 GEMM peak (before): {peak:.1f} GFLOP/s")

    flops = 6 * b * n * n * t  # forward W_rec r, backward for r and for W_rec
    ctrnn, rate = alternate(bptt_step("ctrnn", n, b, t), bptt_step("rate", n, b, t), args.reps)
    shares = {}
    for cell, sec in (("ctrnn", ctrnn), ("rate", rate)):
        shares[cell] = flops / sec / 1e9 / peak
        print(f"BPTT step {cell:5s}: {1000 * sec:7.1f} ms, {flops / sec / 1e9:6.1f} GFLOP/s, "
              f"{100 * shares[cell]:5.1f} % of GEMM peak")
    verdict = "met" if shares["rate"] >= shares["ctrnn"] else "NOT met"
    print(f"target rate share ≥ ctrnn share: {100 * shares['rate']:.1f} % vs "
          f"{100 * shares['ctrnn']:.1f} % — {verdict}")

    for cell in ("gru", "lstm"):
        ours, theirs = alternate(*gated_pair(cell, n, b, t), args.reps)
        ratio = ours / theirs
        print(f"{cell} forward+backward: rnntool {1000 * ours:7.1f} ms, torch.nn "
              f"{1000 * theirs:7.1f} ms, ratio {ratio:.2f} (target ≤ 1.5: "
              f"{'met' if ratio <= 1.5 else 'NOT met'})")
    print(f"float32 GEMM peak (after): {gemm_peak():.1f} GFLOP/s")


if __name__ == "__main__":
    main()
