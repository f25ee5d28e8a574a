"""Line and ring attractor tracing on hand-built systems whose attractors are known exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnntool.analysis.attractors import MapView, trace_attractor, view_of
from rnntool.errors import ConfigError
from rnntool.network.config import NetworkConfig
from rnntool.network.ctrnn import CTRNN

ALPHA = 0.2


def _parabola_view(n: int = 6, c: float = 0.7) -> MapView:
    """ẋ₀ = 0, ẋ₁ = −(x₁ − c x₀²), ẋₖ = −xₖ: every point of x₁ = c x₀² (others 0) is fixed."""
    def flow(x: torch.Tensor) -> torch.Tensor:
        f = -x.clone()
        f[:, 0] = 0.0
        f[:, 1] = -(x[:, 1] - c * x[:, 0] ** 2)
        return f

    def jac(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        j = -torch.eye(n, dtype=x.dtype).repeat(x.shape[0], 1, 1)
        j[:, 0, 0] = 0.0
        j[:, 1, 0] = 2 * c * x[:, 0]
        return torch.eye(n, dtype=x.dtype) + ALPHA * j

    return MapView(lambda x, u: x + ALPHA * flow(x), jac, ALPHA, n, 1)


def _ring_view(n: int = 5) -> MapView:
    """In the (x₀, x₁) plane ṙ = r(1 − r²), θ̇ = 0; ẋₖ = −xₖ otherwise: the unit circle is fixed."""
    def flow(x: torch.Tensor) -> torch.Tensor:
        f = -x.clone()
        r2 = x[:, 0] ** 2 + x[:, 1] ** 2
        f[:, :2] = x[:, :2] * (1 - r2)[:, None]
        return f

    def jac(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        return torch.vmap(torch.func.jacrev(lambda y: y + ALPHA * flow(y[None])[0]))(x)

    return MapView(lambda x, u: x + ALPHA * flow(x), jac, ALPHA, n, 1)


def test_curved_line_attractor_is_traced_along_its_length() -> None:
    rng = np.random.default_rng(0)
    x0 = np.linspace(-1.0, 1.0, 6)
    anchors = np.zeros((6, 6))
    anchors[:, 0], anchors[:, 1] = x0, 0.7 * x0 ** 2
    anchors += 0.05 * rng.standard_normal(anchors.shape)
    trace = trace_attractor(_parabola_view(), anchors, np.zeros(1), n_points=21, eig_tol=1e-6)
    p = trace.points
    assert float(trace.q.max()) < 1e-20
    assert np.abs(p[:, 1] - 0.7 * p[:, 0] ** 2).max() < 1e-9 and np.abs(p[:, 2:]).max() < 1e-9
    assert p[0, 0] < -0.8 and p[-1, 0] > 0.8 and bool((np.diff(p[:, 0]) > 0).all())  # spread, ordered
    assert trace.counts() == {"stable": 0, "marginal": 21, "unstable": 0}
    assert np.abs(trace.growth).max() < 1e-9
    assert trace.alignment.min() > 0.999  # the zero mode runs along the parabola
    assert bool(((trace.right[1:] * trace.right[:-1]).sum(1) > 0).all())  # consistent orientation
    assert bool(((trace.right * trace.tangent).sum(1) > 0).all())
    assert bool(((trace.left * trace.right).sum(1) > 0).all())
    gaps = np.diff(trace.arc)
    assert gaps.max() / gaps.min() < 1.3


def test_ring_attractor_closes_on_itself_with_even_spacing() -> None:
    rng = np.random.default_rng(1)
    theta = rng.uniform(0, 2 * np.pi, 14)
    anchors = np.zeros((14, 5))
    anchors[:, 0], anchors[:, 1] = 1.1 * np.cos(theta), 0.9 * np.sin(theta)
    anchors += 0.03 * rng.standard_normal(anchors.shape)
    trace = trace_attractor(_ring_view(), anchors, np.zeros(1), closed=True, n_points=24,
                            eig_tol=1e-6)
    radius = np.linalg.norm(trace.points[:, :2], axis=1)
    assert np.abs(radius - 1).max() < 1e-8 and float(trace.q.max()) < 1e-20
    angles = np.sort(np.arctan2(trace.points[:, 1], trace.points[:, 0]))
    gaps = np.diff(np.concatenate([angles, angles[:1] + 2 * np.pi]))
    assert gaps.max() < 2.0 * (2 * np.pi / 24)
    assert trace.counts()["marginal"] == 24 and trace.alignment.min() > 0.999
    assert bool(((trace.right[1:] * trace.right[:-1]).sum(1) > 0).all())
    eig = (trace.eigenvalues.real - 1) / ALPHA
    assert np.allclose(eig[:, -1], -2.0, atol=1e-6)  # the radial direction contracts at rate 2


def test_network_line_attractor_found_through_the_network_view() -> None:
    """x ← (1−α)x + α W x with W = v vᵀ: every multiple of v is fixed; other modes decay."""
    n, rng = 8, np.random.default_rng(2)
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    config = NetworkConfig(n_in=2, n_rec=n, alpha=0.1, phi="linear", dtype="float64")
    params = {"W_in": torch.zeros(1, n, 2), "W_rec": torch.as_tensor(np.outer(v, v))[None],
              "b": torch.zeros(1, n), "W_out": torch.zeros(1, 1, n), "b_out": torch.zeros(1, 1),
              "x0": torch.zeros(1, n)}
    view = view_of(CTRNN(config, params))
    anchors = np.outer(np.linspace(-2, 2, 5), v) + 0.1 * rng.standard_normal((5, n))
    trace = trace_attractor(view, anchors, np.zeros(2), n_points=11, eig_tol=1e-8)
    along = trace.points @ v
    off = trace.points - np.outer(along, v)
    assert np.abs(off).max() < 1e-10 and along.max() - along.min() > 3.0
    assert trace.counts()["marginal"] == 11
    assert np.abs(np.abs(trace.right @ v) / np.linalg.norm(trace.right, axis=1) - 1).max() < 1e-8


def test_a_point_attractor_is_not_a_line_and_the_tolerance_decides_marginal() -> None:
    """ẋ = −0.05 x: the hyperplanes hold no fixed points except through the origin."""
    n = 4
    view = MapView(lambda x, u: x - ALPHA * 0.05 * x,
                   lambda x, u: (1 - ALPHA * 0.05) * torch.eye(n, dtype=x.dtype).repeat(x.shape[0], 1, 1),
                   ALPHA, n, 1)
    anchors = np.outer(np.linspace(-1, 1, 5), np.ones(n) / 2)
    trace = trace_attractor(view, anchors, np.zeros(1), n_points=5, eig_tol=1e-3)
    assert trace.counts() == {"stable": 5, "marginal": 0, "unstable": 0}
    assert float(trace.q[[0, -1]].min()) > 1e-5 and float(trace.q[2]) < 1e-20
    loose = trace_attractor(view, anchors, np.zeros(1), n_points=5, eig_tol=0.1)
    assert loose.counts()["marginal"] == 5


def test_a_point_stays_within_reach_of_its_stretch_of_the_curve() -> None:
    """ẋ₀ = −ε(x₁ − 5)/5, ẋ₁ = 0, ẋ₂ = −x₂: the line x₁ = 0 is slow, not fixed, and every
    hyperplane across it holds an exact fixed point 5 away, where one Gauss–Newton step lands."""
    eps = 0.01

    def step(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        f = torch.stack([-eps * (x[:, 1] - 5) / 5, torch.zeros_like(x[:, 1]), -x[:, 2]], 1)
        return x + ALPHA * f

    def jac(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        j = torch.tensor([[0.0, -eps / 5, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, -1.0]], dtype=x.dtype)
        return (torch.eye(3, dtype=x.dtype) + ALPHA * j).repeat(x.shape[0], 1, 1)

    view = MapView(step, jac, ALPHA, 3, 1)
    anchors = np.zeros((5, 3))
    anchors[:, 0] = np.linspace(-1, 1, 5)
    held = trace_attractor(view, anchors, np.zeros(1), n_points=11, reach=2.0)
    # two passes, each at most 2 spacings of 0.2 toward the root: the ball's edge, 0.8 off
    assert np.allclose(held.points[:, 1], 0.8, atol=1e-9) and np.allclose(held.points[:, 0], np.linspace(-1, 1, 11))
    assert float(held.q.min()) > 1e-8
    free = trace_attractor(view, anchors, np.zeros(1), n_points=11, reach=1e6)
    assert np.allclose(free.points[:, 1], 5.0) and float(free.q.max()) < 1e-20


@pytest.mark.parametrize("kwargs", [dict(n_points=2), dict(eig_tol=-1.0), dict(closed=True),
                                    dict(reach=0.0)])
def test_bad_tracing_settings_are_config_errors(kwargs: dict) -> None:
    anchors = np.array([[0.0] * 6, [1.0] + [0.0] * 5])
    with pytest.raises(ConfigError):
        trace_attractor(_parabola_view(), anchors, np.zeros(1), **kwargs)


def test_memory_task_setups_anchor_the_line_the_stimulus_writes_on() -> None:
    """A linear integrator along v stores the number shown; both setups trace that line."""
    from rnntool.analysis.attractor_setups import trace_task
    from rnntool.tasks import make_task

    n, rng = 6, np.random.default_rng(3)
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    w_in = np.zeros((n, 2))
    w_in[:, 0] = v
    config = NetworkConfig(n_in=2, n_rec=n, alpha=0.1, phi="linear", dtype="float64")
    params = {"W_in": torch.as_tensor(w_in)[None], "W_rec": torch.as_tensor(np.outer(v, v))[None],
              "b": torch.zeros(1, n), "W_out": torch.zeros(1, 1, n), "b_out": torch.zeros(1, 1),
              "x0": torch.zeros(1, n)}
    task = make_task("memory_anti_number")
    traces = trace_task(view_of(CTRNN(config, params)), task, np.zeros(n), "line", n_points=9,
                        eig_tol=1e-8)
    assert [label for label, _ in traces] == ["delay", "recall"]
    for _, trace in traces:
        along = trace.points @ v
        assert np.abs(trace.points - np.outer(along, v)).max() < 1e-10
        assert along.min() == pytest.approx(-2.0, abs=1e-6) and along.max() == pytest.approx(2.0, abs=1e-6)
        assert trace.counts()["marginal"] == 9
    with pytest.raises(ConfigError):
        trace_task(view_of(CTRNN(config, params)), make_task("dmts"), np.zeros(n))


def test_a_task_list_traces_each_members_attractor_under_its_task_id() -> None:
    from rnntool.analysis.attractor_setups import trace_setups
    from rnntool.tasks import make_task

    both = make_task("delaygo_continuous,delayanti_continuous")
    setups = trace_setups(both)
    assert [s.label for s in setups] == ["delaygo_continuous delay", "delayanti_continuous delay"]
    for k, (setup, member) in enumerate(zip(setups, both.tasks)):
        (alone,) = trace_setups(member)
        task_id = both.n_in - 2 + k
        assert setup.u[task_id] == 1.0 and setup.u[both.n_in - 1 - k] == 0.0
        assert bool((setup.inputs[..., task_id] == 1).all()) and bool((setup.inputs[..., both.n_in - 1 - k] == 0).all())
        assert torch.equal(setup.at, alone.at)
        assert np.isclose(setup.inputs.sum(), alone.inputs.sum() + setup.inputs[..., task_id].sum())
    with pytest.raises(ConfigError, match="none of the tasks"):
        trace_setups(make_task("delaygo,delayanti"))
