"""The fixed-point search by default: polished roots, merged by convergence, continuous sets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from rnntool.analysis.fixedpoint_search import MapSystem, descend, group_roots, newton_polish
from rnntool.analysis.fixedpoints import FinderSettings, find_fixed_points, load_fixed_points
from rnntool.cli.main import main
from rnntool.network import CTRNN, NetworkConfig

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"


def _net(w_rec: np.ndarray, phi: str = "tanh", b: np.ndarray | None = None) -> CTRNN:
    n = w_rec.shape[0]
    config = NetworkConfig(n_in=1, n_rec=n, alpha=0.1, phi=phi, dtype="float64")
    bias = torch.zeros(1, n) if b is None else torch.as_tensor(b)[None]
    params = {"W_in": torch.zeros(1, n, 1), "W_rec": torch.as_tensor(w_rec)[None], "b": bias,
              "W_out": torch.zeros(1, 1, n), "b_out": torch.zeros(1, 1), "x0": torch.zeros(1, n)}
    return CTRNN(config, params)


def test_flipflop_sample_has_27_fixed_points_8_stable_by_default(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """3 bits: 2³ attractors at the cube's corners and 27 − 8 saddles, with no option given."""
    copy = tmp_path / "flipflop_3bit.h5"
    copy.write_bytes((SAMPLES / "flipflop_3bit.h5").read_bytes())
    with pytest.raises(SystemExit) as done:
        main(["fixedpoints", str(copy), "--inputs", "zeros", "--overwrite", "--json", "-q"])
    assert done.value.code == 0
    summary = json.loads(capsys.readouterr().out)["results"][0]
    assert (summary["fixed"], summary["stable"], summary["slow"]) == (27, 8, 0)
    points = load_fixed_points(copy, "zeros_exact")
    fixed = points.select(points.is_fixed)
    assert np.sqrt(2 * fixed.q).max() < FinderSettings().root_tol
    assert sorted(fixed.n_unstable.tolist()) == [0] * 8 + [1] * 12 + [2] * 6 + [3]
    gaps = np.linalg.norm(fixed.x[:, None] - fixed.x[None], axis=-1) + np.eye(27)
    assert gaps.min() > 1e-3  # no root reported twice


def test_line_attractor_is_one_continuous_set_not_thousands_of_points() -> None:
    """Linear units with W = vvᵀ + ½(I − vvᵀ): every x on the line through v is a fixed point,
    attracting (λ = 0.95) across it and neutral (λ = 1) along it."""
    rng = np.random.default_rng(0)
    v = rng.normal(size=6)
    v /= np.linalg.norm(v)
    net = _net(np.outer(v, v) + 0.5 * (np.eye(6) - np.outer(v, v)), phi="linear")
    settings = FinderSettings(n_inits=512, init_from="box", box_scale=3.0, seed=0)
    points = find_fixed_points(net, np.zeros((1, 1)), None, settings)
    assert points.is_fixed.all() and points.n_manifolds == 1
    assert 2 <= len(points) <= settings.manifold_points and (points.manifold == 0).all()
    along = points.x @ v
    np.testing.assert_allclose(points.x, np.outer(along, v), atol=1e-9)
    assert np.ptp(along) > 3  # the samples spread along the line
    assert (points.manifold_dim == 1).all() and points.stable_map.all()
    assert (points.n_unstable == 0).all()


def test_two_separate_line_attractors_stay_two_sets() -> None:
    """A line attractor along unit 0 that the input shifts along unit 1 (x₁ = 2u): the roots
    of each input form their own set."""
    v = np.array([1.0, 0.0, 0.0])
    net = _net(np.diag([1.0, 0.5, 0.5]), phi="linear")
    net.params["W_in"] = torch.tensor([[[0.0], [1.0], [0.0]]], dtype=torch.float64)
    settings = FinderSettings(n_inits=128, init_from="box", box_scale=2.0, seed=1)
    points = find_fixed_points(net, np.array([[0.0], [1.0]]), None, settings)
    assert points.n_manifolds == 2
    for m in (0, 1):
        on = points.manifold == m
        assert len(set(points.input_index[on].tolist())) == 1
        np.testing.assert_allclose(points.x[on, 1], 2.0 * points.u[on, 0], atol=1e-9)
    assert np.ptp(points.x @ v) > 1


