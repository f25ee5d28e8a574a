"""Vector fields, fixed points and basins of a hand-built 2-unit tanh network."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnntool.analysis.ibl_vectorfield import (VectorFieldSettings, activity_map, find_condition_points, hull_grid,
                                              ibl_conditions, ideal_field, lyapunov_region,
                                              matching_transitions, time_constants, vector_field)
from rnntool.analysis.fixedpoints import FinderSettings
from rnntool.envs.agents import elman_config
from rnntool.network import Network

W_REC = np.array([[0.5, 0.0], [0.0, 0.5]])
W_IN = np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]])


def hand_built(w_rec: np.ndarray = W_REC) -> Network:
    """h' = tanh(W_rec h + W_in u): unit 0 reads L − R, unit 1 the feedback."""
    return Network.from_numpy(elman_config(3, 2, 2), {
        "W_in": W_IN, "W_rec": w_rec, "b": np.zeros(2), "W_out": np.array([[-1.0, 0], [1.0, 0]]),
        "b_out": np.zeros(2), "x0": np.zeros(2)})


def recorded_rows(net: Network, steps: int = 400, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    conds, _ = ibl_conditions()
    u = conds[rng.integers(0, len(conds), steps)] + np.c_[0.05 * rng.standard_normal((steps, 2)),
                                                           np.zeros(steps)]
    _, step = activity_map(net)
    h, out = torch.zeros(1, 2, dtype=torch.float64), []
    for t in range(steps):
        h = step(h, torch.as_tensor(u[t])[None])
        out.append(h[0].numpy())
    blank = (u[:, 0] == 0) & (u[:, 1] == 0)
    return {"hidden_state": np.array(out), "session": np.repeat([0, 1], steps // 2),
            "left_stimulus": u[:, 0], "right_stimulus": u[:, 1], "previous_feedback": u[:, 2],
            "blank": blank, "step_in_trial": np.where(blank, 1, 3)}


def analytic_fixed_point_of(w_rec: np.ndarray, h: np.ndarray, u: np.ndarray = np.zeros(3)
                            ) -> np.ndarray:
    for _ in range(2000):
        h = np.tanh(w_rec @ h + W_IN @ u)
    return h


def analytic_fixed_point(u: np.ndarray) -> np.ndarray:
    return analytic_fixed_point_of(W_REC, np.zeros(2), u)


def test_ideal_field_is_one_step_of_the_map_and_fixed_points_are_its_roots() -> None:
    net = hand_built()
    _, step = activity_map(net)
    conds, labels = ibl_conditions()
    states = np.array([[0.1, -0.2], [0.5, 0.5], [-0.7, 0.3]])
    field = ideal_field(step, states, conds)
    for i, u in enumerate(conds):
        expected = np.tanh(states @ W_REC.T + W_IN @ u) - states
        assert np.allclose(field[i], expected, atol=1e-12)
    rows = recorded_rows(net)
    points = find_condition_points(net, rows, conds, labels, FinderSettings(n_inits=96, seed=0))
    for i, u in enumerate(conds):
        sel = (points.input_index == i) & points.is_fixed
        assert sel.sum() == 1                      # a contraction has exactly one fixed point
        h = net.rate(torch.as_tensor(points.x[sel])[None])[0, 0].numpy()
        assert np.allclose(h, analytic_fixed_point(u), atol=1e-9)
        assert points.stable_map[sel].all()


def test_time_constants_basins_and_lyapunov_region_of_a_contraction() -> None:
    assert time_constants(np.array([[0.5, -0.25]]))[0] == pytest.approx([1 / np.log(2), 1 / np.log(4)])
    grid = np.stack(np.meshgrid(np.linspace(-0.95, 0.95, 9), np.linspace(-0.9, 0.9, 7)), -1).reshape(-1, 2)
    u = np.zeros(3)
    # a global contraction (W_rec = I/2): the remainder never spoils V, all is certified
    _, step = activity_map(hand_built())
    inside, level = lyapunov_region(step, np.zeros(2), u, grid)
    assert inside.all() and level == np.inf
    # unit 0 bistable (w = 2), unit 1 contracting: stable points (±h*, 0), h* = tanh(2h*)
    _, step = activity_map(hand_built(np.diag([2.0, 0.5])))
    h_star = analytic_fixed_point_of(np.diag([2.0, 0.5]), np.array([0.9, 0.0]))
    inside, level = lyapunov_region(step, h_star, u, grid)
    nearest = np.argmin(np.linalg.norm(grid - h_star, axis=1))
    assert inside[nearest] and np.isfinite(level)
    assert not inside[np.argmin(np.linalg.norm(grid, axis=1))]          # the saddle at 0
    assert not inside[np.argmin(np.linalg.norm(grid + h_star, axis=1))]  # the other attractor
    net = hand_built()
    _, step = activity_map(net)
    from rnntool.analysis.ibl_statespace import StateSpaceSettings, state_space

    rows = recorded_rows(net, steps=600)
    rows.update(block_side=np.repeat([-1, 1, -1, 1], 150), trial_side=np.ones(600, int),
                action_side=np.zeros(600, int))
    space = state_space(rows, net.to_numpy()["W_out"], np.zeros(2), StateSpaceSettings())
    conds, labels = ibl_conditions()
    points = find_condition_points(net, rows, conds, labels, FinderSettings(n_inits=96, seed=0))
    vf = vector_field(net, rows, space, conds, labels, points, VectorFieldSettings(settle_steps=100))
    assert (vf.basin >= 0).all()                   # every grid state settles at the point
    assert np.allclose(vf.ideal_norm, np.linalg.norm(
        ideal_field(step, space.mean + vf.grid @ space.components, conds), axis=-1))
    summary = vf.summary()
    assert [r["stable"] for r in summary] == [1] * 6


def test_hull_grid_and_matching_transitions() -> None:
    square = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], float)
    triangle = square[:3]
    assert len(hull_grid(square, 5)) == 25
    assert len(hull_grid(triangle, 5)) == 15
    conds, _ = ibl_conditions()
    rows = {"left_stimulus": np.array([1.25, 0.0, 0.0, 0.2]), "right_stimulus": np.array([0.2, 0, 0, 0.9]),
            "previous_feedback": np.array([-0.05, 1.0, 0.0, -0.05]), "blank": np.array([0, 1, 1, 0], bool),
            "step_in_trial": np.array([3, 0, 1, 4])}
    assert matching_transitions(rows, conds, 0.15).tolist() == [0, 5, 4, -1]
