"""Any open-loop task (:mod:`rnntool.tasks`) seen through the closed-loop protocol.

Each session is one trial of the task: the observation at step t is the trial's input at t,
the action is the network's output (:class:`IdentityPolicy`), the reward is minus the
masked squared error of that step, and the session ends after the task's last step. The
objective summed over steps and averaged over sessions equals :meth:`Task.loss`, so the
closed-loop path is checked against the open-loop one on every existing task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

from rnntool.envs.base import Environment, IdentityPolicy, Policy, Transition
from rnntool.tasks import Batch, Task


@dataclass
class OpenLoopEnvironment(Environment):
    """Adapter from a :class:`Task` to an :class:`Environment`."""

    task: Task

    name: ClassVar[str] = "openloop"
    loss_per: ClassVar[str] = "session"

    def __post_init__(self) -> None:
        self._policy = IdentityPolicy()
        self.batch: Batch | None = None
        self._t = 0

    @property
    def n_obs(self) -> int:
        return self.task.n_in

    @property
    def n_actions(self) -> int:
        return self.task.n_out

    @property
    def policy(self) -> Policy:
        return self._policy

    def reset(self, n_sessions: int, generator: torch.Generator) -> Tensor:
        """Draw ``n_sessions`` trials with :meth:`Task.sample`."""
        return self.start(self.task.sample(n_sessions, generator))

    def start(self, batch: Batch) -> Tensor:
        """Run the given trials (a validation set, say) instead of fresh ones."""
        self.batch, self._t = batch, 0
        return batch.inputs[:, 0]

    @property
    def done(self) -> Tensor:
        return torch.full((len(self._batch()),), self._t >= self.task_steps)

    @property
    def task_steps(self) -> int:
        return self._batch().inputs.shape[1]

    def max_steps(self) -> int:
        return self.task_steps

    def supervision(self) -> tuple[Tensor, Tensor]:
        b, t = self._batch(), min(self._t, self.task_steps - 1)
        weight = b.mask[:, t] if self._t < self.task_steps else torch.zeros_like(b.mask[:, 0])
        return b.targets[:, t], weight

    def step(self, action: Tensor) -> Transition:
        b = self._batch()
        target, weight = self.supervision()
        reward = -(weight * (action.to(target.dtype) - target) ** 2).sum(-1)
        self._t += 1
        done = self.done
        obs = b.inputs[:, self._t] if self._t < self.task_steps else torch.zeros_like(b.inputs[:, 0])
        info = {"step": torch.full(reward.shape, self._t - 1, dtype=torch.long), "reward": reward}
        return Transition(obs, reward, done, info)

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "task": self.task.config()}

    def _batch(self) -> Batch:
        if self.batch is None:
            raise RuntimeError("reset() must be called before stepping the environment")
        return self.batch
