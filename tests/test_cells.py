"""The cell protocol and the dynamical-system view, for every registered cell."""

from __future__ import annotations

import pytest
import torch

from rnntool.analysis.fixedpoints import FinderSettings, find_fixed_points
from rnntool.analysis.point_analytics import analyse_points
from rnntool.network import CELLS, DynamicalSystem, Network, preset_config
from rnntool.network.cells.base import Cell, Params, ParamSpec
from rnntool.network.network import final_outputs


def _net(cell: str, members: int = 2, n: int = 7, **kw) -> Network:
    cfg = preset_config("ctrnn", 3, n, 2, dtype="float64", cell=cell, **kw)
    net = Network.initialise(cfg, torch.Generator().manual_seed(0), members=members)
    gen = torch.Generator().manual_seed(1)
    for name, value in net.params.items():  # non-trivial values everywhere
        net.params[name] = value + 0.3 * torch.randn(value.shape, generator=gen, dtype=value.dtype)
    return net


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_analytic_jacobians_equal_the_autograd_fallback(cell: str) -> None:
    net = _net(cell)
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(2, 4, net.state_size, dtype=torch.float64, generator=gen)
    u = torch.randn(2, 4, 3, dtype=torch.float64, generator=gen)
    p = net.effective()
    torch.testing.assert_close(net.cell.jacobian_state(p, x, u),
                               Cell.jacobian_state(net.cell, p, x, u), rtol=0, atol=1e-10)
    torch.testing.assert_close(net.cell.jacobian_input(p, x, u),
                               Cell.jacobian_input(net.cell, p, x, u), rtol=0, atol=1e-10)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_unroll_equals_repeated_steps_with_gradients(cell: str) -> None:
    net = _net(cell, members=3)
    gen = torch.Generator().manual_seed(3)
    u = torch.randn(4, 9, 3, dtype=torch.float64, generator=gen)
    x0 = net.initial_state(4, gen, std=0.5).clone().requires_grad_(True)
    params = net.trainable_parameters() + [x0]
    traj = net.simulate(u, x0)
    x, states = x0, []
    for t in range(u.shape[1]):
        x = net.step(x, u[:, t][None])
        states.append(x)
    ref = torch.stack(states, 2)
    torch.testing.assert_close(traj.states, ref, rtol=0, atol=1e-12)
    loss = (traj.outputs ** 2).sum() + traj.states.sin().sum()
    loss_ref = (net.output(ref) ** 2).sum() + ref.sin().sum()
    for got, want in zip(torch.autograd.grad(loss, params), torch.autograd.grad(loss_ref, params)):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("cell,readout", [(c, "phi") for c in sorted(CELLS)] + [("ctrnn", "x")])
def test_activities_last_state_and_chunked_outputs_match_the_full_unroll(cell: str,
                                                                         readout: str) -> None:
    net = _net(cell, members=2, **({"readout": readout} if cell == "ctrnn" else {}))
    gen = torch.Generator().manual_seed(4)
    u = torch.randn(3, 11, 3, dtype=torch.float64, generator=gen)
    x0 = net.initial_state(3, gen, std=0.5)
    drive = net.drive(u)
    xs, rs = net.unroll(x0, drive)
    acts, last, every_state = net.unroll_activity(x0, drive)
    torch.testing.assert_close(acts, rs, rtol=0, atol=1e-12)
    torch.testing.assert_close(last, xs[-1], rtol=0, atol=1e-12)
    torch.testing.assert_close(every_state(), xs, rtol=0, atol=1e-12)
    traj = net.simulate(u, x0)
    first, final = final_outputs(net, u, x0, time_chunk=4)
    torch.testing.assert_close(first, traj.outputs[:, :, 0], rtol=0, atol=1e-12)
    torch.testing.assert_close(final, traj.outputs[:, :, -1], rtol=0, atol=1e-12)


def test_training_on_outputs_never_builds_the_lstm_cell_state_trajectory() -> None:
    net = _net("lstm", members=1)
    u = torch.randn(2, 6, 3, dtype=torch.float64)
    traj = net.simulate(u, net.initial_state(2))
    assert callable(traj._states)  # outputs came from h alone
    assert traj.states.shape == (1, 2, 6, 14) and not callable(traj._states)


