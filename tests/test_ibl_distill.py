"""RADD recovers a known 2-unit tanh system; distilled agents are model files that act."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnntool.analysis.ibl_statespace import StateSpace
from rnntool.distill.radd import difference_errors, fit_radd, radd_weights, simulate_sessions


def identity_space(z: np.ndarray) -> StateSpace:
    """A 2-D state space whose task-aligned coordinates are the states themselves."""
    eye = np.eye(2)
    zero = np.zeros(2)
    return StateSpace(mean=zero, components=eye, variance=np.ones(2), trial_vector=eye[0],
                      block_vector=eye[1], trial_vector_pca=eye[0], block_vector_pca=eye[1],
                      trial_in_plane=1.0, angle_full=90.0, angle_plane=90.0,
                      decoder_accuracy=1.0, decoder_accuracy_full=1.0,
                      decoder_train_accuracy=1.0, decoder_coef=eye[1], decoder_intercept=0.0,
                      plane=z, z=z, z_change=np.zeros_like(z), block_belief=np.zeros(len(z)),
                      effects={}, test_sessions=np.array([0]))


def test_radd_recovers_the_matrices_of_a_known_tanh_system() -> None:
    rng = np.random.default_rng(0)
    A = np.array([[0.6, -0.3], [0.2, 0.9]])
    B = np.array([[0.5, -0.5, 0.1], [0.05, -0.05, 0.4]])
    c = np.array([0.05, -0.1])
    sessions, steps, s_true = 4, 600, 3.0
    session = np.repeat(np.arange(sessions), steps)
    u = rng.standard_normal((sessions * steps, 3))
    z = s_true * simulate_sessions(A, B, c, np.zeros(2), u, session)
    rows = {"hidden_state": z, "session": session, "left_stimulus": u[:, 0],
            "right_stimulus": u[:, 1], "previous_feedback": u[:, 2]}
    w_out = np.array([[-1.0, 0.0], [1.0, 0.0]])
    fit = fit_radd(rows, identity_space(z), w_out, np.zeros(2), np.zeros(2), seed=0,
                   scale=s_true)
    assert np.allclose(fit.A, A, atol=1e-8) and np.allclose(fit.B, B, atol=1e-8)
    assert np.allclose(fit.c, c, atol=1e-8)
    assert fit.r2_test.min() > 1 - 1e-10 and fit.r2_simulated > 1 - 1e-10
    # the readout reproduces the teacher's logit difference 2·z_trial = 2·s·z̃_trial
    assert np.allclose(fit.readout, [2 * s_true, 0], atol=1e-8) and fit.readout_r2 > 1 - 1e-10
    # the default scale (1.01·max|z|) no longer gives the exact system, but fits well
    approx = fit_radd(rows, identity_space(z), w_out, np.zeros(2), np.zeros(2))
    assert approx.scale == pytest.approx(1.01 * np.abs(z).max())
    assert approx.r2_test.min() > 0.9


def test_radd_agent_weights_run_the_fitted_system() -> None:
    from rnntool.envs.agents import elman_config
    from rnntool.network import Network

    rng = np.random.default_rng(1)
    A, B, c = rng.normal(0, 0.5, (2, 2)), rng.normal(0, 0.5, (2, 3)), rng.normal(0, 0.1, 2)
    u = rng.standard_normal((50, 3))
    session = np.zeros(50, int)
    expected = simulate_sessions(A, B, c, np.array([0.2, -0.1]), u, session)
    from rnntool.distill.radd import RaddFit

    fit = RaddFit(A=A, B=B, c=c, scale=2.0, z_init=np.array([0.2, -0.1]), readout=np.array([3.0, 0.0]),
                  readout_bias=0.5, r2_train=np.ones(2), r2_test=np.ones(2), r2_simulated=1.0,
                  readout_r2=1.0, test_sessions=np.array([0]))
    net = Network.from_numpy(elman_config(3, 2, 2), radd_weights(fit))
    x = net.initial_state(1, std=0.0)
    outs = []
    for t in range(50):
        x = net.step(x, torch.as_tensor(u[t])[None, None])
        outs.append(net.rate(x)[0, 0].numpy())
    assert np.allclose(np.array(outs), expected, atol=1e-12)
    logits = net.output(x)[0, 0].numpy()
    assert logits[1] - logits[0] == pytest.approx(3.0 * expected[-1, 0] + 0.5)


def test_error_accumulation_of_a_constant_trajectory_vanishes_after_order_zero() -> None:
    x = np.ones((30, 2))
    err = difference_errors(x, np.zeros(30, int), orders=3)
    assert err[0, 0] == pytest.approx(1.0) and np.allclose(err[1:, 0], 0)
