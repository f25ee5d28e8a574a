"""Recursive least squares, shared by FORCE and full-FORCE.

With P₀ = I/α the running estimate after samples (r₁, y₁) … (r_n, y_n) equals the ridge
solution argmin_w Σ_t (w·r_t − y_t)² + α‖w‖² (``tests/test_rules_beyond_bptt.py`` checks
it). Every update is two matrix-vector products and two rank-1 updates, O(N²), with no loop
over units; one gain vector serves every row of every weight matrix that reads the same
rates r, so full-FORCE updates W_rec and W_out together.
"""

from __future__ import annotations

from abc import abstractmethod
from collections import deque
from dataclasses import dataclass
from typing import Callable, ClassVar

import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.network.ctrnn import CTRNN
from rnntool.rules.base import LearningRule, Monitor, batch_accuracy
from rnntool.rules.cell_support import check_rule_cell
from rnntool.seeding import Seeds
from rnntool.tasks.base import Batch, Task


class RLS:
    """The inverse correlation matrix P of one rate vector and its gain updates."""

    def __init__(self, n: int, alpha: float, dtype: torch.dtype = torch.float64,
                 device: str | torch.device = "cpu") -> None:
        if alpha <= 0:
            raise ValueError("the RLS regulariser alpha must be positive")
        self.P = torch.eye(n, dtype=dtype, device=device) / alpha

    def gain(self, r: Tensor) -> Tensor:
        """Fold rates r (N,) into P and return the gain k = P r / (1 + rᵀ P r) (N,)."""
        pr = self.P @ r
        k = pr / (1.0 + r @ pr)
        self.P.sub_(torch.outer(pr, k))
        return k


def rls_correct(weights: Tensor, error: Tensor, k: Tensor) -> None:
    """In place w ← w − e kᵀ for every row: weights (M, N), a-priori errors (M,), gain (N,)."""
    weights.sub_(torch.outer(error.to(weights.dtype), k.to(weights.dtype)))


def rls_trial(net: CTRNN, inputs: Tensor, x: Tensor, update_from: int,
              update: Callable[[int, Tensor], None]) -> Tensor:
    """Run one trial (batch 1) of ``net``, calling ``update(t, r_t)`` after steps 0 and
    ``update_from`` … T−1, where r_t are the rates after step t.

    Steps with fixed weights in between run as one scan; the others go through
    :meth:`CTRNN.step` so each sees the weights the previous update left. Returns the
    outputs at every step (T, n_out), each read before that step's update.
    """
    u = inputs[0].to(net.device, net.dtype).unbind(0)
    steps = len(u)
    x = net.step(x, u[0].view(1, 1, -1))
    outputs = [net.output(x)[0]]
    update(0, net.rate(x)[0, 0])
    start = max(update_from, 1)
    if start > 1:
        traj = net.simulate(inputs[:, 1:min(start, steps)], x)
        x = traj.states[:, :, -1]
        outputs.append(traj.outputs[0, 0])
    for t in range(start, steps):
        x = net.step(x, u[t].view(1, 1, -1))
        outputs.append(net.output(x)[0])
        update(t, net.rate(x)[0, 0])
    return torch.cat(outputs)


def projected(net: CTRNN, update: Callable[[int, Tensor], None]) -> Callable[[int, Tensor], None]:
    """``update`` followed by the projection onto the network's constraints (if any)."""
    if not net.constraints.active:
        return update

    def step(t: int, r: Tensor) -> None:
        update(t, r)
        net.project()
    return step


@dataclass
class OnlineRLSRule(LearningRule):
    """Shared loop of FORCE and full-FORCE: one trial at a time (batch 1, as in the
    originals, because each RLS update depends on every earlier one), RLS updates at step
    0 and at every step from ``update_from`` on, a fresh attempt after
    ``trials_per_attempt`` trials without meeting the stopping rule, at most
    ``max_attempts`` attempts. The training accuracy shown is the running mean over the
    last ``accuracy_window`` trials.
    """

    unit: ClassVar[str] = "trial"
    #: RLS acts on the rates of the ctrnn cell's linear currents
    cells: ClassVar[tuple[str, ...]] = ("ctrnn",)
    alpha_rls: float = 1.0
    update_from: int = 200
    trials_per_attempt: int = 5000
    max_attempts: int = 3
    accuracy_window: int = 10
    max_iters: int = 15000

    def check(self) -> None:
        super().check()
        if self.alpha_rls <= 0 or self.update_from < 0:
            raise ConfigError("alpha_rls must be positive and update_from ≥ 0")
        if min(self.trials_per_attempt, self.max_attempts, self.accuracy_window) < 1:
            raise ConfigError("trials_per_attempt, max_attempts and accuracy_window must be ≥ 1")

    @abstractmethod
    def start_attempt(self, net: CTRNN, rng: torch.Generator) -> None:
        """Reset the trained weights (and any helper network) for a new attempt."""

    @abstractmethod
    def corrector(self, net: CTRNN, batch: Batch, rls: RLS) -> Callable[[int, Tensor], None]:
        """The per-step update ``(t, r_t) → None`` for one training trial."""

    def fit(self, net: CTRNN, task: Task, seeds: Seeds, monitor: Monitor) -> CTRNN:
        check_rule_cell(self, net.config.cell)
        if task.n_out != 1:
            raise ConfigError(f"rule {self.name!r} trains single-output tasks only")
        rng, data, noise = (seeds.generator(s) for s in ("rule", "data", "noise"))
        recent: deque[float] = deque(maxlen=self.accuracy_window)
        attempt, trial = 0, 0
        with torch.no_grad():
            while True:
                if trial % self.trials_per_attempt == 0:
                    if attempt == self.max_attempts:
                        return monitor.best_network(net)
                    attempt += 1
                    self.start_attempt(net, rng)
                    rls = RLS(net.config.n_rec, self.alpha_rls, device=net.device)
                trial += 1
                batch = task.sample(1, data)
                x = net.initial_state(1, noise)
                outputs = rls_trial(net, batch.inputs, x, self.update_from,
                                    projected(net, self.corrector(net, batch, rls)))
                outputs = outputs[None, None].cpu()  # (1, 1, T, n_out)
                loss = float(task.loss(outputs, batch, "mean")[0])
                correct = float(batch_accuracy(task, outputs, batch)[0])
                if correct == correct:  # unscored trials (NaN) leave the running mean alone
                    recent.append(correct)
                accuracy = sum(recent) / len(recent) if recent else 0.0
                if monitor.record(net, loss, accuracy, attempt=attempt):
                    return monitor.best_network(net)
