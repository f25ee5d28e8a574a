"""The forward-only run (:mod:`rnntool.network.forward_scan`) against the full scan."""

from __future__ import annotations

import pytest
import torch

from rnntool.network import Network, preset_config
from rnntool.network.shared_recurrence import uses_shared_recurrence


def _net(phi: str, members: int = 3, **kw) -> Network:
    cfg = preset_config("ctrnn", 2, 9, 1, dtype="float64", phi=phi, **kw)
    net = Network.initialise(cfg, torch.Generator().manual_seed(0), members=members)
    gen = torch.Generator().manual_seed(1)
    shared = "cell_options" in kw
    for name, value in net.params.items():  # non-trivial values (a shared W_rec stays shared)
        if not (shared and name == "W_rec"):
            net.params[name] = value + 0.3 * torch.randn(value.shape, generator=gen,
                                                         dtype=value.dtype)
    return net


def _check(net: Network, steps: int = 13) -> None:
    gen = torch.Generator().manual_seed(2)
    u = torch.randn(4, steps, 2, dtype=torch.float64, generator=gen)
    x0 = net.initial_state(4, gen, std=0.8)
    drive = net.drive(u)
    xs, rs = net.unroll(x0, drive)
    ends = net.cell.advance(net.effective(), net.clamp(x0), drive)
    for got, want in zip(ends, (xs[0], rs[0], xs[-1], rs[-1])):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("phi", ["tanh", "one_plus_tanh", "relu", "softplus", "linear"])
def test_first_and_last_state_and_rate_equal_the_full_scan(phi: str) -> None:
    _check(_net(phi))


@pytest.mark.parametrize("phi", ["tanh", "relu"])
def test_clamped_units_stay_clamped(phi: str) -> None:
    net = _net(phi, clamp_units=(0, 4), clamp_values=(0.5, -0.25))
    _check(net)
    x0 = net.initial_state(4, torch.Generator().manual_seed(3), std=0.8)
    drive = net.drive(torch.randn(4, 5, 2, dtype=torch.float64))
    last = net.cell.advance(net.effective(), net.clamp(x0), drive).last_state
    torch.testing.assert_close(last[..., [0, 4]],
                               torch.tensor([0.5, -0.25], dtype=torch.float64).expand(3, 4, 2))


def test_a_shared_frozen_w_rec_runs_as_one_member_with_every_trial() -> None:
    net = _net("tanh", members=4, cell_options={"rec_seed": 7}, trainable=("W_in", "W_out"))
    for p in net.params.values():
        p.requires_grad_(False)
    assert uses_shared_recurrence(net.config, net.params["W_rec"])
    _check(net)
