"""The IBL block environment of Schaeffer et al. (2020): its statistics, its step rule and
its closed loop, checked with scripted agents whose rewards are known exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnntool.envs import IBLEnvironment
from rnntool.envs.agents import elman_agent
from rnntool.envs.rollout import rollout
from rnntool.errors import ConfigError


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class ScriptedAgent:
    """Answers ``side`` with probability ``p`` at its ``at``-th observation step of every
    trial (counting its own steps; ``at`` = None never exceeds ``p``), 0.5 otherwise."""

    def __init__(self, env: IBLEnvironment, side: int, p: float, at: int | None) -> None:
        self.env, self.side, self.p, self.at = env, side, p, at

    def initial_state(self, n: int) -> torch.Tensor:
        return torch.zeros(n, dtype=torch.long)

    def step(self, k: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        env = self.env
        answer = (k == env.blank_steps + self.at - 1) if self.at else torch.zeros_like(k, dtype=torch.bool)
        value = torch.tensor(self.p if self.side > 0 else 1 - self.p, dtype=torch.float64)
        right = torch.where(answer, value, torch.tensor(0.5 if self.at else self.p, dtype=torch.float64))
        logits = torch.stack([torch.log1p(-right), torch.log(right)], -1)
        ended = answer | (k == env.steps_per_trial - 1)
        return torch.where(ended, 0, k + 1), logits


def test_block_lengths_are_bounded_and_truncated_geometric():
    env = IBLEnvironment()
    lengths = env.draw_block_lengths((40000,), gen(0)).numpy()
    assert lengths.min() >= 20 and lengths.max() <= 100
    k = np.arange(20, 101)
    pmf = (1 - 1 / 50) ** (k - 1)
    pmf /= pmf.sum()
    assert abs(lengths.mean() - (k * pmf).sum()) < 0.4
    # geometric: successive 20-trial bins shrink by (1 − p)^20
    bins = np.array([((lengths >= a) & (lengths < a + 20)).sum() for a in (20, 40, 60, 80)])
    np.testing.assert_allclose(bins[1:] / bins[:-1], (1 - 1 / 50) ** 20, rtol=0.06)


def test_sides_alternate_concordance_and_uniform_strengths():
    env = IBLEnvironment(blocks_per_session=6)
    plan = env.draw_plan(300, gen(1))
    valid = plan.trial_valid
    assert torch.all(plan.trial_in_block[valid] < plan.block_lengths.gather(1, plan.block_index)[valid])
    first_trial_of_block = valid & (plan.trial_in_block == 0)
    sides = plan.block_side[first_trial_of_block].reshape(300, 6)
    assert torch.all(sides[:, 1:] == -sides[:, :-1])
    assert abs(float((sides[:, 0] > 0).double().mean()) - 0.5) < 0.1
    concordant = (plan.trial_side == plan.block_side)[valid].double().mean()
    assert abs(float(concordant) - 0.8) < 0.01
    counts = torch.stack([(plan.strength[valid] == s).sum() for s in env.strengths]).double()
    assert torch.all((counts / counts.sum() - 1 / 6).abs() < 0.01)
    assert torch.equal(plan.n_trials, plan.block_lengths.sum(1))


def test_waiting_agent_times_out_at_step_twelve_with_known_reward():
    env = IBLEnvironment(blocks_per_session=1, min_block_trials=20, max_block_trials=24)
    agent = ScriptedAgent(env, 1, 0.9 - 1e-9, None)   # never strictly above 0.9
    run = rollout(agent, env, 3, gen(2), record=True)
    c = run.columns
    active = c["active"]
    ends = c["trial_end"]
    assert torch.all(c["step_in_trial"][ends] == 11) and torch.all(c["timeout"][ends])
    trials = env.plan.n_trials
    assert int(ends.sum()) == int(trials.sum())
    assert run.active_steps == 12 * int(trials.sum())
    # per trial: 9 waiting observation steps at −0.05, then the timeout −1
    torch.testing.assert_close(c["reward"].sum(0), trials.double() * (-1 - 9 * 0.05))
    assert not c["action_taken"][active].any()


@pytest.mark.parametrize("at", [1, 4, 10])
def test_trial_ends_exactly_on_the_step_the_agent_passes_the_threshold(at):
    env = IBLEnvironment(blocks_per_session=1, min_block_trials=20, max_block_trials=40)
    run = rollout(ScriptedAgent(env, 1, 0.9 + 1e-9, at), env, 4, gen(3), record=True)
    c = run.columns
    ends = c["trial_end"]
    assert torch.all(c["step_in_trial"][ends] == 1 + at) and torch.all(c["action_taken"][ends])
    assert not c["action_taken"][c["active"] & ~ends].any()
    plan = env.plan
    # always answering right: +1 on right trials, −1 on left ones, after at − 1 delays
    rewarded = (plan.trial_side * plan.trial_valid).sum(1).double()
    expected = rewarded - (at - 1) * 0.05 * plan.n_trials.double()
    torch.testing.assert_close(c["reward"].sum(0), expected)
    assert run.active_steps == (2 + at) * int(plan.n_trials.sum())


def test_blank_steps_are_silent_and_feedback_enters_the_next_input():
    env = IBLEnvironment(blocks_per_session=2, max_block_trials=30)
    net = elman_agent(3, 10, 2, gen(4))
    with torch.no_grad():
        run = rollout(net, env, 5, gen(5), record=True)
    c = run.columns
    active, blank = c["active"], c["blank"]
    stim = torch.stack([c["left_stimulus"], c["right_stimulus"]], -1)
    assert torch.all(stim[blank] == 0)
    assert torch.all(stim[active & ~blank] != 0)
    assert torch.equal(blank[active], (c["step_in_trial"] < 2)[active])
    # input feedback at t is the reward of t − 1 (0 at the first step of a session)
    assert torch.all(c["previous_feedback"][0] == 0)
    both = active[1:]
    torch.testing.assert_close(c["previous_feedback"][1:][both], c["reward"][:-1][both])
    # the first blank step of every trial but the first carries its predecessor's ±1 outcome
    starts = c["trial_start"] & (c["trial_index"] > 0)
    assert torch.all(c["previous_feedback"][starts].abs() == 1)
    # strength and side shape the stimulus: mean of the signal channel minus the other one
    obs = active & ~blank
    signal = torch.where(c["trial_side"] > 0, c["right_stimulus"], c["left_stimulus"])
    other = torch.where(c["trial_side"] > 0, c["left_stimulus"], c["right_stimulus"])
    diff = (signal - other - c["strength"])[obs]
    assert abs(float(diff.mean())) < 4 * math.sqrt(2) / math.sqrt(int(obs.sum()))


def test_same_seed_same_sessions_and_plan_replays():
    env = IBLEnvironment(blocks_per_session=1, max_block_trials=25)
    net = elman_agent(3, 6, 2, gen(0))
    with torch.no_grad():
        a = rollout(net, env, 3, gen(7), record=True)
        plan = env.plan
        b = rollout(net, env, 3, gen(7), record=True)
        c = rollout(net, env, 3, None, record=True, plan=plan)
        d = rollout(net, env, 3, gen(8), record=True)
    for key in ("reward", "left_stimulus", "trial_side", "probabilities"):
        assert torch.equal(a.columns[key], b.columns[key])
        assert torch.equal(a.columns[key], c.columns[key])
    assert not torch.equal(a.columns["left_stimulus"][:5], d.columns["left_stimulus"][:5])


@pytest.mark.parametrize("settings,message", [
    ({"concordance": 0.3}, "concordance"), ({"min_block_trials": 50, "max_block_trials": 20}, "min_block_trials"),
    ({"block_param": 0}, "block_param"), ({"action_threshold": 1.0}, "action_threshold"),
    ({"time_delay_cost": -0.05}, "time_delay_cost"), ({"strengths": ()}, "strengths")])
def test_bad_settings_raise_config_error(settings, message):
    with pytest.raises(ConfigError, match=message):
        IBLEnvironment(**settings)
