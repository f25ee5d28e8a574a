"""Throughput of a sweep's training jobs on a local Dask cluster of 1 and of 2 workers.

The same grid of identical, independent training jobs (one BPTT model per job, a fixed
budget with no early stop and no validation, so every job does the same work) runs on each
cluster. Each worker is one process with one thread (checked and printed); before the
clock starts every worker has imported rnntool and trained one small warm-up model, so
both clusters are timed on warm workers and the figure is the jobs' throughput, not start-up
or first-call costs. The run prints the load average before and after, the float32 GEMM
peak on one thread and on all threads of this process, both throughputs, the ratio and the
target (issue 14): 2 workers ≥ 1.7× 1 worker. Other processes on the machine take cores
from the 2-worker cluster first: measure when the load average is below 1.

    python benchmarks/bench_sweep.py [--seeds 8] [--steps 200] [--iters 30] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import torch

from rnntool.executor import ExecutorSettings, dask_client, run_jobs
from rnntool.sweeps.plan import plan_sweep
from rnntool.sweeps.spec import load_sweep

from _machine import gemm_peak, machine_line

TARGET = 1.7
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
stop = []
validation_trials = 10
validate_every = 1000000000
[rules.bptt]
batch_size = 100
max_iters = {iters}
"""


def _warm_up() -> int:
    """Import the training stack and train one small model on this worker; its threads."""
    from rnntool.rules import BPTT
    from rnntool.tasks import make_task
    from rnntool.training import TrainSettings, network_for, train

    task = make_task("cdi", steps=50)
    train("warm", task, BPTT.create(task, batch_size=16, max_iters=3), network_for(BPTT, task, 16),
          TrainSettings(stop=(), validation_trials=10))
    return torch.get_num_threads()


def throughput(workers: int, sweep_text: str, folder: Path) -> tuple[float, int, list[int]]:
    """Models per second of the training jobs on ``workers`` warm local workers, the number
    of jobs and each worker's thread count."""
    path = folder / f"bench{workers}.toml"
    path.write_text(sweep_text)
    plan = plan_sweep(load_sweep(path, out=folder / f"out{workers}"))
    jobs = [j for j in plan.jobs if j.name.startswith("train")]
    with dask_client(ExecutorSettings(workers=workers)) as client:
        threads = list(client.run(_warm_up).values())
        start = time.perf_counter()
        report = run_jobs(client, jobs)
        seconds = time.perf_counter() - start
    assert report.ok, report.failed
    return len(jobs) / seconds, len(jobs), threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--iters", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    text = GRID.format(seeds=args.seeds, steps=args.steps, iters=args.iters)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(machine_line())
    print(f"float32 GEMM peak (this run): {gemm_peak(threads=1):.0f} GFLOP/s on 1 thread, "
          f"{gemm_peak(threads=os.cpu_count() or 1):.0f} on {os.cpu_count()} threads", flush=True)
    for r in range(args.repeat):
        folder = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
        try:
            one, n, threads1 = throughput(1, text, folder)
            two, _, threads2 = throughput(2, text, folder)
        finally:
            shutil.rmtree(folder)
        ratio = two / one
        print(f"run {r + 1}: {n} BPTT models (N-CDI K=2, N=50, B=100, T={args.steps}, "
              f"{args.iters} iterations each), worker threads {threads1} and {threads2}: "
              f"1 worker {one:.3f} models/s, 2 workers {two:.3f} models/s, ratio {ratio:.2f}× "
              f"(target ≥ {TARGET}×: {'met' if ratio >= TARGET else 'not met'})", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
