"""Losses and regularisers: known values, zero weight is a no-op, non-zero changes gradients."""

from __future__ import annotations

import pytest
import torch

from rnntool.engine.losses import LOSSES, compute_loss
from rnntool.engine.regularisers import REGULARISERS, check_parameters, parse_regularisers, penalty
from rnntool.errors import ConfigError
from rnntool.network import CTRNN, preset_config
from rnntool.tasks import make_task
from rnntool.tasks.base import Batch


def _classification(k: int = 2) -> tuple[torch.Tensor, Batch]:
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn((k, 4, 5, 3), generator=gen)
    labels = torch.randint(0, 3, (4, 5), generator=gen)
    targets = torch.nn.functional.one_hot(labels, 3).float()
    mask = torch.zeros((4, 5, 3))
    mask[:, 2:] = 1.0
    return logits, Batch(torch.zeros((4, 5, 1)), targets, mask, {"labels": labels})


def test_classification_losses_match_their_definitions() -> None:
    task = make_task("cdi", steps=5)
    logits, batch = _classification()
    labels = batch.conditions["labels"][:, 2:].reshape(-1)
    for k in range(2):
        z = logits[k, :, 2:].reshape(-1, 3)
        ce = torch.nn.functional.cross_entropy(z, labels)
        p = torch.softmax(z, -1)[torch.arange(len(labels)), labels].mean()
        assert float(compute_loss("cross_entropy", task, logits, batch)[k]) == pytest.approx(float(ce), rel=1e-5)
        assert float(compute_loss("neg_p_correct", task, logits, batch)[k]) == pytest.approx(-float(p), rel=1e-5)
    soft = compute_loss("soft_cross_entropy", task, logits, batch)
    torch.testing.assert_close(soft, compute_loss("cross_entropy", task, logits, batch))
    teacher = Batch(batch.inputs, batch.targets, batch.mask, {"teacher_logits": logits[0] * 50})
    distil = compute_loss("soft_cross_entropy", task, logits, teacher)
    assert float(distil[0]) < float(distil[1])  # the student equal to the teacher's argmax fits best


def test_mse_variants_normalise_differently() -> None:
    task = make_task("cdi", steps=5)
    batch = task.sample(6, torch.Generator().manual_seed(1))
    outputs = torch.ones((1, 6, 5, 1))
    err = batch.mask * (1 - batch.targets) ** 2
    assert float(compute_loss("mse", task, outputs, batch)) == pytest.approx(float(err.sum() / batch.mask.sum()))
    assert float(compute_loss("mse_all", task, outputs, batch)) == pytest.approx(float(err.mean()))
    assert float(compute_loss("task", task, outputs, batch, "sum")) == pytest.approx(float(err.sum()))


def _net() -> CTRNN:
    cfg = preset_config("ctrnn", 2, 6, 2, trainable=("W_in", "W_rec", "W_out"))
    return CTRNN.initialise(cfg, torch.Generator().manual_seed(4), members=2)


def _grads(terms: str, net: CTRNN) -> list[torch.Tensor]:
    params = net.trainable_parameters()
    inputs = torch.randn((3, 7, 2), generator=torch.Generator().manual_seed(5))
    traj = net.simulate(inputs, net.initial_state(3, torch.Generator().manual_seed(6)))
    loss = (traj.outputs ** 2).mean(dim=(1, 2, 3))
    extra = penalty(parse_regularisers(terms), net, traj)
    total = loss if extra is None else loss + extra
    return list(torch.autograd.grad(total.sum(), params))


@pytest.mark.parametrize("name", sorted(REGULARISERS))
def test_each_regulariser_is_a_no_op_at_weight_zero_and_changes_gradients_otherwise(name: str) -> None:
    spec = f"{name}:W_in+W_rec+W_out" if name in ("l1", "l2") else name
    base = _grads("", _net())
    zero = _grads(f"{spec}=0", _net())
    on = _grads(f"{spec}=0.5", _net())
    for b, z in zip(base, zero):
        torch.testing.assert_close(b, z, rtol=0, atol=0)
    assert any(not torch.allclose(b, o) for b, o in zip(base, on))


def test_weight_penalties_act_on_the_named_weights_only() -> None:
    base, l2_rec = _grads("", _net()), _grads("l2:W_rec=1.0", _net())
    torch.testing.assert_close(base[0], l2_rec[0])  # W_in untouched
    net = _net()
    torch.testing.assert_close(l2_rec[1] - base[1], 2 * net.params["W_rec"])
    with pytest.raises(ConfigError):
        check_parameters(parse_regularisers("l2:weight=1"), tuple(net.params))
    with pytest.raises(ConfigError):
        parse_regularisers("nosuch=1")


def test_orthogonality_is_zero_for_orthogonal_input_and_output_vectors() -> None:
    net = _net()
    eye = torch.eye(6)
    net.params["W_in"] = eye[:, :2].expand(2, -1, -1).clone()
    net.params["W_out"] = eye[2:4].expand(2, -1, -1).clone()
    value = REGULARISERS["orthogonality"](net, None, ())
    torch.testing.assert_close(value, torch.zeros(2))
    net.params["W_out"] = eye[:2].expand(2, -1, -1).clone()
    assert float(REGULARISERS["orthogonality"](net, None, ())[0]) == pytest.approx(2.0)


def test_every_loss_is_registered() -> None:
    assert set(LOSSES) >= {"task", "mse", "mse_all", "cross_entropy", "neg_p_correct",
                           "soft_cross_entropy"}