def test_a_ghost_of_a_saddle_node_is_a_slow_point_and_the_root_is_exact() -> None:
    """x' = −x + 2 tanh x − 0.6: one root near x = −2.5, and past the fold at x ≈ 0.88 only a
    minimum of q (a ghost), which Newton cannot polish: a slow point."""
    net = _net(np.array([[2.0]]), b=np.array([-0.6]))
    points = find_fixed_points(net, np.zeros((1, 1)), None,
                               FinderSettings(n_inits=64, init_from="box", box_scale=3.0, seed=0))
    fixed, slow = points.select(points.is_fixed), points.select(~points.is_fixed)
    assert len(fixed) == 1 and fixed.x[0, 0] < -2
    assert abs(-fixed.x[0, 0] + 2 * np.tanh(fixed.x[0, 0]) - 0.6) < 1e-12
    assert len(slow) == 1 and slow.x[0, 0] == pytest.approx(np.arccosh(np.sqrt(2)), abs=1e-3)


def test_descent_never_raises_q_and_converges_every_start() -> None:
    """Monotone Adam alone (no Newton) on a bistable pair: q of every start only falls, and
    every start ends below tol_q."""
    net = _net(np.diag([2.0, 1.5]))
    system = MapSystem(step=lambda x, u: net.step(x[None], u[None])[0],
                       jacobian=lambda x, u: net.jacobian_state(x[None])[0])
    x0 = torch.as_tensor(np.random.default_rng(0).uniform(-3, 3, (256, 2)))
    u = torch.zeros(256, 1, dtype=torch.float64)
    q_prev = None
    for iters in (5, 20, 80, 320):
        q = descend(system, x0, u, iters).q
        if q_prev is not None:
            assert (q <= q_prev).all()
        q_prev = q
    assert (descend(system, x0, u, 3000).q < 1e-12).all()


def test_hundreds_of_copies_of_one_root_merge_into_one() -> None:
    """Many starts of a small map land on one root, their copies a unit in the last place
    apart (a 2-unit agent gave 171 such copies): every copy merges, however the copies sit
    among each other's nearest neighbours."""

    class NoLinks:
        def residual(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
            return np.ones_like(x)

    rng = np.random.default_rng(0)
    root = np.array([0.0185492818, 0.0272878123])
    copies = root + np.spacing(root) * rng.integers(0, 3, size=(171, 2))
    same, component = group_roots(NoLinks(), copies, np.zeros(3), np.full(171, np.inf), 1e-10)
    assert len(np.unique(same)) == 1 and len(np.unique(component)) == 1


def test_roots_are_merged_by_where_they_converge() -> None:
    """Starts converging on one root from opposite sides end at it to rounding and merge; two
    distinct roots 6e-4 apart (closer than tol_unique) stay two."""
    # Unit 0: x = 2 tanh x, root a; unit 1: x = (1 + ε) tanh x, roots 0 and ±√(3ε) ≈ ±3e-4.
    net = _net(np.diag([2.0, 1.0 + 3e-8]))
    system = MapSystem(step=lambda x, u: net.step(x[None], u[None])[0],
                       jacobian=lambda x, u: net.jacobian_state(x[None])[0])
    a = 1.9150080481545630
    small = np.sqrt(3 * 3e-8)  # tanh x = x/(1 + ε): x ≈ ±√(3ε)
    starts = np.array([[a - 0.2, small * 1.2], [a + 0.3, small * 1.1], [a, -small * 1.3],
                       [a + 0.1, -small * 0.9]])
    pol = newton_polish(system, starts, np.zeros((4, 1)), iters=100)
    assert pol.converged.all()
    same, component = group_roots(system, pol.x, np.zeros(1), pol.last_step, 1e-10)
    assert same[0] == same[1] and same[2] == same[3] and same[0] != same[2]
    assert np.abs(pol.x[0] - pol.x[2]).max() < FinderSettings().tol_unique
    np.testing.assert_allclose(np.sort(pol.x[[0, 2], 1]), [-small, small], rtol=0.02)
