"""Training throughput in the IBL environment, printed as figures (not a test).

One gradient step = run sessions of the IBL task (Schaeffer et al., 2020; 4 blocks each)
with the 50-unit tanh RNN agent (the registered ``rnn`` cell), then back-propagate.
Throughput is in environment steps per second (forward + backward). Compared, in the same run:

- one session at a time, BPTT through the whole session (the original's way),
- S sessions stepped in parallel, BPTT through the whole sessions,
- one iteration of ``rnntool train --task ibl``'s default (16 sessions, Adam, an update
  every 100 steps of truncated BPTT).

Target: ≥ 20× the single-session throughput. The work per step is tiny (N = 50), so the
path is bound by per-step latency, not arithmetic; the share of the machine's GEMM peak
is printed to show it.

Usage: python benchmarks/bench_ibl.py [--n 50] [--sessions 64 256] [--blocks 4]
"""

from __future__ import annotations

import argparse
import time

import torch

from rnntool.envs import IBLEnvironment
from rnntool.envs.agents import NetworkAgent, agent_config, agent_network
from rnntool.envs.rollout import rollout
from rnntool.envs.training import ClosedLoopSettings, train_agent

from _machine import gemm_peak, machine_line


def throughput(agent: NetworkAgent, env: IBLEnvironment, sessions: int, seed: int) -> tuple[float, int]:
    """Environment steps per second of one forward + backward pass over ``sessions``."""
    start = time.perf_counter()
    run = rollout(agent, env, sessions, torch.Generator().manual_seed(seed))
    run.objective.backward()
    for p in agent.parameters():
        p.grad = None
    return run.active_steps / (time.perf_counter() - start), run.active_steps


def default_iteration(agent: NetworkAgent, env: IBLEnvironment, seed: int) -> float:
    """Environment steps per second of one iteration of the default training settings
    (forward, backward and the Adam updates, as the training loop measures it)."""
    history = train_agent(agent, env, ClosedLoopSettings(iterations=1),
                          torch.Generator().manual_seed(seed))
    return float(history["env_steps_per_s"][0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--sessions", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--blocks", type=int, default=4)
    args = parser.parse_args()
    env = IBLEnvironment(blocks_per_session=args.blocks)
    agent = NetworkAgent(agent_network(agent_config(3, args.n, 2, "rnn"), torch.Generator().manual_seed(0)))
    print(machine_line())
    peak = gemm_peak(dtype=torch.float64) * 1e9
    # flops per environment step: input, recurrent and readout products, forward + ~2× backward
    flops = 3 * 2 * (args.n * args.n + 3 * args.n + 2 * args.n)
    print(f"IBL training throughput, N={args.n}, {args.blocks} blocks per session, "
          f"{torch.get_num_threads()} threads; float64 GEMM peak {peak / 1e9:.1f} GFLOP/s")
    single = max(throughput(agent, env, 1, seed)[0] for seed in (1, 2))
    print(f"  1 session per pass (original's way): {single:10.0f} env steps/s "
          f"({single * flops / peak:.2%} of GEMM peak)")
    for s in args.sessions:
        rate, steps = throughput(agent, env, s, 3)
        print(f"  {s:4d} sessions per pass:              {rate:10.0f} env steps/s "
              f"= {rate / single:5.1f}× ({steps} steps; {rate * flops / peak:.2%} of GEMM peak; "
              f"target ≥ 20×)")
    rate = default_iteration(agent, env, 4)
    print(f"  default training iteration (16 sessions, Adam, truncated BPTT every 100 steps): "
          f"{rate:10.0f} env steps/s = {rate / single:5.1f}× ({rate * flops / peak:.2%} of GEMM peak)")


if __name__ == "__main__":
    main()
