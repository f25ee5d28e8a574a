"""Scoring an IBL agent beside the Bayesian baselines on exactly the same sessions.

One :class:`SessionPlan` is drawn; the agent, the Bayesian actor, the blockless actor and
the exponentially weighted actor all run it in the environment, and the offline Bayesian
observer reads it twice: acting through the environment's threshold, and deciding at the
agent's own decision times (the best accuracy possible with the observations the agent
had used — the fairest accuracy comparison, since the threshold actors never act on
zero-strength trials).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import torch

from rnntool.analysis.ibl_bayes import (BayesianActor, bayesian_observer, ideal_blockless)
from rnntool.analysis.ibl_behaviour import (metrics, observer_trials, session_columns,
                                            trial_columns)
from rnntool.envs.ibl import IBLEnvironment, SessionPlan
from rnntool.envs.rollout import Agent, rollout

BASELINES = {"bayesian_actor": "block", "blockless_actor": "blockless",
             "exponential_actor": "exponential"}


def trial_metrics(trials: dict[str, np.ndarray], steps: float | None = None,
                  reward: float | None = None) -> dict[str, float]:
    """Accuracy metrics of a trial table (and reward rates where the steps are known)."""
    correct, acted = trials["correct"].astype(bool), trials["action_taken"].astype(bool)
    out = {"correct_per_trial": float(correct.mean()),
           "correct_per_action": float(correct[acted].mean()) if acted.any() else 0.0,
           "action_taken_per_trial": float(acted.mean()),
           "steps_per_trial": float(trials["steps"].mean())}
    low = trials["strength"] == trials["strength"].min()
    conc = trials["concordant"].astype(bool)
    out["low_strength_concordant"] = float(correct[low & conc].mean()) if (low & conc).any() else 0.0
    out["low_strength_discordant"] = float(correct[low & ~conc].mean()) if (low & ~conc).any() else 0.0
    if reward is not None and steps:
        out["feedback_per_step"] = reward / steps
    return out


def observer_at_decisions(env: IBLEnvironment, plan: SessionPlan, observer: dict[str, Any],
                          trials: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The observer's choice (side of its posterior) after as many observation steps as the
    agent used in each trial (all of them after a timeout)."""
    used = np.clip(trials["steps"] - env.blank_steps, 1, env.max_obs_steps) - 1
    post = observer["side_posterior_right"].numpy()[trials["session"], trials["trial_index"], used]
    side = np.where(post > 0.5, 1, -1)
    out = {k: trials[k] for k in ("session", "trial_index", "trial_side", "block_side",
                                  "strength", "signed_strength", "concordant", "trial_in_block",
                                  "steps")}
    out.update(action_side=side, action_taken=np.ones_like(side, dtype=bool),
               timeout=np.zeros_like(side, dtype=bool), correct=side == trials["trial_side"])
    return out


def evaluate_ibl(agent: Agent, env: IBLEnvironment, n_sessions: int, generator: torch.Generator,
                 blocks_per_session: int | None = None, block_model: str = "markov"
                 ) -> dict[str, Any]:
    """Run ``agent`` and every baseline on the same sessions.

    Returns ``rows`` (the agent's session table), ``trials`` (trial tables by agent name),
    ``metrics`` (by agent name) and ``ideal_blockless``.
    """
    if blocks_per_session is not None:
        env = replace(env, blocks_per_session=blocks_per_session)
    plan = env.draw_plan(n_sessions, generator)
    with torch.no_grad():
        run = rollout(agent, env, n_sessions, None, record=True, plan=plan)
    rows = session_columns(run)
    trials = {"network": trial_columns(rows)}
    summary = {"network": {**metrics(rows), **trial_metrics(trials["network"])}}
    for name, mode in BASELINES.items():
        with torch.no_grad():
            base = rollout(BayesianActor(env, mode, block_model), env, n_sessions, None,
                           record=True, plan=plan)
        base_rows = session_columns(base)
        trials[name] = trial_columns(base_rows)
        summary[name] = {**metrics(base_rows), **trial_metrics(trials[name])}
    observer = bayesian_observer(env, plan, block_model)
    trials["bayesian_observer"] = observer_trials(observer, plan, env.blank_steps)
    summary["bayesian_observer"] = trial_metrics(trials["bayesian_observer"])
    trials["observer_at_network_decisions"] = observer_at_decisions(env, plan, observer,
                                                                    trials["network"])
    summary["observer_at_network_decisions"] = trial_metrics(
        trials["observer_at_network_decisions"])
    ideal = ideal_blockless(env)
    return {"rows": rows, "trials": trials, "metrics": summary, "observer": observer,
            "plan": plan, "ideal_blockless": {k: (v.numpy() if hasattr(v, "numpy") else v)
                                              for k, v in ideal.items()}}
