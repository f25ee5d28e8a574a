"""Running an agent step by step against an environment, differentiably.

An agent is anything with ``initial_state(n_sessions)`` and ``step(x, u) → (x, output)``
(a recurrent cell with its readout, or a Bayesian actor). :func:`rollout` carries the
agent's state across the trials of every session (it is reset only at the start of a
session), scores each output with the environment's policy loss against the environment's
supervision, acts through the policy and steps the environment until every session is
over. With gradients enabled the returned objective back-propagates through the whole
session (BPTT); actions themselves are never differentiated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import torch
from torch import Tensor

from rnntool.envs.base import Environment


class Agent(Protocol):
    """The minimal step interface the rollout needs."""

    def initial_state(self, n_sessions: int) -> Any: ...

    def step(self, x: Any, u: Tensor) -> tuple[Any, Tensor]: ...


@dataclass
class Rollout:
    """The outcome of running sessions to their end.

    Attributes:
        objective: scalar loss (differentiable when run with gradients).
        steps: number of time steps run (the longest session).
        active_steps: environment steps summed over sessions.
        columns: when recorded, per-step tensors (T, S, …): the environment's info, the
            policy's probabilities, the per-step loss and the agent's activity.
        outputs: when recorded, the raw agent outputs (T, S, n_out).
    """

    objective: Tensor
    steps: int
    active_steps: int
    columns: dict[str, Tensor] = field(default_factory=dict)
    outputs: Tensor | None = None


def agent_activity(agent: Agent, x: Any) -> Tensor:
    """The activity an agent exposes for recording (its ``activity(x)`` or x itself)."""
    fn = getattr(agent, "activity", None)
    return fn(x) if fn is not None else x


def rollout(agent: Agent, env: Environment, n_sessions: int, generator: torch.Generator | None,
            objective: str | None = None, record: bool = False, truncate: int | None = None,
            update: Callable[[Tensor], None] | None = None, **reset: Any) -> Rollout:
    """Run ``n_sessions`` sessions of ``env`` with ``agent`` until all are over.

    Args:
        objective: a loss the environment's policy offers (default: its first).
        record: keep every step's info, probabilities, loss, outputs and activity.
        truncate, update: truncated BPTT — every ``truncate`` steps (and at the end) call
            ``update`` with the objective of the steps since the last call, then cut the
            graph at the agent's state (which carries on). Without them the objective of
            the whole session is returned for one backward pass.
        reset: passed to ``env.reset`` (e.g. ``plan=`` to replay the same sessions).
    """
    policy = env.policy
    objective = objective or policy.objectives[0]
    policy.check_objective(objective)
    if (truncate is None) != (update is None):
        raise ValueError("truncate and update go together")
    obs = env.reset(n_sessions, generator, **reset)
    x = agent.initial_state(n_sessions)
    chunk = total = torch.zeros((), dtype=torch.float64)
    chunk_steps = active_steps = torch.zeros((), dtype=torch.long)
    limit = env.max_steps()
    kept: dict[str, list[Tensor]] = {}
    outputs: list[Tensor] = []
    steps = 0

    def normalised(value: Tensor, count: Tensor) -> Tensor:
        norm = int(count) if env.loss_per == "step" else n_sessions
        return value / max(norm, 1)

    while not bool(env.done.all()):
        if limit is not None and steps >= limit:
            raise RuntimeError(f"sessions still running after {limit} steps")
        active = ~env.done
        x, out = agent.step(x, obs)
        target, weight = env.supervision()
        loss = policy.loss(out, target, weight.to(out.dtype), objective)
        chunk = chunk + loss.sum()
        chunk_steps = chunk_steps + active.sum()
        transition = env.step(policy.act(out))
        obs = transition.observation
        steps += 1
        if record:
            columns = {**transition.info, "loss": loss.detach(),
                       "probabilities": policy.probabilities(out.detach()),
                       "activity": agent_activity(agent, x).detach()}
            for key, value in columns.items():
                kept.setdefault(key, []).append(value)
            outputs.append(out.detach())
        if update is not None and (steps % truncate == 0 or bool(env.done.all())):
            update(normalised(chunk, chunk_steps))
            x = _detached(x)
            total, active_steps = total + chunk.detach(), active_steps + chunk_steps
            chunk, chunk_steps = torch.zeros_like(chunk), torch.zeros_like(chunk_steps)
    total, active_steps = total + chunk, active_steps + chunk_steps
    result = Rollout(normalised(total, active_steps), steps, int(active_steps))
    if record:
        result.columns = env.annotate({k: torch.stack(v) for k, v in kept.items()})
        result.outputs = torch.stack(outputs)
    return result


def _detached(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.detach()
    if isinstance(x, (tuple, list)):
        return type(x)(_detached(v) for v in x)
    return x