class _Linear(Cell):
    """x ← A x + B u: a new cell that writes only its parameters and step."""

    name = "test_linear"

    def parameters(self) -> list[ParamSpec]:
        n, c = self.config.n_rec, self.config
        return [ParamSpec("W_rec", (n, n)), ParamSpec("W_in", (n, c.n_in)),
                ParamSpec("W_out", (c.n_out, n)), ParamSpec("b_out", (c.n_out,), False),
                ParamSpec("x0", (n,), False)]

    def initial_parameters(self, generator: torch.Generator) -> Params:
        dt = torch.float64
        return {s.name: 0.3 * torch.randn(s.shape, generator=generator, dtype=dt)
                for s in self.parameters()}

    def input_drive(self, params: Params, u: torch.Tensor) -> torch.Tensor:
        return u @ params["W_in"].transpose(1, 2)

    def driven_step(self, params: Params, x: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
        return x @ params["W_rec"].transpose(1, 2) + d


@pytest.fixture
def linear_cell():
    CELLS.register(_Linear.name, _Linear)
    yield _Linear
    del CELLS._entries[_Linear.name]


def test_a_new_cell_gets_jacobians_fixed_points_and_analytics_for_free(linear_cell) -> None:
    cfg = preset_config("ctrnn", 2, 3, 1, dtype="float64", cell="test_linear",
                        trainable=("W_rec",))
    a = torch.tensor([[0.5, 0.2, 0.0], [0.0, 1.5, 0.1], [0.0, 0.0, -0.3]], dtype=torch.float64)
    b = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    net = Network(cfg, {"W_rec": a[None], "W_in": b[None], "W_out": torch.ones(1, 1, 3),
                        "b_out": torch.zeros(1, 1), "x0": torch.zeros(1, 3)})
    ds = DynamicalSystem(net)
    assert ds.alpha is None and ds.state_size == 3 and ds.input_size == 2
    x = torch.randn(5, 3, dtype=torch.float64)
    torch.testing.assert_close(ds.jacobian_state(x), a.expand(5, 3, 3))
    torch.testing.assert_close(ds.jacobian_input(x), b.expand(5, 3, 2))
    u = torch.tensor([1.0, -2.0], dtype=torch.float64)
    root = torch.linalg.solve(torch.eye(3, dtype=torch.float64) - a, b @ u)
    points = find_fixed_points(net, u[None].numpy(), None,
                               FinderSettings(method="exact", n_inits=32, box_scale=3.0))
    assert points.is_fixed.sum() == 1
    torch.testing.assert_close(torch.as_tensor(points.x[points.is_fixed][0]), root, rtol=0, atol=1e-9)
    lin = analyse_points(ds, root[None].numpy(), u[None].numpy())
    assert sorted(abs(lin.eigenvalues[0])) == pytest.approx([0.3, 0.5, 1.5])
    assert lin.n_unstable[0] == 1 and not lin.stable_map[0]
    assert lin.flow_eigenvalues is None and lin.stable_flow is None and lin.time_constants is None
    assert lin.map_time_constants_ms(20.0)[0] == pytest.approx(20.0 / -torch.log(
        torch.tensor([1.5, 0.5, 0.3])).numpy())


def test_continuous_cells_report_flow_quantities_in_steps_and_ms() -> None:
    net = _net("ctrnn", members=1, alpha=0.2)
    ds = DynamicalSystem(net)
    x = torch.zeros(1, 7, dtype=torch.float64).numpy()
    lin = analyse_points(ds, x, torch.zeros(1, 3).numpy())
    assert ds.alpha == 0.2 and lin.has_flow
    mu = (lin.eigenvalues - 1) / 0.2
    assert lin.flow_eigenvalues == pytest.approx(mu)
    # τ = dt/α: with 10 ms steps a time constant of 1 τ lasts 50 ms
    assert lin.time_constants_ms(10.0) == pytest.approx(-1.0 / mu.real * 50.0)


def test_view_accepts_any_leading_shape_and_member_of_a_stack() -> None:
    net = _net("ctrnn", members=3)
    ds = DynamicalSystem(net, member=2)
    x = torch.randn(2, 5, 7, dtype=torch.float64)
    u = torch.randn(2, 5, 3, dtype=torch.float64)
    want = net.member(2).step(x.reshape(1, 10, 7), u.reshape(1, 10, 3)).reshape(2, 5, 7)
    torch.testing.assert_close(ds.step(x, u), want, rtol=0, atol=0)
    assert ds.float64() is ds and ds.with_dtype("float32").dtype == torch.float32


@pytest.mark.parametrize("cell,phi", [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"),
                                      ("lstm", "tanh")])
def test_torch_cells_equal_torch_nn_on_the_same_weights(cell: str, phi: str) -> None:
    from rnntool.network.cells import from_torch, to_torch
    from rnntool.network.cells.gated import TORCH_MODULES

    torch.manual_seed(0)
    kwargs = {"nonlinearity": phi} if cell == "rnn" else {}
    module = TORCH_MODULES[cell](3, 6, batch_first=True, **kwargs)
    cfg = preset_config("ctrnn", 3, 6, 2, cell=cell, phi=phi)
    net = Network.initialise(cfg, torch.Generator().manual_seed(0))
    for name, value in from_torch(module).items():
        net.params[name] = value[None].clone()
    u = torch.randn(4, 11, 3)
    h0 = 0.5 * torch.randn(1, 4, 6)
    if cell == "lstm":
        c0 = 0.5 * torch.randn(1, 4, 6)
        want, (h_end, c_end) = module(u, (h0, c0))
        x0 = torch.cat([h0, c0], -1)
    else:
        want, h_end = module(u, h0)
        x0 = h0
    traj = net.simulate(u, x0)
    torch.testing.assert_close(traj.rates[0], want, rtol=0, atol=1e-6)
    torch.testing.assert_close(traj.states[0, :, -1, :6], h_end[0], rtol=0, atol=1e-6)
    back = to_torch(cell, {k: v[0] for k, v in net.params.items()}, phi)
    for key, value in module.state_dict().items():
        torch.testing.assert_close(back.state_dict()[key], value, rtol=0, atol=0)


def test_discrete_cells_take_no_time_scale_or_ctrnn_settings() -> None:
    from rnntool.errors import ConfigError

    with pytest.raises(ConfigError, match="cell 'gru' has no setting"):
        Network.initialise(preset_config("ctrnn", 1, 4, 1, cell="gru", alpha=0.5),
                           torch.Generator())
    with pytest.raises(ConfigError, match="Dale"):
        Network.initialise(preset_config("ctrnn", 1, 4, 1, cell="lstm", dale=0.8),
                           torch.Generator())
    net = Network.initialise(preset_config("mcmahan", 1, 4, 1, cell="gru"), torch.Generator())
    assert DynamicalSystem(net).alpha is None and net.config.phi == "tanh"


@pytest.mark.parametrize("phi", ["tanh", "relu", "softplus", "one_plus_tanh"])
@pytest.mark.parametrize("noise", ["inside", "outside"])
def test_rate_scan_backward_equals_autograd_through_steps(phi: str, noise: str) -> None:
    net = _net("rate", members=2, phi=phi, noise_rec=0.2, noise_in=0.1,
               cell_options={"noise": noise})
    gen = torch.Generator().manual_seed(4)
    drive = net.drive(torch.randn(3, 12, 3, dtype=torch.float64, generator=gen), gen)
    assert drive.shape[-1] == (14 if noise == "outside" else 7)
    drive = drive.clone().requires_grad_(True)
    x0 = net.initial_state(3, gen, std=0.5).clone().requires_grad_(True)
    w = net.trainable_parameters()[net.config.trainable.index("W_rec")]
    fused, _ = net.cell.unroll(net.params, x0, drive)
    x, ref = x0, []
    for d in drive.unbind(0):
        x = net.cell.driven_step(net.params, x, d)
        ref.append(x)
    ref = torch.stack(ref)
    torch.testing.assert_close(fused, ref, rtol=0, atol=1e-12)
    weight = torch.randn(fused.shape, dtype=torch.float64, generator=gen)
    got = torch.autograd.grad((fused * weight).sum() + fused.pow(3).sum(), (x0, drive, w))
    want = torch.autograd.grad((ref * weight).sum() + ref.pow(3).sum(), (x0, drive, w))
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
