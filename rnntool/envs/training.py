"""Training an agent in a closed-loop environment by back-propagation through its sessions.

Every gradient step runs ``sessions`` fresh sessions in parallel (the original ran one).
The agent's state carries across the whole session; ``truncate`` > 0 cuts the gradient
every ``truncate`` steps and updates the weights once per chunk (truncated BPTT),
``truncate`` = 0 back-propagates through whole sessions for one update per iteration.

Two sets of defaults (:data:`PRESETS`):

- ``default`` (what ``rnntool train NAME --task ibl`` uses): Adam, lr 3·10⁻³, truncated
  BPTT every 100 steps, 16 sessions per iteration, 150 iterations (minutes on one core).
  It reaches the Bayesian actor's per-trial accuracy within a few iterations; the block
  prior (concordant above discordant trials at low strength) takes the rest.
- ``paper``: Schaeffer et al. (2020) exactly — SGD lr 10⁻³, momentum 0.1, BPTT through
  whole sessions. It did not learn within reach of a workstation here (the paper ran
  100 001 one-session steps); it is kept for replication.

Both train the −p(correct) objective of the paper (``objective=nll`` is the proper
log-likelihood). The optimiser comes from :mod:`rnntool.engine.optimisers`; checkpoints
(:class:`rnntool.engine.checkpoint.Checkpointer`) resume bit-identically, and a scalar
logger (TensorBoard) receives every logged value.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields
from typing import Any, Callable, Protocol

import numpy as np
import torch

from rnntool.engine.checkpoint import (Checkpointer, generator_states, load_generator_states,
                                      load_optimiser_state, optimiser_state)
from rnntool.engine.optimisers import OPTIMISERS, build_optimiser
from rnntool.envs.base import Environment
from rnntool.envs.rollout import rollout
from rnntool.errors import ConfigError

#: Named sets of training defaults; explicit settings override a preset's.
PRESETS: dict[str, dict[str, Any]] = {
    "default": {"optimizer": "adam", "lr": 3e-3, "truncate": 100,
                "iterations": 150},
    "paper": {"optimizer": "sgd", "lr": 1e-3, "momentum": 0.1, "truncate": 0,
              "iterations": 100_001, "sessions": 1},
}

#: Leading principal components whose variance fraction is logged (Schaeffer et al. 2020).
LOGGED_PCS = 4
#: History entries measured in wall-clock time (they differ between identical runs).
TIMING_KEYS = ("env_steps_per_s",)


@dataclass
class ClosedLoopSettings:
    """Hyper-parameters of closed-loop training (defaults: the ``default`` preset)."""

    iterations: int = PRESETS["default"]["iterations"]
    sessions: int = 16
    objective: str = "p_correct"
    optimizer: str = PRESETS["default"]["optimizer"]
    lr: float = PRESETS["default"]["lr"]
    momentum: float = 0.0
    weight_decay: float = 0.0
    truncate: int = PRESETS["default"]["truncate"]
    clip: float = 0.0
    log_every: int = 5
    preset: str = "default"

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ConfigError(f"unknown preset {self.preset!r} (choose from {', '.join(PRESETS)})")
        if self.optimizer not in OPTIMISERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r} (choose from {', '.join(OPTIMISERS)})")
        for key in ("iterations", "sessions", "log_every"):
            if int(getattr(self, key)) < 1:
                raise ConfigError(f"{key} must be at least 1, got {getattr(self, key)}")
        if not self.lr > 0 or min(self.momentum, self.weight_decay, self.truncate, self.clip) < 0:
            raise ConfigError("lr must be positive; momentum, weight_decay, truncate and clip "
                              "non-negative")

    @classmethod
    def from_options(cls, **options: Any) -> ClosedLoopSettings:
        """Settings from ``preset`` (default ``default``) overridden by explicit options."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f"{unknown[0]} is not a closed-loop training setting "
                              f"(known: {', '.join(sorted(known))})")
        preset = options.get("preset", "default")
        if preset not in PRESETS:
            raise ConfigError(f"unknown preset {preset!r} (choose from {', '.join(PRESETS)})")
        try:
            return cls(**{**PRESETS[preset], **options})
        except (TypeError, ValueError) as err:
            raise ConfigError(f"bad closed-loop training setting: {err}") from None

    def config(self) -> dict[str, Any]:
        return asdict(self)


def closed_loop_help() -> dict[str, Any]:
    """The presets, settings and the reason for the default, for ``rnntool train --help``."""
    return {"help": "Default: Adam with truncated BPTT, which reaches the Bayesian actor's "
                    "per-trial accuracy and uses the block prior within minutes (150 "
                    "iterations). Schaeffer et al. 2020's SGD (lr 1e-3, momentum 0.1, "
                    "whole-session BPTT) is preset=paper: it did not learn within reach here "
                    "(the paper ran 100 001 one-session steps).",
            "presets": {name: ", ".join(f"{k}={v}" for k, v in values.items())
                        for name, values in PRESETS.items()},
            "options": [f.name for f in fields(ClosedLoopSettings)]}


