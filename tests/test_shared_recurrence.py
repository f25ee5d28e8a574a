"""The shared-G fast path: one product per step for members sharing a frozen W_rec."""

from __future__ import annotations

import pytest
import torch

from rnntool.errors import ConfigError
from rnntool.network import Network
from rnntool.network.config import preset_config
from rnntool.network.shared_recurrence import (declares_shared_recurrence,
                                               refuse_changes_to_shared, uses_shared_recurrence)


def _system_a(n: int = 12, dtype: str = "float64"):
    return preset_config("system-a", n_in=1, n_rec=n, alpha=0.1, dtype=dtype)


def _pulse_inputs(batch: int, steps: int) -> torch.Tensor:
    u = torch.zeros(batch, steps, 1, dtype=torch.float64)
    for i in range(batch):
        u[i, 3 + i:6 + 2 * i, 0] = 2.0
    return u


def _loss_and_grads(net: Network, inputs: torch.Tensor, weights: torch.Tensor):
    params = net.trainable_parameters()
    x_init = net.initial_state(inputs.shape[0])
    traj = net.simulate(inputs, x_init)
    loss = (weights * traj.outputs ** 2).sum() + (weights * traj.rates).sum()
    loss.backward()
    return traj, {n: p.grad for n, p in zip(net.config.trainable, params)}


def test_shared_path_equals_the_generic_one_forward_and_gradients() -> None:
    cfg = _system_a()
    net = Network.initialise(cfg, torch.Generator().manual_seed(3), members=4)
    # the same weights under a configuration that does not declare W_rec shared
    generic = Network(cfg.with_(cell_options={}), {k: v.clone() for k, v in net.params.items()})
    assert uses_shared_recurrence(net.config, net.params["W_rec"])
    assert not uses_shared_recurrence(generic.config, generic.params["W_rec"])
    inputs = _pulse_inputs(5, 30)
    weights = torch.randn(4, 5, 30, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    fast, fast_grads = _loss_and_grads(net, inputs, weights)
    slow, slow_grads = _loss_and_grads(generic, inputs, weights)
    torch.testing.assert_close(fast.states, slow.states, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(fast.outputs, slow.outputs, rtol=1e-12, atol=1e-12)
    assert set(fast_grads) == {"W_in", "W_out"}
    for name in fast_grads:
        assert fast_grads[name].abs().max() > 0
        torch.testing.assert_close(fast_grads[name], slow_grads[name], rtol=1e-10, atol=1e-12)


def test_each_member_of_the_shared_stack_is_its_own_single_network() -> None:
    net = Network.initialise(_system_a(), torch.Generator().manual_seed(4), members=3)
    inputs = _pulse_inputs(2, 25)
    stacked = net.simulate(inputs, net.initial_state(2)).outputs
    for k in range(3):
        single = net.member(k)
        assert not uses_shared_recurrence(single.config, single.params["W_rec"])  # K = 1
        torch.testing.assert_close(single.simulate(inputs, single.initial_state(2)).outputs[0],
                                   stacked[k], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("changes", [{"trainable": ("W_in", "W_rec", "W_out")},
                                     {"cell_options": {}}, {"mask": "random:0.5"},
                                     {"dale": 0.8}])
def test_anything_that_can_make_members_differ_takes_the_generic_path(changes: dict) -> None:
    assert declares_shared_recurrence(_system_a())
    assert not declares_shared_recurrence(_system_a().with_(**changes))


def test_a_w_rec_asking_for_gradients_is_never_folded() -> None:
    net = Network.initialise(_system_a(), torch.Generator().manual_seed(1), members=2)
    assert not uses_shared_recurrence(net.config, net.params["W_rec"].requires_grad_(True))


def test_changing_a_shared_w_rec_is_refused() -> None:
    refuse_changes_to_shared(_system_a(), ("W_in", "W_out"))
    with pytest.raises(ConfigError, match="frozen and shared"):
        refuse_changes_to_shared(_system_a(), ("W_rec", "W_out"))
    refuse_changes_to_shared(preset_config("mcmahan", n_in=1, n_rec=4), ("W_rec",))

