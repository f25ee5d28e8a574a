"""rnntool's fixed-point finder side by side with FixedPointFinder (Golub & Sussillo 2018, torch).

Both run on the same map (the model's own step, float64), from the same initial states
with the same constant inputs: FixedPointFinder with its defaults (Adam, lr 1, tol_q 1e-12,
tol_unique 1e-3, Jacobians and their eigendecomposition) but dtype float64; rnntool with
its defaults (``method="exact"``, eigen-analysis included). Reported per model: wall time of
each (best of ``--repeats``), the ratio, both point counts, and how FixedPointFinder's
unique points match rnntool's fixed points (same input, max-norm distance).

FixedPointFinder is not on the package registry: point ``RNNTOOL_FPF_PATH`` at a checkout
of https://github.com/mattgolub/fixed-point-finder. The machine may be shared, so compare
the ratio measured in one run, not absolute seconds across runs.

FixedPointFinder takes minutes per model (it runs every start to its tolerance or 5000
iterations, and computes each point's Jacobian twice): run one model per command to stay
within a few minutes. Target: rnntool ≥ 5× faster, finding every root FixedPointFinder
converges (q < 1e-12) to 1e-6.

Usage: RNNTOOL_FPF_PATH=/path/to/fixed-point-finder python benchmarks/bench_fpf_peer.py
       [--models flipflop_3bit:zeros bptt_0050:large] [--repeats 1]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from rnntool.analysis.fixedpoints import (FinderSettings, find_fixed_points, input_set,
                                          search_starts)
from rnntool.analysis.point_analytics import float64_network
from rnntool.models import load_model

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"


class PeerCell(torch.nn.Module):
    """The model's step in the calling convention FixedPointFinder expects from a torch RNN:
    ``output, h_n = rnn(inputs (B, 1, n_in), h (1, B, N))`` with ``batch_first``."""

    batch_first = True

    def __init__(self, net) -> None:
        super().__init__()
        self.net = net
        self.anchor = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))

    def forward(self, inputs: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        nxt = self.net.step(h, inputs[:, 0][None])
        return nxt.transpose(0, 1), nxt


def compare(name: str, mode: str, repeats: int, peer_cls) -> None:
    model = load_model(SAMPLES / f"{name}.h5")
    net = float64_network(model.network)
    stem_mode = None if mode == "zeros" else mode
    inputs, labels, _ = input_set(model.task, net.input_size, stem_mode,
                                  "zeros" if mode == "zeros" else None)
    settings = FinderSettings(seed=model.record.seed, dtype="float64")
    x0, which = search_starts(net, model.task, len(inputs), settings)
    starts, start_inputs = x0.numpy(), inputs[which]

    def ours():
        return find_fixed_points(model.network, inputs, model.task, replace(settings), labels)

    def theirs():
        finder = peer_cls(PeerCell(net), dtype="float64", verbose=False)
        with contextlib.redirect_stdout(io.StringIO()):
            return finder.find_fixed_points(starts.copy(), start_inputs.copy())[0]

    t_ours, t_theirs = [], []
    for _ in range(repeats):  # interleaved, so both see the same machine load
        start = time.perf_counter()
        mine = ours()
        t_ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        peer = theirs()
        t_theirs.append(time.perf_counter() - start)
    fixed = mine.select(mine.is_fixed)
    peer_x, peer_u = np.asarray(peer.xstar), np.asarray(peer.inputs)
    dist = np.full(len(peer_x), np.inf)
    for i, (x, u) in enumerate(zip(peer_x, peer_u)):
        same = np.abs(fixed.u - u).max(-1) < 1e-9
        if same.any():
            dist[i] = np.abs(fixed.x[same] - x).max(-1).min()
    peer_q = np.asarray(peer.qstar)
    converged = peer_q < 1e-12
    print(f"{name} ({mode}): {len(starts)} starts, {len(inputs)} input(s), N = {net.state_size}")
    print(f"  rnntool  : {min(t_ours):7.2f} s (runs {', '.join(f'{t:.2f}' for t in t_ours)}); "
          f"{len(fixed)} fixed points ({int(fixed.stable_map.sum())} stable), "
          f"{int((~mine.is_fixed).sum())} slow, all residuals < {settings.root_tol:g}")
    print(f"  FPF torch: {min(t_theirs):7.2f} s (runs {', '.join(f'{t:.2f}' for t in t_theirs)}); "
          f"{len(peer_x)} unique points, {int(converged.sum())} with q < 1e-12")
    ratio = min(t_theirs) / min(t_ours)
    same = int((dist[converged] < 1e-6).sum()) == int(converged.sum())
    print(f"  rnntool is {ratio:.1f}x faster (best of {repeats}; target >= 5x: "
          f"{'met' if ratio >= 5 else 'NOT met'}; every FPF root found: {'yes' if same else 'NO'}); FPF points "
          f"matched by an rnntool fixed point to 1e-6: {int((dist < 1e-6).sum())}/{len(peer_x)}, "
          f"to 1e-3: {int((dist < 1e-3).sum())}; FPF points with q < 1e-12 matched to 1e-6: "
          f"{int((dist[converged] < 1e-6).sum())}/{int(converged.sum())}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["flipflop_3bit:zeros", "bptt_0050:large"],
                        help="sample model:input set pairs")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    path = os.environ.get("RNNTOOL_FPF_PATH")
    if not path or not (Path(path) / "FixedPointFinderTorch.py").is_file():
        print("skipped: set RNNTOOL_FPF_PATH to a checkout of mattgolub/fixed-point-finder")
        return
    sys.path.insert(0, path)
    from FixedPointFinderTorch import FixedPointFinderTorch

    print(f"torch threads {torch.get_num_threads()}; machine possibly shared: compare ratios")
    for spec in args.models:
        name, mode = spec.split(":")
        compare(name, mode, args.repeats, FixedPointFinderTorch)


if __name__ == "__main__":
    main()
