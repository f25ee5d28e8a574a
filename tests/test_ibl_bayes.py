"""Bayesian baselines of the IBL task against brute-force posteriors and against each other."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy.stats import norm

from rnntool.analysis.ibl_bayes import (BayesianActor, Evidence, bayesian_observer, block_hazard,
                                        ideal_blockless)
from rnntool.envs import IBLEnvironment
from rnntool.envs.rollout import rollout


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def brute_markov(sides: list[int], p: float, c: float) -> float:
    """P(block of trial n+1 = R | sides of trials 1…n) by summing over every block path."""
    n = len(sides)
    num = den = 0.0
    for path in itertools.product((-1, 1), repeat=n + 1):
        w = 0.5
        for i in range(n + 1):
            if i:
                w *= p if path[i] != path[i - 1] else 1 - p
            if i < n:
                w *= c if sides[i] == path[i] else 1 - c
        den += w
        num += w * (path[n] > 0)
    return num / den


def brute_run_length(sides: list[int], lo: int, hi: int, p: float, c: float) -> float:
    """The same for blocks of Geometric(p) lengths restricted to [lo, hi], alternating sides,
    by summing over every sequence of block lengths and the first side."""
    n = len(sides) + 1
    lengths = np.arange(lo, hi + 1)
    pmf = (1 - p) ** (lengths - 1)
    pmf = dict(zip(lengths.tolist(), (pmf / pmf.sum()).tolist()))
    num = den = 0.0

    def walk(covered: int, weight: float, blocks: list[int]) -> None:
        nonlocal num, den
        if covered >= n:
            for first in (-1, 1):
                block_of = [first * (-1) ** b for b, length in enumerate(blocks) for _ in range(length)]
                w = 0.5 * weight
                for i, s in enumerate(sides):
                    w *= c if s == block_of[i] else 1 - c
                den += w
                num += w * (block_of[n - 1] > 0)
            return
        for length, q in pmf.items():
            walk(covered + length, weight * q, blocks + [length])
    walk(0, 1.0, [])
    return num / den


@pytest.mark.parametrize("model", ["markov", "run_length"])
def test_block_filter_matches_brute_force_posterior(model):
    env = IBLEnvironment(block_param=0.3, min_block_trials=2, max_block_trials=4,
                         concordance=0.75, blocks_per_session=4)
    plan = env.draw_plan(5, gen(0))
    obs = bayesian_observer(env, plan, model)
    for s in range(5):
        sides = plan.trial_side[s, :7].tolist()
        for n in range(1, 7):
            expected = (brute_markov(sides[:n], 0.3, 0.75) if model == "markov"
                        else brute_run_length(sides[:n], 2, 4, 0.3, 0.75))
            assert obs["block_prior_right"][s, n].item() == pytest.approx(expected, abs=1e-12)
            prior = 0.75 * expected + 0.25 * (1 - expected)
            assert obs["side_prior_right"][s, n].item() == pytest.approx(prior, abs=1e-12)


def test_run_length_hazard_is_that_of_the_truncated_geometric():
    env = IBLEnvironment()
    h = block_hazard(env, "run_length")
    assert torch.all(h[:19] == 0) and h[-1] == 1
    # a block of length ≥ k ends at k with probability p / (1 − (1 − p)^(101 − k))
    k = torch.arange(20, 101, dtype=torch.float64)
    torch.testing.assert_close(h[19:], 0.02 / (1 - 0.98 ** (101 - k)))
    torch.testing.assert_close(block_hazard(env, "markov"), torch.tensor([0.02], dtype=torch.float64))


def test_within_trial_posterior_matches_brute_force_over_strengths():
    env = IBLEnvironment(strengths=(0.0, 0.7, 1.9), noise_std=1.3)
    rng = np.random.default_rng(0)
    left, right = rng.normal(0.4, 1.3, 4), rng.normal(0.0, 1.3, 4)
    prior_right = 0.3
    terms = Evidence(env).step(torch.tensor(left), torch.tensor(right)).cumsum(0)
    got = Evidence.posterior_right(terms, torch.tensor(prior_right, dtype=torch.float64))
    for j in range(4):
        lik = {}
        for side in (-1, 1):
            lik[side] = np.mean([np.prod(norm.pdf(left[:j + 1], mu * (side < 0), 1.3)
                                         * norm.pdf(right[:j + 1], mu * (side > 0), 1.3))
                                 for mu in env.strengths])
        expected = prior_right * lik[1] / (prior_right * lik[1] + (1 - prior_right) * lik[-1])
        assert got[j].item() == pytest.approx(expected, rel=1e-10)


def test_blockless_actor_acts_exactly_as_the_offline_posterior_with_prior_half():
    env = IBLEnvironment(blocks_per_session=1, max_block_trials=30)
    with torch.no_grad():
        run = rollout(BayesianActor(env, "blockless"), env, 4, gen(1), record=True)
    c, plan = run.columns, env.plan
    ends = c["trial_end"]
    s_idx, t_idx = torch.nonzero(ends.T, as_tuple=True)
    sess, trial = s_idx, c["trial_index"].T[ends.T]
    from rnntool.analysis.ibl_bayes import stimuli
    left, right = stimuli(env, plan)
    terms = Evidence(env).step(left.reshape(-1), right.reshape(-1)).reshape(*left.shape, 2, -1)
    post = Evidence.posterior_right(terms.cumsum(2), torch.tensor(0.5, dtype=torch.float64))
    decided = (post > 0.9) | (post < 0.1)
    first = torch.where(decided.any(-1), decided.float().argmax(-1), env.max_obs_steps)[sess, trial]
    steps = c["step_in_trial"].T[ends.T]
    assert torch.equal(steps, torch.where(first < env.max_obs_steps, first, env.max_obs_steps - 1) + 2)
    acted = c["action_taken"].T[ends.T]
    assert torch.equal(acted, first < env.max_obs_steps)
    side = torch.where(post[sess, trial, first.clamp(max=9)] > 0.5, 1, -1)
    assert torch.equal(c["action_side"].T[ends.T][acted], side[acted])


def test_bayesian_actor_prior_equals_observer_until_its_first_timeout():
    env = IBLEnvironment(strengths=(1.5, 2.5), blocks_per_session=3, max_block_trials=40)
    with torch.no_grad():
        run = rollout(BayesianActor(env, "block"), env, 3, gen(2), record=True)
    obs = bayesian_observer(env, env.plan)
    c = run.columns
    starts = c["trial_start"]
    compared = 0
    for s in range(3):
        trial = c["trial_index"][:, s][starts[:, s]]
        prior = c["activity"][:, s, 1][starts[:, s]]
        timeouts = c["timeout"][:, s][c["trial_end"][:, s]]
        stop = int(timeouts.nonzero()[0]) + 1 if timeouts.any() else len(trial)
        torch.testing.assert_close(prior[:stop], obs["side_prior_right"][s, trial[:stop]])
        compared += stop
    assert compared > 60


def test_block_actor_beats_blockless_on_the_same_sessions():
    env = IBLEnvironment(blocks_per_session=3)
    plan = env.draw_plan(8, gen(3))
    acc = {}
    with torch.no_grad():
        for mode in ("block", "blockless"):
            c = rollout(BayesianActor(env, mode), env, 8, None, record=True, plan=plan).columns
            acc[mode] = float(c["correct_action"][c["trial_end"]].double().mean())
    assert acc["block"] > acc["blockless"] + 0.02


def test_ideal_blockless_uses_the_difference_variance_and_subtracts_the_delay_cost():
    env = IBLEnvironment(strengths=(1.0,), time_delay_cost=0.1, blank_steps=2)
    ideal = ideal_blockless(env)
    p1 = 0.5 * (1 + math.erf(1.0 / math.sqrt(2) / math.sqrt(2)))   # Φ(μ/√2)
    assert ideal["accuracy"][0].item() == pytest.approx(p1)
    p3 = 0.5 * (1 + math.erf(math.sqrt(3) / 2))                    # Φ(μ√3/√2)
    assert ideal["reward_per_trial"][2].item() == pytest.approx(2 * p3 - 1 - 2 * 0.1)
    assert ideal["reward_per_step"][2].item() == pytest.approx((2 * p3 - 1 - 0.2) / 5)
