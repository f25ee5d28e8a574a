"""Weight constraints: Dale's law, non-negative weights, no self-connections, fixed masks —
the same for every rule, stored in the model file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rnntool.errors import ConfigError
from rnntool.models import load_model
from rnntool.network import Network, preset_config
from rnntool.network.constraints import dale_signs
from rnntool.rules import BPTT, GeneticAlgorithm, get_rule
from rnntool.storage import read_model, write_model
from rnntool.tasks import make_task
from rnntool.training import TrainSettings, network_for, train


def _config(**kw):
    return preset_config("ctrnn", 2, 20, 1, cell="rate", phi="relu", **kw)


def test_dale_initialisation_follows_the_engellab_recipe() -> None:
    net = Network.initialise(_config(dale=0.8, g=1.2), torch.Generator().manual_seed(0))
    w = net.params["W_rec"][0]
    signs = dale_signs(net.config)
    assert int((signs > 0).sum()) == 16
    assert ((w * signs) >= 0).all() and torch.all(torch.diagonal(w) == 0)
    assert float(torch.linalg.eigvals(w.double()).abs().max()) == pytest.approx(1.2)
    inhibitory = -w[:, 16:].sum() / (4 * 19)
    excitatory = w[:, :16].sum() / (16 * 19)
    assert 2.5 < float(inhibitory / excitatory) < 5.5  # I means 4/√N, E means 1/√N
    assert (net.params["W_out"] < 0).any()  # Dale's law leaves the readout signed
    both = Network.initialise(_config(dale=0.8, nonnegative=("W_in", "W_out")), torch.Generator())
    assert (both.params["W_in"] >= 0).all() and (both.params["W_out"] >= 0).all()


def test_gradient_rules_differentiate_through_the_constraints() -> None:
    cfg = _config(dale=0.5, self_connections=False, mask="blocks:2", trainable=("W_rec",))
    net = Network.initialise(cfg, torch.Generator().manual_seed(1), members=2)
    w = net.trainable_parameters()[0]
    with torch.no_grad():  # break the constraints in the raw weights
        w.add_(torch.randn(w.shape, generator=torch.Generator().manual_seed(2)))
    out = net.simulate(torch.randn(3, 8, 2), net.initial_state(3)).outputs
    (grad,) = torch.autograd.grad(out.square().sum(), w)
    mask = net.params["mask_rec"] * (1 - torch.eye(20))
    assert torch.all(grad[mask.expand_as(grad) == 0] == 0)  # masked entries get no gradient
    assert torch.all(grad[(w * dale_signs(cfg, w.dtype)) < 0] == 0)  # wrong-signed ones neither
    net.project()
    assert net.constraints.violations(net.params) == {"dale": 0, "mask": 0}


def test_a_weight_the_projection_holds_at_zero_can_grow_again() -> None:
    """Projected gradient descent: zero is the boundary of the constraint, not a trap."""
    cfg = _config(dale=0.8, nonnegative=("W_in", "W_out"), trainable=("W_rec", "W_out"))
    net = Network.initialise(cfg, torch.Generator().manual_seed(3))
    net.trainable_parameters()  # the trained weights now require gradients
    w_rec, w_out = net.params["W_rec"], net.params["W_out"]
    with torch.no_grad():
        w_out[..., :10] = 0.0  # half the readout, silenced by the projection
        w_rec[..., :16] = 0.0  # every excitatory connection at the boundary
    u = torch.ones(4, 30, 2)
    out = net.simulate(u, net.initial_state(4)).outputs  # the states are rates ≥ 0
    grad_rec, grad_out = torch.autograd.grad(-out.sum(), [w_rec, w_out])
    assert (grad_out[..., :10] < 0).any()  # more readout would lower the loss, and the gradient says so
    off_diagonal = ~torch.eye(20, dtype=torch.bool)[None]
    assert (grad_rec[..., :16][off_diagonal[..., :16]] != 0).any()
    with torch.no_grad():
        w_out.sub_(0.1 * grad_out)
        w_rec.sub_(0.1 * grad_rec)
    net.project()
    assert (net.params["W_out"][..., :10] > 0).any() and (net.params["W_rec"][..., :16] > 0).any()
    assert not any(net.constraints.violations(net.params).values())


@pytest.mark.parametrize("spec,check", [
    ("blocks:4", lambda m: m.sum() == 4 * 5 * 5 and m[0, 5] == 0 and m[19, 15] == 1),
    ("random:0.25", lambda m: 0.1 < m.mean() < 0.4),
])
def test_masks_are_drawn_once_and_stored(spec, check, tmp_path: Path) -> None:
    task = make_task("flipflop", bits=1, steps=20)
    rule = BPTT.create(task, batch_size=8, max_iters=2, lr=0.05)
    cfg = network_for(BPTT, task, 20, mask=spec, cell="rate")
    record = train("m", task, rule, cfg, TrainSettings(seed=0, validation_trials=20))
    mask = record.weights["mask_rec"]
    assert check(mask)
    assert np.all(record.weights["W_rec"][mask == 0] == 0)
    path = write_model(tmp_path / "m.h5", record)
    again = load_model(path).network
    assert np.array_equal(again.params["mask_rec"][0].numpy(), mask)


def test_a_mask_file_must_match_the_network(tmp_path: Path) -> None:
    np.save(tmp_path / "bad.npy", np.ones((3, 3)))
    with pytest.raises(ConfigError, match="20×20"):
        Network.initialise(_config(mask=str(tmp_path / "bad.npy")), torch.Generator())
    good = np.tril(np.ones((20, 20)))
    np.save(tmp_path / "good.npy", good)
    net = Network.initialise(_config(mask=str(tmp_path / "good.npy")), torch.Generator())
    assert torch.all(net.params["W_rec"][0][torch.as_tensor(good) == 0] == 0)
    with pytest.raises(ConfigError, match="blocks:K"):
        Network.initialise(_config(mask="stripes"), torch.Generator())


@pytest.mark.parametrize("rule,options", [
    ("bptt", {"batch_size": 16, "lr": 0.05, "max_iters": 5}),
    ("ga", {"population": 6, "elite": 2, "sigma": 0.2, "batch_size": 16, "max_iters": 4}),
    ("force", {"update_from": 5, "max_iters": 3}),
    ("ff", {"update_from": 5, "max_iters": 3}),
    ("hebb", {"batch_size": 8, "warmup_trials": 0, "eta": 100.0, "max_dw": 0.5,
              "reward_window": 5, "max_iters": 3}),
])
def test_every_rule_keeps_every_sign_and_mask(rule: str, options: dict) -> None:
    task = make_task("rdm", steps=20, noise_std=0.1)
    cls = get_rule(rule)
    cell = "rate" if cls.name in ("bptt", "ga") else "ctrnn"
    cfg = network_for(cls, task, 12, cell=cell, dale=0.75, self_connections=False,
                      mask="random:0.5", nonnegative=("W_in", "W_out"),
                      **({"phi": "relu"} if cell == "rate" else {}))
    record = train("c", task, cls.create(task, **options), cfg,
                   TrainSettings(seed=0, validation_trials=20, validate_from=0.0))
    net = Network.from_numpy(cfg, record.weights)
    assert net.constraints.violations(net.params) == {
        "dale": 0, "mask": 0, "W_in": 0, "W_out": 0}
    assert np.all(np.diag(record.weights["W_rec"]) == 0)
