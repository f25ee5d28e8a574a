"""The closed-loop environment protocol: seeded, batched over many sessions at once.

An environment runs ``S`` independent sessions in lock step. :meth:`Environment.reset`
draws them from a ``torch.Generator`` and returns the first observation; each
:meth:`Environment.step` takes one action per session and returns a :class:`Transition`
(next observation, reward, done, info). A session that has finished keeps answering with
zero observations and ``done`` set, so the batch steps on until every session is over.

The environment also states its :class:`Policy`: how an agent's output (one row per
session) becomes an action, and which losses compare that output with the environment's
:meth:`Environment.supervision` (the answer it would reward at the current step). Training
through a closed loop is then: agent step → policy loss against the supervision → policy
action (not differentiated) → environment step; see :mod:`rnntool.envs.rollout`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import torch
from torch import Tensor

from rnntool.errors import ConfigError


@dataclass
class Transition:
    """What one environment step returns, one entry per session.

    Attributes:
        observation: (S, n_obs) the agent's input at the next step.
        reward: (S,) reward for the action just taken (0 for finished sessions).
        done: (S,) bool, True once a session has ended (it stays True).
        info: per-session descriptors of the step just taken, each (S,) or (S, ·).
    """

    observation: Tensor
    reward: Tensor
    done: Tensor
    info: dict[str, Tensor] = field(default_factory=dict)


class Policy(ABC):
    """How an output becomes an action, and the losses that train the output."""

    #: Loss names this policy computes, the first being the default.
    objectives: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def probabilities(self, outputs: Tensor) -> Tensor:
        """What the agent's output means to the environment (action probabilities, or the
        output itself for continuous actions): (S, n_out) → (S, ·)."""

    @abstractmethod
    def act(self, outputs: Tensor) -> Tensor:
        """The action each session takes, (S, n_out) → (S, ·); never differentiated."""

    @abstractmethod
    def loss(self, outputs: Tensor, target: Tensor, weight: Tensor, objective: str) -> Tensor:
        """Per-session loss of one step, (S,); zero where ``weight`` is zero."""

    def check_objective(self, objective: str) -> None:
        if objective not in self.objectives:
            raise ConfigError(f"objective {objective!r} is not available here "
                              f"(choose from {', '.join(self.objectives)})")


class ThresholdSoftmaxPolicy(Policy):
    """Softmax over two action logits (left, right); act on the more likely side once its
    probability exceeds ``threshold``, otherwise wait.

    Actions are sides: −1 (left), +1 (right), 0 (no action). Objectives:

    - ``p_correct``: −p(correct side), what Schaeffer et al. (2020) trained with (their code
      calls it NLL because it applies ``NLLLoss`` to probabilities);
    - ``nll``: −log p(correct side), the proper negative log-likelihood.
    """

    objectives = ("p_correct", "nll")

    def __init__(self, threshold: float) -> None:
        self.threshold = float(threshold)

    def probabilities(self, outputs: Tensor) -> Tensor:
        return torch.softmax(outputs, dim=-1)

    def act(self, outputs: Tensor) -> Tensor:
        p = self.probabilities(outputs.detach())
        best, side = p.max(dim=-1)
        return torch.where(best > self.threshold, side * 2 - 1, torch.zeros_like(side))

    def loss(self, outputs: Tensor, target: Tensor, weight: Tensor, objective: str) -> Tensor:
        if objective == "p_correct":
            value = torch.softmax(outputs, -1).gather(-1, target[:, None])[:, 0]
        elif objective == "nll":
            value = torch.log_softmax(outputs, -1).gather(-1, target[:, None])[:, 0]
        else:
            self.check_objective(objective)
        return value * -weight


class IdentityPolicy(Policy):
    """Continuous actions: the output is the action (open-loop tasks); squared-error loss."""

    objectives = ("mse",)

    def probabilities(self, outputs: Tensor) -> Tensor:
        return outputs

    def act(self, outputs: Tensor) -> Tensor:
        return outputs.detach()

    def loss(self, outputs: Tensor, target: Tensor, weight: Tensor, objective: str) -> Tensor:
        self.check_objective(objective)
        return (weight * (outputs - target) ** 2).sum(-1)


@dataclass
class Environment(ABC):
    """A closed-loop environment; subclasses are dataclasses whose fields are its settings.

    Every random draw comes from the generator given to :meth:`reset`; no method loops over
    sessions in Python.
    """

    name: ClassVar[str]
    #: ``step``: the objective is the mean loss per active step (sessions of varying length);
    #: ``session``: the loss summed over a session's steps, averaged over sessions.
    loss_per: ClassVar[str] = "step"

    @property
    @abstractmethod
    def n_obs(self) -> int: ...

    @property
    @abstractmethod
    def n_actions(self) -> int:
        """Width of the agent output the policy expects."""

    @property
    @abstractmethod
    def policy(self) -> Policy: ...

    @abstractmethod
    def reset(self, n_sessions: int, generator: torch.Generator) -> Tensor:
        """Start ``n_sessions`` fresh sessions; returns the first observation (S, n_obs)."""

    @abstractmethod
    def step(self, action: Tensor) -> Transition:
        """Apply one action per session and advance every unfinished session by one step."""

    @abstractmethod
    def supervision(self) -> tuple[Tensor, Tensor]:
        """(target, weight) for the current step: the rewarded answer and the loss weight
        (zero where the output is free or the session is over)."""

    @property
    @abstractmethod
    def done(self) -> Tensor:
        """(S,) bool: which sessions have ended."""

    def max_steps(self) -> int | None:
        """An upper bound on the steps of the current sessions, if one is known."""
        return None

    def metrics(self) -> dict[str, float]:
        """Named metrics of the sessions run since the last reset."""
        return {}

    def annotate(self, columns: dict[str, Tensor]) -> dict[str, Tensor]:
        """Complete recorded (T, S) step columns with what the environment knows of its
        sessions (so :meth:`step` need not compute it while training)."""
        return columns

    def config(self) -> dict[str, Any]:
        """The environment's name and settings."""
        return {"name": self.name, **{f.name: _plain(getattr(self, f.name)) for f in fields(self)}}

    def check(self) -> None:
        """Raise :class:`ConfigError` for settings out of range."""


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
