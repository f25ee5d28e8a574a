"""Fixed points, point analytics, static input sets and the flip-flop task."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.optimize import brentq

from rnntool.analysis.fixedpoints import (FinderSettings, find_and_store, find_fixed_points,
                                          fixed_point_keys, polish_roots,
                                          load_fixed_points, unique_points)
from rnntool.analysis.point_analytics import analyse_points, map_jacobians, point_analytics
from rnntool.models import load_model
from rnntool.network import CTRNN, NetworkConfig, preset_config
from rnntool.rules import get_rule
from rnntool.seeding import Seeds
from rnntool.storage import write_model
from rnntool.tasks import make_task
from rnntool.training import TrainSettings, network_for, train


def _net(w_rec: np.ndarray, alpha: float = 0.1, phi: str = "tanh", **cfg) -> CTRNN:
    n = w_rec.shape[0]
    config = NetworkConfig(n_in=1, n_rec=n, alpha=alpha, phi=phi, dtype="float64", **cfg)
    params = {"W_in": torch.zeros(1, n, 1), "W_rec": torch.as_tensor(w_rec)[None],
              "b": torch.zeros(1, n), "W_out": torch.zeros(1, 1, n), "b_out": torch.zeros(1, 1),
              "x0": torch.zeros(1, n)}
    return CTRNN(config, params)


def test_bistable_system_gives_two_attractors_and_a_saddle_exactly() -> None:
    # x1 = 2 tanh x1 has roots 0 and ±a; x2 = 0.5 tanh x2 only 0.
    net = _net(np.diag([2.0, 0.5]))
    a = brentq(lambda s: s - 2 * np.tanh(s), 1.0, 3.0)
    points = find_fixed_points(net, np.zeros((1, 1)), None,
                               FinderSettings(method="exact", n_inits=64, init_from="box",
                                              box_scale=3.0, seed=1))
    assert (points.kind == "fixed").all() and len(points) == 3
    order = np.argsort(points.x[:, 0])
    np.testing.assert_allclose(points.x[order], [[-a, 0], [0, 0], [a, 0]], atol=1e-9)
    assert points.n_unstable[order].tolist() == [0, 1, 0]
    assert points.stable_map[order].tolist() == [True, False, True]
    assert points.stable_flow[order].tolist() == [True, False, True]
    assert points.q.max() < 1e-20
    # Linearisation: λ = 0.9 + 0.1·w·sech²(x) per unit, flow μ = (λ − 1)/α, τ = −1/μ.
    saddle, attractor = order[1], order[0]
    assert abs(points.right[saddle, :, 0].real[0]) == pytest.approx(1.0)  # unstable along unit 0
    assert points.eigenvalues[saddle].real.tolist() == pytest.approx([1.1, 0.95])
    slow = 1 - 2 / np.cosh(a) ** 2
    assert sorted(points.eigenvalues[attractor].real) == pytest.approx([1 - 0.1 * slow, 0.95])
    assert sorted(points.time_constants[attractor]) == pytest.approx([1 / slow, 2.0])


def test_approx_method_labels_points_and_finds_the_same_three() -> None:
    net = _net(np.diag([2.0, 0.5]))
    points = find_fixed_points(net, np.zeros((1, 1)), None,
                               FinderSettings(n_inits=64, init_from="box", box_scale=3.0, seed=1))
    fixed = points.select(points.is_fixed)
    assert len(fixed) == 3 and sorted(fixed.n_unstable.tolist()) == [0, 0, 1]
    assert fixed.q.max() <= FinderSettings().fixed_q


@pytest.mark.parametrize("preset", ["mcmahan", "ctrnn", "miconi"])
def test_analytic_jacobians_equal_autograd(preset: str) -> None:
    config = preset_config(preset, 3, 12, 1, dtype="float64")
    net = CTRNN.initialise(config, Seeds(3).generator("init"))
    x = net.clamp(torch.randn(1, 5, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(0)))
    u = torch.randn(1, 5, 3, dtype=torch.float64)
    auto = torch.stack([torch.autograd.functional.jacobian(
        lambda xi: net.step(xi[None, None], u[:, i:i + 1])[0, 0], x[0, i]) for i in range(5)])
    np.testing.assert_allclose(map_jacobians(net, x[0].numpy()), auto.numpy(), atol=1e-12)


def test_linear_algebra_avoids_torch_batched_solvers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the NumPy path: torch's batched solve/inv/eig can hang at N ≥ 256 once
    torch.set_num_threads(n > 1) has been called, so analytics and polishing must not use them."""
    def refuse(*args, **kwargs):
        raise AssertionError("torch.linalg used for batched linear algebra")
    for name in ("solve", "inv", "eig", "lu_factor", "lstsq"):
        monkeypatch.setattr(torch.linalg, name, refuse)
    config = preset_config("ctrnn", 2, 256, 1, g=1.5, dtype="float64")
    net = CTRNN.initialise(config, Seeds(0).generator("init"))
    lin = analyse_points(net, np.random.default_rng(0).normal(size=(3, 256)), np.zeros(2))
    roots, res = polish_roots(net, np.zeros((2, 256)), np.zeros((2, 2)), iters=3)
    assert roots.shape == (2, 256) and np.isfinite(res).all()
    assert isinstance(lin.eigenvalues, np.ndarray)
    j, r, l, lam = lin.jacobian, lin.right, lin.left, lin.eigenvalues
    np.testing.assert_allclose(j @ r, r * lam[:, None, :], atol=1e-8)
    np.testing.assert_allclose(np.swapaxes(l, 1, 2) @ j, lam[:, :, None] * np.swapaxes(l, 1, 2),
                               atol=1e-8)
    np.testing.assert_allclose(np.swapaxes(l, 1, 2) @ r, np.broadcast_to(np.eye(256), j.shape),
                               atol=1e-8)
    assert (np.diff(np.abs(lam), axis=1) <= 1e-12).all()


