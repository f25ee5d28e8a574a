"""Throughput of a sweep's training jobs on a local Dask cluster of 1 and of 2 workers.

The same grid of independent training jobs (one seed each) runs on each cluster; workers
are started and have imported rnntool before the clock starts, so the figure is the jobs'
throughput, not the cluster's start-up. The GEMM peak of this process (both cores) is
measured in the same run for context. Target: 2 workers ≥ 1.7× 1 worker.

    python benchmarks/bench_sweep.py [--seeds 8] [--steps 200] [--iters 30] [--repeat 1]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import torch

from rnntool.executor import ExecutorSettings, dask_client, run_jobs
from rnntool.sweeps.plan import plan_sweep
from rnntool.sweeps.spec import load_sweep

GRID = """
[sweep]
name = "bench"
seeds = {seeds}
chunk = 1
[grid]
rule = ["bptt"]
"task.contexts" = [2]
[task]
steps = {steps}
[network]
n_rec = 50
[train]
validation_trials = 200
[rules.bptt]
batch_size = 100
max_iters = {iters}
"""


def gemm_peak(n: int = 1024, repeats: int = 20) -> float:
    """GFLOP/s of float32 n×n products in this process."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n ** 3 * repeats / (time.perf_counter() - start) / 1e9


def _warm() -> None:
    import rnntool.sweeps.jobs  # noqa: F401  (imports torch and the training stack)


def throughput(workers: int, sweep_text: str, folder: Path) -> tuple[float, int]:
    """Models per second of the training jobs on ``workers`` local one-thread workers."""
    path = folder / f"bench{workers}.toml"
    path.write_text(sweep_text)
    plan = plan_sweep(load_sweep(path, out=folder / f"out{workers}"))
    jobs = [j for j in plan.jobs if j.name.startswith("train")]
    with dask_client(ExecutorSettings(workers=workers)) as client:
        client.run(_warm)
        start = time.perf_counter()
        report = run_jobs(client, jobs)
        seconds = time.perf_counter() - start
    assert report.ok, report.failed
    return len(jobs) / seconds, len(jobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--iters", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    text = GRID.format(seeds=args.seeds, steps=args.steps, iters=args.iters)
    print(f"GEMM peak (this process, all threads): {gemm_peak():.0f} GFLOP/s")
    for r in range(args.repeat):
        folder = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
        try:
            one, n = throughput(1, text, folder)
            two, _ = throughput(2, text, folder)
        finally:
            shutil.rmtree(folder)
        print(f"run {r + 1}: {n} BPTT models (N-CDI K=2, T={args.steps}, {args.iters} "
              f"iterations): 1 worker {one:.3f} models/s, 2 workers {two:.3f} models/s, "
              f"ratio {two / one:.2f}×")


if __name__ == "__main__":
    main()
