"""Task-aligned state space (Schaeffer et al. 2020): planted directions and effects are recovered."""

from __future__ import annotations

import numpy as np
import pytest

from rnntool.analysis.ibl_statespace import (StateSpaceSettings, angle_degrees, held_out_sessions,
                                             readout_direction, state_effects, state_space)
from rnntool.errors import ConfigError


def planted_rows(n: int = 6, steps: int = 4000, sessions: int = 6, seed: int = 0
                 ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, float]:
    """States h = 2·block·d + 2·trial·v + noise: block and trial sides independent ±1
    (blocks of 50 steps), v at 60° to d; returns rows, d, v and the noise std."""
    rng = np.random.default_rng(seed)
    d = np.zeros(n)
    d[0] = 1.0
    v = np.zeros(n)
    v[0], v[1] = np.cos(np.pi / 3), np.sin(np.pi / 3)
    block = np.repeat(rng.choice([-1, 1], steps // 50), 50)
    trial = rng.choice([-1, 1], steps)
    sigma = 0.3
    h = 2 * block[:, None] * d + 2 * trial[:, None] * v + sigma * rng.standard_normal((steps, n))
    rows = {"hidden_state": h, "session": np.repeat(np.arange(sessions), -(-steps // sessions))[:steps],
            "block_side": block, "trial_side": trial, "blank": np.zeros(steps, bool),
            "previous_feedback": np.zeros(steps), "left_stimulus": rng.standard_normal(steps),
            "right_stimulus": rng.standard_normal(steps), "action_side": np.zeros(steps, int)}
    return rows, d, v, sigma


def test_logistic_block_vector_recovers_the_planted_discriminant() -> None:
    rows, d, v, sigma = planted_rows()
    w_out = np.stack([-v / 2, v / 2])
    space = state_space(rows, w_out, np.zeros(len(d)), StateSpaceSettings(seed=1))
    # the best linear separator of the blocks is Σ_w⁻¹ Δμ, Σ_w the within-block covariance
    within = 4 * np.outer(v, v) + sigma ** 2 * np.eye(len(d))
    best = np.linalg.solve(within, d)
    best /= np.linalg.norm(best)
    assert abs(space.block_vector @ best) > 0.99
    assert space.block_vector @ d > 0            # points to the right block
    assert np.allclose(space.trial_vector, v)    # readout direction w_R − w_L
    assert space.components[0] @ v > 0          # PC1 sign-aligned with the trial vector
    assert space.angle_full == pytest.approx(angle_degrees(space.trial_vector, space.block_vector))
    assert space.angle_full == pytest.approx(angle_degrees(v, best), abs=5)
    assert space.decoder_accuracy > 0.99 and space.decoder_accuracy_full > 0.99
    assert space.explained[:2].sum() > 0.95
    # task-aligned coordinates are the PCA states read along both in-plane vectors
    p = space.project(rows["hidden_state"])
    assert np.allclose(space.z[:, 0], p @ space.trial_vector_pca)
    assert np.allclose(space.aligned(rows["hidden_state"]), space.z)


def test_block_decoder_is_scored_on_held_out_sessions_only() -> None:
    rows, *_ = planted_rows()
    test = held_out_sessions(rows["session"], 1 / 3, seed=3)
    assert len(test) == 2 and set(test) <= set(range(6))
    assert np.array_equal(test, held_out_sessions(rows["session"], 1 / 3, seed=3))
    with pytest.raises(ConfigError):
        StateSpaceSettings(sessions=1).check()


def test_effects_recover_planted_slopes_and_their_significance() -> None:
    rng = np.random.default_rng(0)
    steps = 3000
    rows = {"blank": np.arange(steps) % 4 == 0, "session": np.zeros(steps, int),
            "left_stimulus": rng.standard_normal(steps), "right_stimulus": rng.standard_normal(steps),
            "previous_feedback": np.where(np.arange(steps) % 4 == 0, rng.choice([-1.0, 1.0], steps), 0.0),
            "action_side": rng.choice([-1, 1], steps)}
    obs = rows["right_stimulus"] - rows["left_stimulus"]
    acted = np.r_[0, rows["action_side"][:-1]]
    dz = 0.1 * rng.standard_normal((steps, 2))
    dz[:, 0] += np.where(rows["blank"], 0, 0.7 * obs)
    dz[:, 1] += np.where(rows["blank"], 0.4 * rows["previous_feedback"] * acted, 0)
    effects = state_effects(rows, dz, np.zeros_like(dz))
    assert effects["observation"]["trial_slope"] == pytest.approx(0.7, abs=0.01)
    assert effects["observation"]["trial_p"] < 1e-100
    assert effects["observation"]["block_p"] > 1e-3          # no planted effect
    assert effects["rewarded_side"]["block_slope"] == pytest.approx(0.4, abs=0.02)
    assert abs(effects["feedback"]["block_slope"]) < 0.05     # the side, not the sign, moves it


def test_readout_direction_is_the_logit_difference() -> None:
    w = np.array([[1.0, 2.0, 0.0], [3.0, 2.0, 0.0]])
    assert np.allclose(readout_direction(w), [1.0, 0.0, 0.0])