def test_map_and_flow_stability_agree_except_where_euler_is_unstable() -> None:
    # Small α: both criteria agree at every point of a random network.
    config = preset_config("ctrnn", 1, 40, 1, g=1.5, alpha=0.1, dtype="float64")
    net = CTRNN.initialise(config, Seeds(1).generator("init"))
    lin = analyse_points(net, np.random.default_rng(1).normal(size=(50, 40)), np.zeros(1))
    assert (lin.stable_map <= lin.stable_flow).all()  # map-stable ⇒ flow-stable, always
    np.testing.assert_allclose(lin.flow_eigenvalues, (lin.eigenvalues - 1) / 0.1)
    # α = 1 and W = −1.5: the origin is a stable flow equilibrium (μ = −2.5) but the Euler
    # map oscillates with λ = −1.5 and diverges: map-unstable, flow-stable.
    single = point_analytics(_net(np.array([[-1.5]]), alpha=1.0), np.zeros(1), np.zeros(1))
    assert single.eigenvalues[0, 0] == pytest.approx(-1.5)
    assert single.stable_flow[0] and not single.stable_map[0]
    assert single.n_unstable[0] == 1 and single.n_unstable_flow[0] == 0


def test_unique_points_keep_the_smallest_q() -> None:
    x = np.array([[0.0, 0.0], [0.0, 5e-4], [1.0, 1.0], [1.0, 1.0]])
    u = np.array([[0.0], [0.0], [0.0], [1.0]])
    q = np.array([2.0, 1.0, 3.0, 4.0])
    assert unique_points(x, u, q, 1e-3).tolist() == [1, 2, 3]


