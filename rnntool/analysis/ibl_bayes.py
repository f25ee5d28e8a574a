"""Bayes-optimal baselines of the IBL block task (Schaeffer et al., NeurIPS 2020).

Every parameter comes from the :class:`IBLEnvironment`'s settings (the original hard-coded
0.98/0.02 and 0.8/0.2):

- **Block filter**: a forward filter over (block side, trials completed in the block). The
  ``markov`` model (the paper's) switches blocks after every trial with probability
  ``block_param``; the ``run_length`` model is exact for this environment: block lengths are
  Geometric(``block_param``) restricted to [min, max], so the switch probability depends on
  the trials completed so far. The trial-side prior is always the predictive
  P(s_{n+1} = R) = Σ_b P(s = R | b) Σ_b′ T(b | b′) P(b′ | history).
- **Within-trial evidence**: the likelihood of each observation step's (L, R) pair under
  each side, marginalised over the equiprobable strengths.
- :func:`bayesian_observer`: offline, fed the true trial sides.
- :class:`BayesianActor`: acts in the environment through its policy and learns the trial
  side only from the feedback it receives; modes ``block`` (the Bayesian actor),
  ``blockless`` (prior ½) and ``exponential`` (prior π ← d·π + (1 − d)·onehot(correct side)).
  After a timeout the side is not revealed: the block filter then weighs both sides by the
  trial's evidence instead of guessing one (a defect of the original).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from rnntool.envs.ibl import IBLEnvironment, SessionPlan
from rnntool.errors import ConfigError

BLOCK_MODELS = ("markov", "run_length")
ACTOR_MODES = ("block", "blockless", "exponential")


def block_hazard(env: IBLEnvironment, model: str = "markov") -> Tensor:
    """P(the block ends after this trial | ℓ trials of the block already completed), by ℓ.

    ``markov``: one run-length bin with the constant ``block_param``; ``run_length``: the
    hazard of Geometric(p) truncated to [min_block_trials, max_block_trials].
    """
    if model == "markov":
        return torch.tensor([env.block_param], dtype=torch.float64)
    if model != "run_length":
        raise ConfigError(f"unknown block model {model!r} (choose from {', '.join(BLOCK_MODELS)})")
    length = torch.arange(1, env.max_block_trials + 1, dtype=torch.float64)
    pmf = (1 - env.block_param) ** (length - 1) * env.block_param
    pmf = torch.where(length >= env.min_block_trials, pmf, 0.0)
    survival = pmf.flip(0).cumsum(0).flip(0)          # P(length ≥ ℓ + 1)
    return torch.where(survival > 0, pmf / survival.clamp(min=1e-300), 1.0)


class BlockFilter:
    """Forward filter over (block side ∈ {L, R}, run length); tensors (S, 2, n_runs)."""

    def __init__(self, env: IBLEnvironment, model: str = "markov") -> None:
        self.hazard = block_hazard(env, model)
        self.concordance = env.concordance

    def initial(self, n_sessions: int) -> Tensor:
        p = torch.zeros((n_sessions, 2, len(self.hazard)), dtype=torch.float64)
        p[:, :, 0] = 0.5
        return p

    def side_likelihood(self, side: Tensor) -> Tensor:
        """P(trial side | block side) for sides ±1: (S,) → (S, 2) over blocks (L, R)."""
        c = self.concordance
        right = (side > 0).double()[:, None]
        block_right = torch.tensor([0.0, 1.0], dtype=torch.float64)
        same = right * block_right + (1 - right) * (1 - block_right)
        return same * c + (1 - same) * (1 - c)

    def side_prior(self, p: Tensor) -> Tensor:
        """Predictive P(trial side = R), (S,)."""
        block_right = p[:, 1].sum(-1)
        return block_right * self.concordance + (1 - block_right) * (1 - self.concordance)

    @staticmethod
    def block_right(p: Tensor) -> Tensor:
        return p[:, 1].sum(-1)

    @staticmethod
    def update(p: Tensor, likelihood: Tensor) -> Tensor:
        """Condition on a trial: ``likelihood`` (S, 2) over block sides."""
        q = p * likelihood[:, :, None]
        return q / q.sum(dim=(1, 2), keepdim=True)

    def advance(self, p: Tensor) -> Tensor:
        """The prior of the next trial: stay (run length + 1) or switch to the other side."""
        h = self.hazard
        stay = p * (1 - h)
        new = torch.zeros_like(p)
        if p.shape[-1] > 1:
            new[..., 1:] = stay[..., :-1]
            new[..., -1] += stay[..., -1]
        else:
            new = stay.clone()
        new[..., 0] += (p * h).sum(-1).flip(1)
        return new


class Evidence:
    """Log-likelihoods of (L, R) observation steps under each side and strength."""

    def __init__(self, env: IBLEnvironment) -> None:
        self.mu = torch.tensor(env.strengths, dtype=torch.float64)
        self.var = env.noise_std ** 2

    def step(self, left: Tensor, right: Tensor) -> Tensor:
        """(S,) pairs → (S, 2, M) log-likelihood terms (sides L, R), up to a shared constant."""
        mu = self.mu
        as_left = (left[:, None] * mu - 0.5 * mu ** 2) / self.var
        as_right = (right[:, None] * mu - 0.5 * mu ** 2) / self.var
        return torch.stack([as_left, as_right], 1)

    @staticmethod
    def side_log_likelihood(total: Tensor) -> Tensor:
        """(…, 2, M) accumulated terms → (…, 2) log P(observations | side), strengths marginalised."""
        return torch.logsumexp(total, -1) - math.log(total.shape[-1])

    @classmethod
    def posterior_right(cls, total: Tensor, prior_right: Tensor) -> Tensor:
        """P(side = R | observations) from accumulated terms and a prior P(side = R)."""
        ll = cls.side_log_likelihood(total)
        logit = (torch.log(prior_right) - torch.log1p(-prior_right)) + ll[..., 1] - ll[..., 0]
        return torch.sigmoid(logit)


def stimuli(env: IBLEnvironment, plan: SessionPlan) -> tuple[Tensor, Tensor]:
    """The (L, R) values of every possible observation step: (S, n_trials, max_obs) each."""
    side = plan.trial_side[..., None]
    mu = plan.strength[..., None]
    left = (side < 0) * mu + env.noise_std * plan.noise[..., 0]
    right = (side > 0) * mu + env.noise_std * plan.noise[..., 1]
    return left, right


def bayesian_observer(env: IBLEnvironment, plan: SessionPlan, block_model: str = "markov"
                      ) -> dict[str, Tensor]:
    """The offline Bayesian observer of every trial of ``plan``, fed the true trial sides.

    Returns, per trial (S, n_trials): ``block_prior_right`` (predictive P(block = R) before
    the trial), ``block_posterior_right`` (after seeing its side), ``side_prior_right``;
    per observation step (S, n_trials, max_obs): ``side_posterior_right``; and the trial's
    outcome if it acted through the environment's threshold: ``action_step`` (1-based
    observation step, 0 for a timeout), ``action_side``, ``correct`` and ``timeout``.
    """
    filt = BlockFilter(env, block_model)
    s, n = plan.trial_side.shape
    p = filt.initial(s)
    block_prior, block_post, side_prior = (torch.empty((s, n), dtype=torch.float64) for _ in range(3))
    for i in range(n):
        block_prior[:, i] = filt.block_right(p)
        side_prior[:, i] = filt.side_prior(p)
        p = filt.update(p, filt.side_likelihood(plan.trial_side[:, i]))
        block_post[:, i] = filt.block_right(p)
        p = filt.advance(p)
    left, right = stimuli(env, plan)
    evidence = Evidence(env)
    terms = evidence.step(left.reshape(-1), right.reshape(-1)).reshape(s, n, env.max_obs_steps, 2, -1)
    posterior = Evidence.posterior_right(terms.cumsum(2), side_prior[..., None])
    decided = (posterior > env.action_threshold) | (posterior < 1 - env.action_threshold)
    first = torch.where(decided.any(-1), decided.float().argmax(-1), env.max_obs_steps)
    timeout = first >= env.max_obs_steps
    post_at = posterior.gather(-1, first.clamp(max=env.max_obs_steps - 1)[..., None])[..., 0]
    action = torch.where(timeout, 0, torch.where(post_at > 0.5, 1, -1))
    return {"block_prior_right": block_prior, "block_posterior_right": block_post,
            "side_prior_right": side_prior, "side_posterior_right": posterior,
            "action_step": torch.where(timeout, 0, first + 1), "action_side": action,
            "correct": action == plan.trial_side, "timeout": timeout}


@dataclass
class ActorState:
    """What a Bayesian actor carries from step to step (one row per session)."""

    block: Tensor          # (S, 2, n_runs) predictive block belief of the current trial
    evidence: Tensor       # (S, 2, M) accumulated within-trial log-likelihood terms
    exp_prior: Tensor      # (S,) exponential actor's P(side = R)
    step_in_trial: Tensor  # (S,)
    acted: Tensor          # (S,) side acted on at the last step (0: none)
    ended: Tensor          # (S,) bool, the previous step ended a trial
    block_right: Tensor    # (S,) P(block = R) used for the current trial (recorded)
    side_prior: Tensor     # (S,) prior P(side = R) of the current trial (recorded)


class BayesianActor:
    """A Bayesian agent acting in an :class:`IBLEnvironment` through its policy.

    It knows the environment's settings (the trial structure, strengths, noise, block
    statistics and rewards) and sees only its inputs [L, R, feedback]: it learns a trial's
    side from the feedback to its own action. ``step`` returns log-probabilities, so the
    environment's softmax-threshold policy acts exactly on its posterior.
    """

    def __init__(self, env: IBLEnvironment, mode: str = "block", block_model: str = "markov",
                 decay: float = 0.9) -> None:
        if mode not in ACTOR_MODES:
            raise ConfigError(f"unknown actor {mode!r} (choose from {', '.join(ACTOR_MODES)})")
        self.env, self.mode, self.decay = env, mode, float(decay)
        self.filter = BlockFilter(env, block_model)
        self.evidence = Evidence(env)
        self.policy = env.policy
        self.rewarded = (env.correct_reward + env.error_reward) / 2

    def initial_state(self, n_sessions: int) -> ActorState:
        s, m = n_sessions, len(self.env.strengths)
        zeros = torch.zeros(s, dtype=torch.float64)
        return ActorState(self.filter.initial(s), torch.zeros((s, 2, m), dtype=torch.float64),
                          zeros + 0.5, torch.zeros(s, dtype=torch.long),
                          torch.zeros(s, dtype=torch.long), torch.zeros(s, dtype=torch.bool),
                          zeros + 0.5, zeros + 0.5)

    def step(self, x: ActorState, u: Tensor) -> tuple[ActorState, Tensor]:
        env = self.env
        u = u.double()
        left, right, feedback = u[:, 0], u[:, 1], u[:, 2]
        block, exp_prior, evidence = x.block, x.exp_prior, x.evidence
        # learn from the trial that just ended
        acted = x.acted != 0
        correct_side = torch.where(feedback > self.rewarded, x.acted, -x.acted)
        if self.mode == "block":
            seen = Evidence.side_log_likelihood(evidence)                        # (S, 2) sides
            seen = torch.exp(seen - seen.max(-1, keepdim=True).values)
            c = self.filter.concordance
            timeout_lik = torch.stack([seen[:, 0] * c + seen[:, 1] * (1 - c),
                                       seen[:, 0] * (1 - c) + seen[:, 1] * c], -1)
            lik = torch.where(acted[:, None], self.filter.side_likelihood(correct_side), timeout_lik)
            block = torch.where(x.ended[:, None, None],
                                self.filter.advance(self.filter.update(block, lik)), block)
        elif self.mode == "exponential":
            target = (correct_side > 0).double()
            exp_prior = torch.where(x.ended & acted,
                                    self.decay * exp_prior + (1 - self.decay) * target, exp_prior)
        evidence = torch.where(x.ended[:, None, None], 0.0, evidence)
        # this step's evidence and posterior
        k = x.step_in_trial
        observing = k >= env.blank_steps
        evidence = evidence + observing[:, None, None] * self.evidence.step(left, right)
        if self.mode == "block":
            prior = self.filter.side_prior(block)
        elif self.mode == "exponential":
            prior = exp_prior
        else:
            prior = torch.full_like(left, 0.5)
        posterior = Evidence.posterior_right(evidence, prior).clamp(1e-12, 1 - 1e-12)
        logits = torch.stack([torch.log1p(-posterior), torch.log(posterior)], -1)
        action = torch.where(observing, self.policy.act(logits), 0)
        ended = (action != 0) | (observing & (k == env.steps_per_trial - 1))
        state = ActorState(block, evidence, exp_prior, torch.where(ended, 0, k + 1),
                           torch.where(ended, action, 0), ended,
                           self.filter.block_right(block), prior)
        return state, logits

    def activity(self, x: ActorState) -> Tensor:
        """Recorded per step: P(block = R) and the prior P(side = R) of the current trial."""
        return torch.stack([x.block_right, x.side_prior], -1)


def ideal_blockless(env: IBLEnvironment) -> dict[str, Any]:
    """Accuracy and reward of an observer without block prior that answers after exactly n
    observation steps (n = 1 … max_obs_steps), knowing the strength.

    With d = R − L ~ N(±μ, 2σ²) per step, the sign of Σd after n steps is correct with
    probability Φ(μ√n / (σ√2)) (½ for μ = 0), averaged over strengths. The reward per trial
    subtracts the delay cost of the n − 1 waiting observation steps; the reward per step
    divides by the trial's blank_steps + n steps.
    """
    n = torch.arange(1, env.max_obs_steps + 1, dtype=torch.float64)
    mu = torch.tensor(env.strengths, dtype=torch.float64)
    z = mu[:, None] * torch.sqrt(n)[None] / (env.noise_std * math.sqrt(2))
    accuracy = (0.5 * (1 + torch.erf(z / math.sqrt(2)))).mean(0)
    trial_reward = (accuracy * env.correct_reward + (1 - accuracy) * env.error_reward
                    - (n - 1) * env.time_delay_cost)
    per_step = trial_reward / (env.blank_steps + n)
    best = int(per_step.argmax())
    return {"observations": n.long(), "accuracy": accuracy, "reward_per_trial": trial_reward,
            "reward_per_step": per_step, "best_observations": best + 1,
            "best_accuracy": float(accuracy[best]), "best_reward_per_step": float(per_step[best])}
