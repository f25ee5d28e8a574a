"""Behaviour in the IBL block task: the session table, its metrics and summary curves.

:func:`session_columns` flattens a recorded :class:`Rollout` into one row per environment
step (sessions one after another) with the columns of Schaeffer et al. (2020) and their
derived columns; :func:`trial_columns` keeps one row per trial. The summaries work on
trial columns, so the network and every baseline are summarised by the same code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnntool.envs.rollout import Rollout

#: Environment info columns copied into the session table.
INFO_COLUMNS = ("trial_index", "block_index", "trial_in_block", "step_in_trial", "block_side",
                "trial_side", "strength", "left_stimulus", "right_stimulus",
                "previous_feedback", "blank", "trial_start", "trial_end", "block_start",
                "block_end", "reward", "action_taken", "action_side", "correct_action",
                "timeout")


def session_columns(run: Rollout) -> dict[str, np.ndarray]:
    """One row per active step: session, step, the info columns, loss, action probabilities,
    the agent's activity (``hidden_state``, rows × units) and the derived columns."""
    c = run.columns
    if not c:
        raise ValueError("the rollout was not recorded (run it with record=True)")
    active = c["active"].numpy()                      # (T, S)
    session, step = np.nonzero(active.T)              # session-major order
    rows: dict[str, np.ndarray] = {"session": session, "step": step}
    for key in INFO_COLUMNS:
        rows[key] = c[key].numpy()[step, session]
    probs = c["probabilities"].numpy()[step, session]
    rows["loss"] = c["loss"].numpy()[step, session]
    rows["left_probability"], rows["right_probability"] = probs[:, 0], probs[:, 1]
    rows["correct_probability"] = np.where(rows["trial_side"] > 0, probs[:, 1], probs[:, 0])
    rows["hidden_state"] = c["activity"].numpy()[step, session]
    rows.update(derived_columns(rows))
    return rows


def derived_columns(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Signed strength, concordance, 1/2/3-back correctness (NaN where there is no such
    trial) and the trial side orthogonalised to the block side."""
    side, block = rows["trial_side"].astype(float), rows["block_side"].astype(float)
    out = {"signed_strength": rows["strength"] * side, "concordant": side == block}
    ends = rows["trial_end"].astype(bool)
    session, trial = rows["session"], rows["trial_index"]
    n_sessions = int(session.max()) + 1 if len(session) else 0
    n_trials = int(trial.max()) + 1 if len(trial) else 0
    outcome = np.full((n_sessions, n_trials), np.nan)
    outcome[session[ends], trial[ends]] = rows["correct_action"][ends]
    for back in (1, 2, 3):
        prev = trial - back
        out[f"correct_{back}_back"] = np.where(
            prev >= 0, outcome[session, np.clip(prev, 0, None)], np.nan)
    out["trial_side_orthogonal"] = side - (side @ block) / max(block @ block, 1e-300) * block
    return out


def trial_columns(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One row per trial (the rows that end a trial), with ``steps`` per trial."""
    ends = rows["trial_end"].astype(bool)
    trials = {k: v[ends] for k, v in rows.items() if v.ndim == 1}
    trials["steps"] = trials["step_in_trial"] + 1
    trials["correct"] = trials["correct_action"].astype(bool)
    return trials


def observer_trials(observer: dict[str, Any], plan: Any, blank_steps: int) -> dict[str, np.ndarray]:
    """The offline Bayesian observer's trials in the same layout as :func:`trial_columns`."""
    valid = plan.trial_valid.numpy()
    session, trial = np.nonzero(valid)

    def take(x: Any) -> np.ndarray:
        return np.asarray(x)[session, trial]
    timeout = take(observer["timeout"])
    side = take(plan.trial_side)
    max_obs = observer["side_posterior_right"].shape[-1]
    steps = np.where(timeout, max_obs, take(observer["action_step"])) + blank_steps
    return {"session": session, "trial_index": trial, "trial_side": side,
            "block_side": take(plan.block_side), "strength": take(plan.strength),
            "signed_strength": take(plan.strength) * side,
            "concordant": side == take(plan.block_side),
            "trial_in_block": take(plan.trial_in_block), "action_side": take(observer["action_side"]),
            "action_taken": ~timeout, "timeout": timeout, "correct": take(observer["correct"]),
            "steps": steps}


def metrics(rows: dict[str, np.ndarray]) -> dict[str, float]:
    """The session metrics of Schaeffer et al. (2020) from a session table."""
    trials = trial_columns(rows)
    n_trials, n_steps = max(len(trials["correct"]), 1), max(len(rows["reward"]), 1)
    acted = trials["action_taken"].astype(bool)
    return {
        "action_taken_per_trial": float(acted.mean()) if len(acted) else 0.0,
        "correct_per_action": float(trials["correct"][acted].mean()) if acted.any() else 0.0,
        "correct_per_trial": float(trials["correct"].sum() / n_trials),
        "correct_per_step": float(trials["correct"].sum() / n_steps),
        "steps_per_trial": float(n_steps / n_trials),
        "feedback_per_step": float(rows["reward"].sum() / n_steps),
        "trials": float(len(trials["correct"])),
    }


def _grouped(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    levels = np.unique(keys)
    means = np.array([values[keys == k].mean() for k in levels])
    counts = np.array([(keys == k).sum() for k in levels])
    return levels, means, counts


def psychometric(trials: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """P(right action) by signed strength, over trials that ended with an action."""
    acted = trials["action_taken"].astype(bool)
    levels, p, n = _grouped(trials["signed_strength"][acted], trials["action_side"][acted] > 0)
    return {"signed_strength": levels, "p_right": p, "count": n}


def by_strength(trials: dict[str, np.ndarray], value: str, split: str | None = None
                ) -> dict[str, Any]:
    """Mean of ``value`` by strength, optionally split by a boolean column (True/False)."""
    out: dict[str, Any] = {}
    groups = {"all": np.ones(len(trials["strength"]), bool)} if split is None else {
        f"{split}": trials[split].astype(bool), f"not_{split}": ~trials[split].astype(bool)}
    for label, keep in groups.items():
        levels, mean, count = _grouped(trials["strength"][keep], trials[value][keep].astype(float))
        out[label] = {"strength": levels, "mean": mean, "count": count}
    return out


def by_trial_in_block(trials: dict[str, np.ndarray], last: int = 100,
                      zero_strength_only: bool = False) -> dict[str, np.ndarray]:
    """P(correct) by trial index within the block (first ``last`` trials)."""
    keep = trials["trial_in_block"] < last
    if zero_strength_only:
        keep &= trials["strength"] == 0
    levels, p, n = _grouped(trials["trial_in_block"][keep], trials["correct"][keep].astype(float))
    return {"trial_in_block": levels, "p_correct": p, "count": n}


def outcomes_by_strength(trials: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Fractions of correct, incorrect and timed-out trials by strength."""
    strength = trials["strength"]
    levels = np.unique(strength)
    correct = trials["correct"].astype(bool)
    timeout = trials["timeout"].astype(bool)
    frac = lambda m: np.array([m[strength == s].mean() for s in levels])  # noqa: E731
    return {"strength": levels, "correct": frac(correct), "incorrect": frac(~correct & ~timeout),
            "timeout": frac(timeout)}
