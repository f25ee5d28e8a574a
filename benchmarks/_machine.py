"""The machine a benchmark ran on, and its GEMM ceiling measured in the same run.

Every benchmark states its speed as a share of this process's own dense matrix-product rate, so
the figures stay comparable across machines and across loads of a shared one; the machine line
(CPU model, logical CPUs, torch threads, OMP setting, load average) says what that rate came from.
Imported by the ``bench_*.py`` scripts, which run as ``python benchmarks/bench_x.py``.
"""
from __future__ import annotations

import os
import platform
import time
from typing import Callable

import torch


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo``, else what :mod:`platform` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine_line(device: str = "cpu") -> str:
    """One line naming the machine: CPU model, logical CPUs, torch threads, OMP, load, device."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    line = (f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs, torch {torch.__version__} "
            f"on {torch.get_num_threads()} thread(s), "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, load average {load}")
    if device.startswith("cuda"):
        line += f", {torch.cuda.get_device_name(torch.device(device))}"
    return line


def gemm_peak(device: str = "cpu", *, dtype: torch.dtype = torch.float32, size: int | None = None,
              threads: int | None = None, clock: Callable[[], float] = time.perf_counter,
              rounds: int = 3, min_seconds: float = 0.2, library: str = "torch") -> float:
    """Best GEMM rate in GFLOP/s of square ``dtype`` products on ``device``.

    Each of ``rounds`` rounds times back-to-back products for at least ``min_seconds`` after one
    warm-up product; the fastest round counts, so a passing burst of load on a shared machine
    lowers the figure less. ``size`` defaults to 1024 on CPU (large enough for the BLAS to reach
    its plateau) and 8192 on a GPU. ``threads`` sets torch's thread count for the measurement only;
    ``clock`` lets a benchmark time in CPU seconds (:func:`time.process_time`) like its workload.
    ``library="numpy"`` times NumPy's BLAS instead of torch's (CPU only), the ceiling of the
    analyses written in NumPy.
    """
    gpu = device.startswith("cuda")
    n = size or (8192 if gpu else 1024)
    sync = torch.cuda.synchronize if gpu else (lambda: None)
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        a = torch.randn(n, n, dtype=dtype, device=device)
        b = torch.randn(n, n, dtype=dtype, device=device)
        if library == "numpy":
            a, b = a.numpy(), b.numpy()
        best = float("inf")
        for _ in range(rounds):
            a @ b
            sync()
            reps, start = 0, clock()
            while reps == 0 or clock() - start < min_seconds:
                a @ b
                sync()
                reps += 1
            best = min(best, (clock() - start) / reps)
    finally:
        torch.set_num_threads(before)
    return 2 * n ** 3 / best / 1e9
