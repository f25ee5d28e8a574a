"""Training an agent in a closed-loop environment by back-propagation through its sessions.

Defaults are those of Schaeffer et al. (2020): the −p(correct) objective, SGD with learning
rate 10⁻³ and momentum 0.1, and BPTT through the whole session. Every gradient step runs
``sessions`` fresh sessions in parallel (the original ran one). ``truncate`` switches to
truncated BPTT: the agent's state still carries across the whole session, but gradients
are cut every ``truncate`` steps, giving one update per chunk.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np
import torch

from rnntool.engine.optimisers import OPTIMISERS, build_optimiser
from rnntool.envs.base import Environment
from rnntool.envs.rollout import rollout
from rnntool.errors import ConfigError


@dataclass
class ClosedLoopSettings:
    """Hyper-parameters of closed-loop training."""

    iterations: int = 1000
    sessions: int = 16
    objective: str = "p_correct"
    optimizer: str = "sgd"
    lr: float = 1e-3
    momentum: float = 0.1
    weight_decay: float = 0.0
    truncate: int = 0
    clip: float = 0.0
    log_every: int = 10

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMISERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r} (choose from {', '.join(OPTIMISERS)})")
        for key in ("iterations", "sessions", "log_every"):
            if int(getattr(self, key)) < 1:
                raise ConfigError(f"{key} must be at least 1, got {getattr(self, key)}")
        if not self.lr > 0 or min(self.momentum, self.weight_decay, self.truncate, self.clip) < 0:
            raise ConfigError("lr must be positive; momentum, weight_decay, truncate and clip "
                              "non-negative")

    def config(self) -> dict[str, Any]:
        return asdict(self)


def train_agent(agent: Any, env: Environment, settings: ClosedLoopSettings,
                generator: torch.Generator,
                log: Callable[[int, dict[str, float]], None] | None = None
                ) -> dict[str, np.ndarray]:
    """Train ``agent`` (the rollout's step interface plus ``parameters()``) in place; returns
    the history (one entry per logged iteration).

    ``log(iteration, scalars)`` receives the objective, the environment's metrics, the
    gradient norm and the throughput every ``log_every`` iterations.
    """
    env.policy.check_objective(settings.objective)
    params = [p for p in agent.parameters() if p.requires_grad]
    opt = build_optimiser(params, settings.optimizer, settings.lr, settings.weight_decay,
                          settings.momentum)
    grad_norm = torch.zeros((), dtype=torch.float64)

    def update(objective: torch.Tensor) -> None:
        nonlocal grad_norm
        opt.zero_grad()
        objective.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(
            params, settings.clip if settings.clip > 0 else float("inf"))
        opt.step()

    history: dict[str, list[float]] = {}
    tic, steps = time.perf_counter(), 0
    for it in range(1, settings.iterations + 1):
        if settings.truncate:
            run = rollout(agent, env, settings.sessions, generator, settings.objective,
                          truncate=settings.truncate, update=update)
        else:
            run = rollout(agent, env, settings.sessions, generator, settings.objective)
            update(run.objective)
        steps += run.active_steps
        if it % settings.log_every == 0 or it == settings.iterations:
            elapsed = time.perf_counter() - tic
            scalars = {"iteration": float(it), "objective": float(run.objective.detach()),
                       **env.metrics(), "grad_norm": float(grad_norm),
                       "env_steps_per_s": steps / max(elapsed, 1e-9),
                       "lr": opt.param_groups[0]["lr"]}
            for key, value in scalars.items():
                history.setdefault(key, []).append(value)
            if log is not None:
                log(it, scalars)
            tic, steps = time.perf_counter(), 0
    return {k: np.asarray(v) for k, v in history.items()}
