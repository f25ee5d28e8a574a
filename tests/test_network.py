"""The network core: the fused scan equals repeated steps, gradients and Jacobians are exact."""

from __future__ import annotations

import pytest
import torch

from rnntool.network import CTRNN, NetworkConfig, preset_config
from rnntool.network import scan as scan_module
from rnntool.network.initialisation import spectral_radius
from rnntool.seeding import Seeds

CASES = [("mcmahan", {}), ("fullforce", {}), ("miconi", {}), ("ctrnn", {"phi": "softplus"}),
         ("ctrnn", {"phi": "relu"}), ("ctrnn", {"phi": "tanh", "readout": "x"})]


def _random_net(preset: str, members: int = 3, **kw) -> CTRNN:
    cfg = preset_config(preset, 3, 12, 2, dtype="float64", **kw)
    net = CTRNN.initialise(cfg, torch.Generator().manual_seed(0), members=members)
    gen = torch.Generator().manual_seed(1)
    net.params["W_rec"] = 0.4 * torch.randn(members, 12, 12, generator=gen, dtype=torch.float64)
    net.params["W_out"] = 0.4 * torch.randn(members, 2, 12, generator=gen, dtype=torch.float64)
    net.params["b"] = 0.1 * torch.randn(members, 12, generator=gen, dtype=torch.float64)
    return net


