"""The IBL block task as a closed-loop environment (Schaeffer et al., NeurIPS 2020).

A session is a sequence of blocks. Block lengths (in trials) are Geometric(``block_param``)
restricted to [``min_block_trials``, ``max_block_trials``]; the first block's side is left
or right with probability ½ and later blocks alternate. Each trial's side equals the block
side with probability ``concordance``; its strength μ is drawn uniformly from
``strengths``. A trial has ``blank_steps`` silent steps, then up to ``max_obs_steps``
observation steps on which the side's channel is N(μ, σ²) and the other channel N(0, σ²).
The agent's input is [L, R, feedback of the previous step]. On an observation step the
agent acts when one of its two softmax probabilities exceeds ``action_threshold``: the
trial ends with reward +1 (correct side) or −1; otherwise it pays ``time_delay_cost``, and
after the last observation step the trial times out with ``timeout_reward``.

Every random draw of a batch of sessions happens in :meth:`IBLEnvironment.reset` and is
kept in a :class:`SessionPlan` (block lengths, sides, strengths and the observation noise
of every possible step), so the network and the Bayesian baselines can be run on exactly
the same sessions. Sessions run in parallel: no Python loop over sessions or trials.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from rnntool.envs.base import Environment, Policy, ThresholdSoftmaxPolicy, Transition
from rnntool.errors import ConfigError

LEFT, RIGHT = -1, 1


@dataclass
class SessionPlan:
    """Everything random about a batch of S sessions, drawn once at reset.

    Attributes (trial axes padded to the longest session):
        block_lengths: (S, n_blocks) trials per block.
        block_side: (S, n_trials) ±1 side of each trial's block.
        trial_side: (S, n_trials) ±1 rewarded side of each trial.
        strength: (S, n_trials) stimulus strength μ of each trial.
        block_index, trial_in_block: (S, n_trials) position of each trial.
        n_trials: (S,) trials of each session.
        noise: (S, n_trials, max_obs_steps, 2) unit Gaussian noise of the L and R channels.
    """

    block_lengths: Tensor
    block_side: Tensor
    trial_side: Tensor
    strength: Tensor
    block_index: Tensor
    trial_in_block: Tensor
    n_trials: Tensor
    noise: Tensor

    @property
    def n_sessions(self) -> int:
        return self.block_lengths.shape[0]

    @property
    def trial_valid(self) -> Tensor:
        """(S, n_trials) True for trials that belong to their session."""
        return torch.arange(self.trial_side.shape[1]) < self.n_trials[:, None]


@dataclass
class IBLEnvironment(Environment):
    """The IBL block task of Schaeffer et al. (2020); defaults are the paper's."""

    strengths: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5)
    concordance: float = 0.8
    block_param: float = 1 / 50
    min_block_trials: int = 20
    max_block_trials: int = 100
    blocks_per_session: int = 4
    blank_steps: int = 2
    max_obs_steps: int = 10
    noise_std: float = 1.0
    action_threshold: float = 0.9
    correct_reward: float = 1.0
    error_reward: float = -1.0
    timeout_reward: float = -1.0
    time_delay_cost: float = 0.05

    name: ClassVar[str] = "ibl"
    loss_per: ClassVar[str] = "step"

    def __post_init__(self) -> None:
        self.strengths = tuple(float(s) for s in self.strengths)
        self.check()
        self._policy = ThresholdSoftmaxPolicy(self.action_threshold)
        self.plan: SessionPlan | None = None

    def check(self) -> None:
        if not self.strengths or min(self.strengths) < 0:
            raise ConfigError("strengths must be a non-empty list of non-negative numbers")
        if not 0.5 <= self.concordance <= 1:
            raise ConfigError(f"concordance must lie in [0.5, 1], got {self.concordance}")
        if not 0 < self.block_param < 1:
            raise ConfigError(f"block_param must lie in (0, 1), got {self.block_param}")
        if not 1 <= self.min_block_trials <= self.max_block_trials:
            raise ConfigError("need 1 <= min_block_trials <= max_block_trials, got "
                              f"{self.min_block_trials} and {self.max_block_trials}")
        for key in ("blocks_per_session", "max_obs_steps"):
            if int(getattr(self, key)) < 1:
                raise ConfigError(f"{key} must be at least 1, got {getattr(self, key)}")
        if self.blank_steps < 0:
            raise ConfigError(f"blank_steps must be non-negative, got {self.blank_steps}")
        if not self.noise_std > 0:
            raise ConfigError(f"noise_std must be positive, got {self.noise_std}")
        if not 0.5 <= self.action_threshold < 1:
            raise ConfigError(f"action_threshold must lie in [0.5, 1), got {self.action_threshold}")
        if self.time_delay_cost < 0:
            raise ConfigError("time_delay_cost is a cost: give it as a non-negative number "
                              f"(the reward per waiting step is its negative), got {self.time_delay_cost}")

    # protocol -----------------------------------------------------------------------------
    @property
    def n_obs(self) -> int:
        return 3

    @property
    def n_actions(self) -> int:
        return 2

    @property
    def policy(self) -> Policy:
        return self._policy

    @property
    def steps_per_trial(self) -> int:
        return self.blank_steps + self.max_obs_steps

    def draw_plan(self, n_sessions: int, generator: torch.Generator) -> SessionPlan:
        """Draw S sessions: block lengths and sides, trial sides, strengths, noise."""
        s, nb = n_sessions, self.blocks_per_session
        lengths = self.draw_block_lengths((s, nb), generator)
        first = torch.randint(0, 2, (s,), generator=generator) * 2 - 1
        n_trials = lengths.sum(1)
        width = int(n_trials.max())
        ends = lengths.cumsum(1)
        trial = torch.arange(width)
        block = torch.searchsorted(ends, trial.expand(s, -1).contiguous(), right=True)
        block_c = block.clamp(max=nb - 1)
        starts = ends - lengths
        block_side = first[:, None] * (1 - 2 * (block_c % 2))
        same = torch.rand((s, width), generator=generator, dtype=torch.float64) < self.concordance
        trial_side = torch.where(same, block_side, -block_side)
        levels = torch.tensor(self.strengths, dtype=torch.float64)
        strength = levels[torch.randint(0, len(levels), (s, width), generator=generator)]
        noise = torch.randn((s, width, self.max_obs_steps, 2), generator=generator,
                            dtype=torch.float64)
        return SessionPlan(lengths, block_side, trial_side, strength, block_c,
                           trial - starts.gather(1, block_c), n_trials, noise)

    def draw_block_lengths(self, shape: tuple[int, ...], generator: torch.Generator) -> Tensor:
        """Geometric(p) lengths on {1, 2, …} conditioned on [min, max] by inverting the
        truncated CDF — the same distribution as the original's rejection sampling."""
        q = math.log1p(-self.block_param)
        lo = -math.expm1(q * (self.min_block_trials - 1))   # F(min − 1)
        hi = -math.expm1(q * self.max_block_trials)         # F(max)
        u = lo + (hi - lo) * torch.rand(shape, generator=generator, dtype=torch.float64)
        k = torch.ceil(torch.log1p(-u) / q).long()
        return k.clamp(self.min_block_trials, self.max_block_trials)

    def reset(self, n_sessions: int, generator: torch.Generator,
              plan: SessionPlan | None = None) -> Tensor:
        """Start S new sessions (or replay ``plan``); returns the first observation."""
        self.plan = plan if plan is not None else self.draw_plan(n_sessions, generator)
        plan = self.plan
        s, width = plan.trial_side.shape
        valid = plan.trial_valid
        # lookup tables with one zero trial past the end, which finished sessions index
        self._side = torch.zeros((s, width + 1), dtype=torch.long)
        self._side[:, :width] = plan.trial_side * valid
        signal = torch.stack([plan.trial_side == LEFT, plan.trial_side == RIGHT], -1)
        stim = signal[:, :, None] * plan.strength[:, :, None, None] + self.noise_std * plan.noise
        table = torch.zeros((s, width + 1, self.steps_per_trial, 2), dtype=torch.float64)
        table[:, :width, self.blank_steps:] = stim * valid[:, :, None, None]
        self._stimulus = table.reshape(s, -1, 2)
        self._rewards = torch.tensor([self.correct_reward, self.error_reward, self.timeout_reward,
                                      -self.time_delay_cost, 0.0], dtype=torch.float64)
        self._rows = torch.arange(s)
        self._trial = torch.zeros(s, dtype=torch.long)
        self._k = torch.zeros(s, dtype=torch.long)
        self._done = plan.n_trials <= 0
        self._tally = torch.zeros((5, s), dtype=torch.float64)
        self._observe(torch.zeros(s, dtype=torch.float64))
        return self._obs

    @property
    def done(self) -> Tensor:
        return self._done

    def max_steps(self) -> int:
        return int(self._plan().n_trials.max()) * self.steps_per_trial

    def _observe(self, feedback: Tensor) -> None:
        """The observation, trial side and loss weight of the current step."""
        index = self._trial * self.steps_per_trial + self._k
        self._obs = torch.cat([self._stimulus[self._rows, index], feedback[:, None]], -1)
        self._side_now = self._side[self._rows, self._trial]
        self._observing = (self._k >= self.blank_steps) & ~self._done

    def supervision(self) -> tuple[Tensor, Tensor]:
        """Target: 0 (left) / 1 (right); weight 1 on observation steps of running sessions."""
        return (self._side_now > 0).long(), self._observing.double()

    def step(self, action: Tensor) -> Transition:
        """One step of every running session; ``action`` is a side (−1, +1) or 0 (wait).

        ``info`` holds the step's dynamic columns; :meth:`annotate` adds the plan's."""
        active, observing, k = ~self._done, self._observing, self._k
        acted = observing & (action != 0)
        correct = acted & (action == self._side_now)
        timeout = observing & (k == self.steps_per_trial - 1) & ~acted
        r = self._rewards
        reward = torch.where(acted, torch.where(correct, r[0], r[1]),
                             torch.where(timeout, r[2], torch.where(observing, r[3], r[4])))
        trial_end = acted | timeout
        info = {"active": active, "trial_index": self._trial, "step_in_trial": k,
                "left_stimulus": self._obs[:, 0], "right_stimulus": self._obs[:, 1],
                "previous_feedback": self._obs[:, 2], "reward": reward, "action_taken": acted,
                "action_side": action * acted, "correct_action": correct, "timeout": timeout,
                "trial_end": trial_end}
        self._tally = self._tally + torch.stack([active, trial_end, acted, correct, reward])
        self._trial = self._trial + trial_end
        self._k = torch.where(trial_end | self._done, 0, k + 1)
        self._done = self._trial >= self.plan.n_trials
        self._observe(reward)
        return Transition(self._obs, reward, self._done, info)

    def metrics(self) -> dict[str, float]:
        """The session metrics of Schaeffer et al. (2020) over the steps run since reset, and
        the block statistics of the sessions drawn, logged to TensorBoard as in the paper:
        shortest and longest block, fraction of concordant trials, mean trial side (±1) in
        left and in right blocks (NaN where no such block was drawn)."""
        steps, trials, acted, correct, reward = (float(v) for v in self._tally.sum(1))
        plan = self._plan()
        valid = plan.trial_valid
        return {"action_taken_per_trial": acted / max(trials, 1),
                "correct_per_action": correct / max(acted, 1),
                "correct_per_trial": correct / max(trials, 1),
                "correct_per_step": correct / max(steps, 1),
                "steps_per_trial": steps / max(trials, 1),
                "feedback_per_step": reward / max(steps, 1),
                "block_length_min": float(plan.block_lengths.min()),
                "block_length_max": float(plan.block_lengths.max()),
                "concordant_trials": float((plan.trial_side == plan.block_side)[valid].double().mean()),
                **{f"trial_side_{name}_blocks": _mean(plan.trial_side[valid & (plan.block_side == side)])
                   for name, side in (("left", LEFT), ("right", RIGHT))}}

    def annotate(self, columns: dict[str, Tensor]) -> dict[str, Tensor]:
        """Add the plan's per-trial columns to recorded (T, S) step columns."""
        plan = self._plan()
        trial = columns["trial_index"].clamp(max=plan.trial_side.shape[1] - 1)
        rows = torch.arange(plan.n_sessions).expand_as(trial)
        active, k = columns["active"], columns["step_in_trial"]
        out = dict(columns)
        for key in ("block_index", "trial_in_block", "block_side", "trial_side", "strength"):
            out[key] = getattr(plan, key)[rows, trial]
        block_len = plan.block_lengths[rows, out["block_index"]]
        out["blank"] = active & (k < self.blank_steps)
        out["trial_start"] = active & (k == 0)
        out["block_start"] = out["trial_start"] & (out["trial_in_block"] == 0)
        out["block_end"] = columns["trial_end"] & (out["trial_in_block"] == block_len - 1)
        return out

    def _plan(self) -> SessionPlan:
        if self.plan is None:
            raise RuntimeError("reset() must be called before stepping the environment")
        return self.plan


def _mean(values: Tensor) -> float:
    return float(values.double().mean()) if values.numel() else float("nan")
