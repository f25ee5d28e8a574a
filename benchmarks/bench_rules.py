"""Speed of the GA generation and of one RLS update, printed as figures (not a test).

1. One GA generation (population 20, McMahan et al. 2021's CDI batch of 500 trials × 750 steps,
   N = 50, all members in one batched pass) against one network's evaluation of the same
   batch, with the share of the same run's GEMM peak their recurrent products reach.
   Target (issue 15): the generation costs ≤ 4× one network. The generation does 20× one
   network's arithmetic in products of the same shape, so the ratio can only be small while
   one network's evaluation is overhead-bound; the floor printed is the generation's
   products alone.
2. One RLS update (gain, P update, rank-1 corrections of W_rec and W_out, as full-FORCE
   does it) against the O(N²) arithmetic floor: the memory traffic of reading and writing
   P and W_rec once at the machine's measured bandwidth.

Usage: OMP_NUM_THREADS=1 python benchmarks/bench_rules.py [--n 50] [--batch 500] [--population 20]
"""

from __future__ import annotations

import argparse
import time

import torch

from rnntool.network import CTRNN
from rnntool.rules import GeneticAlgorithm
from rnntool.rules.genetic import fitness, initial_population
from rnntool.rules.rls import RLS, rls_correct
from rnntool.tasks import make_task
from rnntool.training import network_for

from _machine import gemm_peak, machine_line


def best_of(fn, repeats: int = 3) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def ga_generation(n: int, batch_size: int, population: int) -> None:
    task = make_task("cdi", contexts=2)
    gen = torch.Generator().manual_seed(0)
    rule = GeneticAlgorithm.create(task, population=population, batch_size=batch_size)
    net = CTRNN.initialise(network_for(GeneticAlgorithm, task, n), gen)
    pop = initial_population(net, population, gen)
    batch = task.sample(batch_size, gen)
    one = best_of(lambda: fitness(net, task, batch, torch.Generator().manual_seed(1)))

    def generation() -> None:
        losses, _ = fitness(pop, task, batch, torch.Generator().manual_seed(1))
        rule.next_generation(pop, losses, gen)
    whole = best_of(generation)
    floor = products_alone(pop, batch_size, task.steps)
    with_rates = products_alone(pop, batch_size, task.steps, rates=True)
    peak = gemm_peak(threads=torch.get_num_threads())
    flops = 2.0 * batch_size * n * n * task.steps  # one member's recurrent products
    print(machine_line())
    print(f"GA, N={n}, batch {batch_size}×{task.steps} steps, {torch.get_num_threads()} threads, "
          f"GEMM peak {peak:.1f} GFLOP/s (same run)")
    print(f"  one network:            {one * 1e3:9.1f} ms (its recurrent products "
          f"{flops / one / 1e9 / peak:5.1%} of the peak)")
    print(f"  generation of {population:3d}:      {whole * 1e3:9.1f} ms "
          f"= {whole / one:.1f}× one network ({whole / one / population:.2f}× per member; "
          f"products {population * flops / whole / 1e9 / peak:5.1%} of the peak; "
          f"target ≤ 4×: {'met' if whole <= 4 * one else 'NOT met'})")
    print(f"  the generation's recurrent products alone (one batched bmm per step into a "
          f"preallocated output, nothing else): {floor * 1e3:.1f} ms = {floor / one:.1f}× one "
          f"network's whole evaluation, {population * flops / floor / 1e9 / peak:5.1%} of the "
          f"peak — the least any fp32 formulation can reach at this size"
          + (": the ≤ 4× target is below it" if floor > 4 * one else ""))
    print(f"  the same products and one sigmoid per value (the rate every step needs): "
          f"{with_rates * 1e3:.1f} ms = {with_rates / one:.1f}× one network"
          + (": the ≤ 4× target is below it" if with_rates > 4 * one else ""))


def products_alone(pop: CTRNN, batch: int, steps: int, rates: bool = False) -> float:
    """Seconds of the T batched products W_rec·r of a whole generation, in the population's
    dtype, into a preallocated output (and, with ``rates``, one in-place sigmoid of it per
    step): the floor under the generation's evaluation."""
    k, n = pop.members, pop.state_size
    w = pop.params["W_rec"].detach().transpose(1, 2).contiguous()
    r = torch.randn(k, batch, n, dtype=w.dtype)
    out = torch.empty_like(r)

    def run() -> None:
        for _ in range(steps):
            torch.bmm(r, w, out=out)
            if rates:
                out.sigmoid_()
    return best_of(run)


def rls_update(n: int, updates: int = 2000) -> None:
    w_rec = torch.randn(n, n, dtype=torch.float32) * 0.1
    w_out = torch.zeros(1, n, dtype=torch.float32)
    rates = torch.tanh(torch.randn(updates, n, dtype=torch.float32)).unbind(0)
    rls = RLS(n, 1e4)
    currents = torch.randn(n, dtype=torch.float64)

    def run() -> None:
        for r in rates:
            k = rls.gain(r.double())
            rls_correct(w_rec, (w_rec @ r).double() - currents, k)
            rls_correct(w_out, (w_out @ r).double() - 1.0, k)
    per = best_of(run, 2) / updates
    bytes_moved = 2 * (8 * n * n + 4 * n * n)  # read and write P (f64) and W_rec (f32)
    bandwidth = _bandwidth()
    floor = bytes_moved / bandwidth
    print(f"RLS update, N={n}: {per * 1e6:8.1f} µs; O(N²) memory floor {floor * 1e6:.2f} µs "
          f"at {bandwidth / 1e9:.1f} GB/s = {per / floor:.0f}× the floor "
          f"(~{per * 1e6 / 16:.1f} µs per torch call over 16 calls)")


def _bandwidth() -> float:
    a = torch.randn(1 << 24)
    b = torch.empty_like(a)
    return 2 * a.numel() * 4 / best_of(lambda: b.copy_(a))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--population", type=int, default=20)
    args = parser.parse_args()
    ga_generation(args.n, args.batch, args.population)
    for n in (args.n, 200, 500):
        rls_update(n, 2000 if n <= 200 else 500)


if __name__ == "__main__":
    main()