def _unrolled(net: CTRNN, u: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
    x, states = x0, []
    for t in range(u.shape[1]):
        x = net.step(x, u[:, t][None].expand(net.members, -1, -1))
        states.append(x)
    return torch.stack(states, 2)


@pytest.mark.parametrize("trainable", [None, ("W_rec",)])
@pytest.mark.parametrize("stored", ["sigmoid", "rates"])
@pytest.mark.parametrize("preset,kw", CASES)
def test_scan_matches_step_and_autograd(preset: str, kw: dict, stored: str, trainable,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # small steps store σ(2x), large ones the rates: both forms on the same small network;
    # W_rec alone trained: the backward keeps g_t in two rolling buffers, not the trajectory
    monkeypatch.setattr(scan_module, "RATES_FROM", 1 if stored == "rates" else 10 ** 9)
    if trainable is not None:
        kw = {**kw, "trainable": trainable}
    net = _random_net(preset, **kw)
    u = torch.randn(4, 9, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    x0 = net.initial_state(4, torch.Generator().manual_seed(3), std=0.5).clone().requires_grad_(True)
    params = net.trainable_parameters() + [x0]
    traj = net.simulate(u, x0)
    ref = _unrolled(net, u, x0)
    torch.testing.assert_close(traj.states, ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(traj.rates, net.rate(ref), rtol=0, atol=1e-12)
    loss = (traj.outputs ** 2).sum() + (traj.rates ** 3).sum() + traj.states.sin().sum()
    loss_ref = (net.output(ref) ** 2).sum() + (net.rate(ref) ** 3).sum() + ref.sin().sum()
    for got, want in zip(torch.autograd.grad(loss, params), torch.autograd.grad(loss_ref, params)):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("preset,kw", CASES)
def test_analytic_jacobians_equal_autograd(preset: str, kw: dict) -> None:
    net = _random_net(preset, members=2, **kw)
    x = torch.randn(2, 5, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    u = torch.randn(2, 5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    jx, ju = net.jacobian_state(x, u), net.jacobian_input(x, u)
    for k in range(2):
        for b in range(5):
            want_x = torch.autograd.functional.jacobian(
                lambda xx: net.member(k).step(xx[None, None], u[k, b][None, None])[0, 0], x[k, b])
            want_u = torch.autograd.functional.jacobian(
                lambda uu: net.member(k).step(x[k, b][None, None], uu[None, None])[0, 0], u[k, b])
            torch.testing.assert_close(jx[k, b], want_x, rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(ju[k, b], want_u, rtol=1e-12, atol=1e-12)


def test_members_are_independent_networks() -> None:
    """A K-member stack gives each member exactly what it gives alone."""
    net = _random_net("mcmahan", members=4)
    u = torch.randn(3, 6, 3, dtype=torch.float64)
    x0 = net.initial_state(3, torch.Generator().manual_seed(0), std=0.3)
    together = net.simulate(u, x0).outputs
    for k in range(4):
        alone = net.member(k).simulate(u, x0[k:k + 1]).outputs
        torch.testing.assert_close(together[k:k + 1], alone, rtol=0, atol=1e-13)


def test_clamped_units_stay_clamped() -> None:
    net = _random_net("miconi", members=1)
    traj = net.simulate(torch.randn(2, 20, 3, dtype=torch.float64), net.initial_state(2))
    torch.testing.assert_close(traj.states[..., [1, 10, 11]],
                               torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64).expand(1, 2, 20, 3))


def test_noise_follows_sqrt_two_over_alpha_convention() -> None:
    """With W = 0 and no input, x_t is an AR(1) process with innovation std α·√(2/α)·σ."""
    cfg = NetworkConfig(n_in=1, n_rec=200, alpha=0.2, noise_rec=0.3, phi="tanh", dtype="float64")
    net = CTRNN.initialise(cfg, torch.Generator().manual_seed(0))
    net.params["W_rec"].zero_()
    net.params["W_in"].zero_()
    x = net.simulate(torch.zeros(50, 400, 1), net.initial_state(50),
                     torch.Generator().manual_seed(1)).states[0, :, 200:]
    stationary = (0.2 * (2 / 0.2) ** 0.5 * 0.3) ** 2 / (1 - 0.8 ** 2)
    assert abs(float(x.var()) / stationary - 1) < 0.05


def test_same_seed_same_weights_and_spectral_init() -> None:
    cfg = preset_config("ctrnn", 2, 64, 1, init="spectral", g=0.9)
    a = CTRNN.initialise(cfg, Seeds(7).generator("init"))
    b = CTRNN.initialise(cfg, Seeds(7).generator("init"))
    c = CTRNN.initialise(cfg, Seeds(8).generator("init"))
    assert all(torch.equal(a.params[k], b.params[k]) for k in a.params)
    assert not torch.equal(a.params["W_rec"], c.params["W_rec"])
    assert spectral_radius(a.params["W_rec"][0]) == pytest.approx(0.9, rel=1e-4)


def test_mcmahan_initialisation_statistics() -> None:
    cfg = preset_config("mcmahan", 4, 50)
    net = CTRNN.initialise(cfg, torch.Generator().manual_seed(0), members=40)
    assert float(net.params["W_rec"].std()) == pytest.approx(1 / 50, rel=0.03)
    assert float(net.params["W_in"].std()) == pytest.approx(0.5, rel=0.05)
    assert float(net.params["W_out"].std()) == pytest.approx(0.1, rel=0.1)
    assert float(net.params["b"].abs().max()) == 0.0


@pytest.mark.parametrize("members", [1, 3])
@pytest.mark.parametrize("stored", ["sigmoid", "rates"])
@pytest.mark.parametrize("preset,kw", [c for c in CASES if c[1].get("readout") != "x"
                                       and c[0] != "mcmahan"])
def test_scan_gradients_when_the_loss_reads_no_state(preset: str, kw: dict, stored: str,
                                                     members: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # the readout reads rates and nothing reads x: the backward writes g_{t−1} instead of
    # accumulating into a zeroed trajectory (one member keeps the whole trajectory of g)
    monkeypatch.setattr(scan_module, "RATES_FROM", 1 if stored == "rates" else 10 ** 9)
    net = _random_net(preset, members=members, **kw)
    u = torch.randn(4, 9, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    x0 = net.initial_state(4, torch.Generator().manual_seed(3), std=0.5).clone().requires_grad_(True)
    params = net.trainable_parameters() + [x0]
    traj = net.simulate(u, x0)
    ref = _unrolled(net, u, x0)
    loss = (traj.outputs ** 2).sum() + (traj.outputs[:, :, -1] ** 3).sum()
    out_ref = net.output(ref, net.rate(ref))
    loss_ref = (out_ref ** 2).sum() + (out_ref[:, :, -1] ** 3).sum()
    for got, want in zip(torch.autograd.grad(loss, params), torch.autograd.grad(loss_ref, params)):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)
