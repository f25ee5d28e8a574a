"""Seconds per training update of System A at full size, one model and the 20-member ensemble.

Run: ``python benchmarks/bench_system_a.py [--members 20] [--updates 1] [--dt 1]
[--device cpu|cuda]``.

Each update is exactly what ``rnntool train --task duration`` runs per iteration (BPTT
rule of the task defaults: the ``system-a`` preset with N = 500, a batch of 32 trials of
7000 ms at dt = 1 ms, i.e. T = 7000 steps, the task's loss, backward, Adam), timed after one
warm-up update. The K-member ensemble shares its frozen G, so its step is ONE
(K·B × N)·(N × N) product (:mod:`rnntool.network.shared_recurrence`); the same update with
the generic K-product path (the members' G not declared shared) is timed too where it fits.

Memory: one update holds about six (T, K·B, N) float32 tensors (drive, states, rates and
their gradients), ~2.7 GB per member at T = 7000. Members are therefore run in the largest
groups that fit ``--memory-gb`` (default: half the machine's available memory), one group
after another; the ensemble's seconds per update is the sum over its groups and the group
size is printed. On a GPU (``--device cuda``) the groups are the ones ``rnntool train``
plans (:mod:`rnntool.engine.chunking`: its measured activation estimate within 75 % of the
GPU's free memory, or ``--memory-gb``), every stack is timed after one warm-up update, the
clock reads after ``torch.cuda.synchronize()``, and the peak is the GPU's own matmul rate at
the network's dtype (float32; whether TF32 is allowed is printed, as torch's default
leaves it off), measured in the same run.

FLOPs per member-update: 4·B·N²·T (the forward product and the backward product through
the states; G is frozen, so no product for its gradient). Shares are of the float32 GEMM
peak measured in the same run with the same thread count. The machine may be shared:
compare ratios from one run only.

Target (issue 11): report the numbers; the shared-G ensemble's GEMM share should exceed a
single model's (its product has K·B rows instead of B).
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from rnntool.engine.chunking import MEMORY_SHARE, activation_bytes, available_bytes, plan_chunks
from rnntool.engine.losses import compute_loss
from rnntool.network import Network
from rnntool.rules import BPTT
from rnntool.tasks import make_task
from rnntool.training import network_for

from _machine import gemm_peak, machine_line

BYTES_PER_MEMBER_STEP = 6 * 4  # six float32 (T, B, N) tensors per member


def available_gb() -> float:
    with open("/proc/meminfo") as f:
        info = {line.split(":")[0]: int(line.split()[1]) for line in f}
    return info["MemAvailable"] / 2 ** 20


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def device_matmul_peak(device: str, dtype: torch.dtype = torch.float32, size: int = 8192,
                       reps: int = 20) -> float:
    """Best matmul rate in GFLOP/s of square ``size`` products on a GPU at ``dtype``
    (synchronised around each timed batch of products)."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    best = float("inf")
    for _ in range(3):
        a @ b
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(reps):
            a @ b
        _sync(device)
        best = min(best, (time.perf_counter() - t0) / reps)
    del a, b
    torch.cuda.empty_cache()
    return 2 * size ** 3 / best / 1e9