def test_static_input_sets_generalise_to_any_number_of_contexts() -> None:
    rdm = make_task("rdm")
    values, labels = rdm.static_inputs("small")
    assert values.shape == (21, 1) and values[0, 0] == 0 and len(labels) == 21
    assert list(np.abs(values[:, 0])) == sorted(np.abs(values[:, 0]))
    np.testing.assert_allclose(sorted(rdm.static_inputs("large")[0][:, 0]), [-0.5, -0.2, 0, 0.2, 0.5])
    for k in (2, 3, 5):
        cdi = make_task("cdi", contexts=k)
        for mode, levels in (("large", 5), ("small", 21), ("sparse", 11)):
            arr, labels = cdi.static_inputs(mode)
            assert arr.shape == (levels * k, 2 * k) and len(labels) == levels * k
            cue = arr[:, k:]
            assert (cue.sum(1) == 1).all() and (cue.argmax(1) == np.arange(levels * k) % k).all()
            sensory = arr[:, :k]
            off = sensory[np.arange(levels * k), np.arange(levels * k) % k]
            assert np.count_nonzero(sensory) == np.count_nonzero(off)  # only the cued channel
    large = make_task("cdi", contexts=2).static_inputs("large")[0]
    np.testing.assert_allclose(large[:, :2].sum(1), [0, 0, -0.2, -0.2, 0.2, 0.2, -0.4, -0.4, 0.4, 0.4])


def test_flipflop_targets_hold_the_last_pulse_sign() -> None:
    task = make_task("flipflop", bits=3)
    batch = task.sample(64, torch.Generator().manual_seed(0))
    inp, tgt = batch.inputs.numpy(), batch.targets.numpy()
    assert inp.shape == tgt.shape == (64, 200, 3)
    assert set(np.unique(inp)) <= {-1.0, 0.0, 1.0} and set(np.unique(tgt)) <= {-1.0, 0.0, 1.0}
    for b, c in itertools.product(range(8), range(3)):
        held = 0.0
        for t in range(200):
            if inp[b, t, c] != 0 and (t == 0 or inp[b, t - 1, c] != inp[b, t, c]):
                held = inp[b, t, c]
            assert tgt[b, t, c] == held
    onsets = (np.diff(np.abs(inp), axis=1) > 0).sum(1)
    assert 3 < onsets.mean() < 9  # about mean_pulses = 6 per channel
    assert task.correct(batch.targets[None], batch).all()


@pytest.fixture(scope="module")
def flipflop_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-bit flip-flop network trained by BPTT (a few seconds)."""
    task = make_task("flipflop", bits=3)
    rule_cls = get_rule("bptt")
    rule = rule_cls.create(task, lr=2e-2, batch_size=32, max_iters=400)
    config = network_for(rule_cls, task, 32, "ctrnn", trainable=("W_in", "W_rec", "b", "W_out"))
    record = train("flipflop_test", task, rule, config,
                   TrainSettings(seed=0, validation_trials=200, stop_threshold=0.95, stop_window=5))
    path = tmp_path_factory.mktemp("ff") / "flipflop_test.h5"
    write_model(path, record)
    return path


def test_trained_flipflop_has_eight_attractors_at_the_cube_corners(flipflop_model: Path) -> None:
    points, written = find_and_store(flipflop_model, inputs="zeros",
                                     settings=FinderSettings(method="exact", n_inits=256))
    assert written == flipflop_model and fixed_point_keys(flipflop_model) == ["zeros_exact"]
    stable = points.select(points.is_fixed & points.stable_map)
    assert len(stable) == 8
    net = load_model(flipflop_model).network
    with torch.no_grad():
        y = net.output(torch.as_tensor(stable.x, dtype=net.dtype)[None])[0].numpy()
    corners = {tuple(c) for c in np.sign(y).astype(int)}
    assert len(corners) == 8 and np.abs(y).min() > 0.3
    saddles = points.select(points.is_fixed & ~points.stable_map)
    assert len(saddles) >= 7 and (saddles.n_unstable >= 1).all()
    back = load_fixed_points(flipflop_model)
    np.testing.assert_array_equal(back.x, points.x)
    np.testing.assert_array_equal(back.eigenvalues, points.eigenvalues)
    assert back.input_labels == points.input_labels and back.settings["method"] == "exact"