class ScalarLogger(Protocol):
    """Receives every logged scalar (e.g. :class:`rnntool.engine.tensorboard_log.TensorBoardLogger`)."""

    def log(self, member: int, iteration: int, values: dict[str, float]) -> None: ...


def hidden_variance_fractions(activity: torch.Tensor, active: torch.Tensor,
                              k: int = LOGGED_PCS) -> np.ndarray:
    """Fraction of the hidden states' variance along each of the first ``k`` principal
    components, over the active steps of recorded (T, S, N) activity; NaN past N."""
    h = activity[active].double()
    out = np.full(k, np.nan)
    if h.shape[0] < 2:
        return out
    eig = torch.linalg.eigvalsh(torch.cov(h.T).reshape(h.shape[1], h.shape[1])).flip(0).clamp(min=0)
    total = float(eig.sum())
    n = min(k, eig.shape[0])
    out[:n] = (eig[:n] / total).numpy() if total > 0 else 0.0
    return out


def train_agent(agent: Any, env: Environment, settings: ClosedLoopSettings,
                generator: torch.Generator,
                log: Callable[[int, dict[str, float]], None] | None = None,
                checkpointer: Checkpointer | None = None,
                logger: ScalarLogger | None = None) -> dict[str, np.ndarray]:
    """Train ``agent`` (the rollout's step interface plus ``parameters()`` and, for
    checkpoints, ``net``) in place; returns the history (one entry per logged iteration).

    Every ``log_every`` iterations the objective, the environment's metrics, the variance
    fractions of the hidden states' first principal components, the gradient norm, the
    learning rate and the throughput are recorded, passed to ``log(iteration, scalars)``
    and to ``logger``. ``checkpointer`` saves the weights, optimiser, random stream and
    history every ``checkpointer.every`` iterations; where it holds a checkpoint, training
    continues from it and ends bit-identical to an uninterrupted run.
    """
    env.policy.check_objective(settings.objective)
    params = [p for p in agent.parameters() if p.requires_grad]
    opt = build_optimiser(params, settings.optimizer, settings.lr, settings.weight_decay,
                          settings.momentum)
    history: dict[str, list[float]] = {}
    start = 1
    resume = checkpointer.resume_from if checkpointer is not None else None
    if resume is not None:
        with torch.no_grad():
            for name, value in resume["weights"].items():
                agent.net.params[name].copy_(torch.from_numpy(np.array(value)))
        load_optimiser_state(opt, resume["optimiser"])
        load_generator_states({"data": generator}, resume["generators"])
        history = {k: [float(x) for x in np.asarray(v)] for k, v in resume["monitor"]["history"].items()}
        start = int(resume["monitor"]["iteration"]) + 1
    grad_norm = torch.zeros((), dtype=torch.float64)
    began = time.perf_counter()

    def update(objective: torch.Tensor) -> None:
        nonlocal grad_norm
        opt.zero_grad()
        objective.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(
            params, settings.clip if settings.clip > 0 else float("inf"))
        opt.step()

    tic, steps = time.perf_counter(), 0
    spent = float(resume["monitor"].get("seconds", 0.0)) if resume is not None else 0.0
    for it in range(start, settings.iterations + 1):
        logged = it % settings.log_every == 0 or it == settings.iterations
        if settings.truncate:
            run = rollout(agent, env, settings.sessions, generator, settings.objective,
                          record=logged, truncate=settings.truncate, update=update)
        else:
            run = rollout(agent, env, settings.sessions, generator, settings.objective,
                          record=logged)
            update(run.objective)
        steps += run.active_steps
        if logged:
            elapsed = time.perf_counter() - tic
            pcs = hidden_variance_fractions(run.columns["activity"], run.columns["active"])
            scalars = {"iteration": float(it), "objective": float(run.objective.detach()),
                       **env.metrics(),
                       **{f"hidden_pc{i + 1}_variance": float(v) for i, v in enumerate(pcs)},
                       "grad_norm": float(grad_norm), "lr": opt.param_groups[0]["lr"],
                       "env_steps_per_s": steps / max(elapsed, 1e-9)}
            for key, value in scalars.items():
                history.setdefault(key, []).append(value)
            if log is not None:
                log(it, scalars)
            if logger is not None:
                logger.log(0, it, scalars)
            tic, steps = time.perf_counter(), 0
        if checkpointer is not None and checkpointer.due(it) and it < settings.iterations:
            checkpointer.save({"weights": {n: v.detach().cpu().numpy() for n, v in agent.net.params.items()},
                               "optimiser": optimiser_state(opt), "schedule": {},
                               "generators": generator_states({"data": generator}),
                               "monitor": {"iteration": it,
                                           "seconds": spent + time.perf_counter() - began,
                                           "history": {
                                   k: np.asarray(v, dtype=np.float64) for k, v in history.items()}}})
    return {k: np.asarray(v) for k, v in history.items()}