def seconds_per_update(task, n: int, members: int, updates: int, shared: bool,
                       warm_up: bool = False, seed: int = 1, device: str = "cpu") -> float:
    """Mean seconds of ``updates`` BPTT updates of a ``members``-member stack of N = ``n``
    on ``device`` (each timed between synchronisations on a GPU)."""
    rule = BPTT.create(task)
    cfg = network_for(BPTT, task, n)
    if not shared:
        cfg = cfg.with_(cell_options={})  # same G, but not declared shared: K products per step
    net = Network.initialise(cfg, torch.Generator().manual_seed(seed))
    net = Network(cfg, {k: v.expand(members, *v.shape[1:]).clone() for k, v in net.params.items()},
                  device)
    params = net.trainable_parameters()
    optimiser = torch.optim.Adam(params, lr=rule.lr)
    data = torch.Generator().manual_seed(seed)
    times = []
    for _ in range(updates + warm_up):
        batch = task.sample(rule.batch_size, data)
        _sync(device)
        t0 = time.perf_counter()
        trajectory = net.simulate(batch.inputs, net.initial_state(rule.batch_size))
        losses = compute_loss(rule.loss, task, trajectory.outputs, batch, rule.loss_reduction)
        optimiser.zero_grad(set_to_none=True)
        losses.sum().backward()
        optimiser.step()
        _sync(device)
        times.append(time.perf_counter() - t0)
        del trajectory, losses
    del net, params, optimiser
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return sum(times[int(warm_up):]) / updates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--updates", type=int, default=1, help="timed updates per stack")
    parser.add_argument("--dt", type=float, default=1.0, help="ms per step (1: T = 7000)")
    parser.add_argument("--n-rec", type=int, default=500)
    parser.add_argument("--memory-gb", type=float, default=None)
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]")
    args = parser.parse_args()
    if args.device.startswith("cuda"):
        return main_gpu(args)
    task = make_task("duration", dt=args.dt)
    n, b, t = args.n_rec, BPTT.create(task).batch_size, task.n_steps
    memory = args.memory_gb if args.memory_gb is not None else available_gb() / 2
    per_member = BYTES_PER_MEMBER_STEP * t * b * n / 2 ** 30
    group = max(1, min(args.members, int(memory // per_member)))
    print(machine_line())
    peak = gemm_peak()
    flops = 4 * b * n * n * t / 1e9  # per member-update
    print(f"float32 GEMM peak (this run): {peak:.0f} GFLOP/s, {torch.get_num_threads()} "
          f"thread(s), OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}", flush=True)
    print(f"System A update: N={n} B={b} T={t} (dt={args.dt:g} ms), {flops:.3g} GFLOP per "
          f"member-update; ~{per_member:.2g} GB per member, groups of {group} within "
          f"{memory:.3g} GB", flush=True)
    one = seconds_per_update(task, n, 1, args.updates, True, warm_up=True)
    print(f"one model:            {one:8.2f} s/update  ({flops / one / peak:6.1%} of peak)", flush=True)
    groups = [group] * (args.members // group) + ([args.members % group] if args.members % group else [])
    total = sum(seconds_per_update(task, n, k, args.updates, True) for k in groups)
    print(f"{args.members}-member ensemble: {total:8.2f} s/update  "
          f"({args.members * flops / total / peak:6.1%} of peak; shared G, groups {groups}; "
          f"{total / args.members:.2f} s per member, {args.members * one / total:.2f}x "
          f"{args.members} single runs)", flush=True)
    pair = min(max(group, 2), args.members)  # the paths differ only with K ≥ 2 members
    generic = seconds_per_update(task, n, pair, args.updates, False)
    fast = total / args.members * pair if groups == [pair] * len(groups) else \
        seconds_per_update(task, n, pair, args.updates, True)
    print(f"{pair}-member stack, generic K-product path: {generic:8.2f} s/update "
          f"({pair * flops / generic / peak:6.1%} of peak); shared-G path "
          f"{generic / fast:.2f}x faster", flush=True)


def main_gpu(args: argparse.Namespace) -> None:
    """The same measurements on a GPU, in the groups ``rnntool train`` would use there."""
    from rnntool.devices import check_device

    device = check_device(args.device)
    task = make_task("duration", dt=args.dt)
    rule = BPTT.create(task)
    cfg = network_for(BPTT, task, args.n_rec)
    n, b, t = args.n_rec, rule.batch_size, task.n_steps
    dtype = torch.float64 if cfg.dtype == "float64" else torch.float32
    peak = device_matmul_peak(device, dtype)
    per_member = activation_bytes(task, rule, cfg)
    free = available_bytes(device)
    available = (int(args.memory_gb * 2 ** 30 / MEMORY_SHARE) if args.memory_gb is not None
                 else free)
    groups = list(plan_chunks(args.members, per_member, available).sizes)
    flops = 4 * b * n * n * t / 1e9  # per member-update
    print(f"{torch.cuda.get_device_name(device)}: {cfg.dtype} matmul peak (this run) "
          f"{peak / 1e3:.1f} TFLOP/s, TF32 allowed: {torch.backends.cuda.matmul.allow_tf32}; "
          f"{free / 2 ** 30:.1f} GiB free", flush=True)
    print(f"System A update: N={n} B={b} T={t} (dt={args.dt:g} ms), {flops:.3g} GFLOP per "
          f"member-update; ~{per_member / 2 ** 30:.2g} GiB of activations per member, "
          f"groups {groups}", flush=True)
    one = seconds_per_update(task, n, 1, args.updates, True, warm_up=True, device=device)
    print(f"one model:            {one:8.3f} s/update  ({flops / one / peak:6.2%} of peak)",
          flush=True)
    total = sum(seconds_per_update(task, n, k, args.updates, True, warm_up=True, device=device)
                for k in groups)
    print(f"{args.members}-member ensemble: {total:8.3f} s/update  "
          f"({args.members * flops / total / peak:6.2%} of peak; shared G, groups {groups}; "
          f"{total / args.members:.3f} s per member, {args.members * one / total:.2f}x "
          f"{args.members} single runs)", flush=True)
    pair = min(max(groups[0], 2), args.members)
    generic = seconds_per_update(task, n, pair, args.updates, False, warm_up=True, device=device)
    fast = seconds_per_update(task, n, pair, args.updates, True, warm_up=True, device=device)
    print(f"{pair}-member stack, generic K-product path: {generic:8.3f} s/update "
          f"({pair * flops / generic / peak:6.2%} of peak); shared-G path {fast:8.3f} s/update, "
          f"{generic / fast:.2f}x faster", flush=True)
    print(f"peak GPU memory held: {torch.cuda.max_memory_allocated(device) / 2 ** 30:.1f} GiB",
          flush=True)


if __name__ == "__main__":
    main()
