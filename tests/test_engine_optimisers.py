"""Optimisers, schedules, per-member clipping and TensorBoard output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rnntool.engine.optimisers import Schedule, build_optimiser, clip_per_member
from rnntool.engine.tensorboard_log import TensorBoardLogger
from rnntool.errors import ConfigError
from rnntool.rules import BPTT
from rnntool.tasks import make_task
from rnntool.training import TrainSettings, network_for, train


def test_clipping_is_per_member_and_matches_torch_for_one_member() -> None:
    a = torch.zeros((2, 3), requires_grad=True)
    b = torch.zeros((2, 4), requires_grad=True)
    a.grad = torch.tensor([[3.0, 0, 0], [0.1, 0, 0]])
    b.grad = torch.tensor([[4.0, 0, 0, 0], [0, 0, 0, 0]])
    norms = clip_per_member([a, b], 1.0)
    np.testing.assert_allclose(norms, [5.0, 0.1], rtol=1e-6)
    torch.testing.assert_close(a.grad[1], torch.tensor([0.1, 0, 0]))  # small member untouched
    assert float(torch.cat([a.grad[0], b.grad[0]]).norm()) == pytest.approx(1.0, rel=1e-5)
    p = torch.zeros((1, 5), requires_grad=True)
    q = torch.zeros((1, 5), requires_grad=True)
    p.grad = q.grad = None
    p.grad = torch.arange(5.0)[None]
    q.grad = p.grad.clone()
    clip_per_member([p], 2.0)
    torch.nn.utils.clip_grad_norm_([q], 2.0)
    torch.testing.assert_close(p.grad, q.grad)


def test_optimisers_and_schedules_by_name() -> None:
    p = torch.ones(3, requires_grad=True)
    sgd = build_optimiser([p], "sgd", 0.1, weight_decay=0.5, momentum=0.9)
    assert sgd.param_groups[0]["momentum"] == 0.9 and sgd.param_groups[0]["weight_decay"] == 0.5
    assert isinstance(build_optimiser([p], "adamw", 0.1, 0.01), torch.optim.AdamW)
    step = Schedule(sgd, "step:2:0.5", 10)
    lrs = []
    for _ in range(4):
        sgd.step()
        lrs.append(step.lr)
        step.step(1.0)
    assert lrs == pytest.approx([0.1, 0.1, 0.05, 0.05])
    opt = build_optimiser([p], "adam", 1.0)
    cosine = Schedule(opt, "cosine", 4)
    for _ in range(4):
        opt.step()
        cosine.step(0.0)
    assert cosine.lr == pytest.approx(0.0, abs=1e-12)
    for bad in ("step:0:0.5", "plateau:3:2", "linear", "cosine:3"):
        with pytest.raises(ConfigError):
            Schedule(opt, bad, 4)
    with pytest.raises(ConfigError):
        build_optimiser([p], "lbfgs", 0.1)


def test_bptt_with_sgd_weight_decay_and_clipping_records_lr_and_grad_norm() -> None:
    task = make_task("cdi", steps=20, noise_std=0.1)
    rule = BPTT.create(task, optimizer="sgd", momentum=0.9, weight_decay=1e-5, clip=1.0,
                       lr=1e-3, batch_size=8, max_iters=6, schedule="step:3:0.1")
    record = train("x", task, rule, network_for(BPTT, task, 8),
                   TrainSettings(validation_trials=40, stop=()))
    h = record.training["history"]
    assert h["lr"] == pytest.approx([1e-3] * 3 + [1e-4] * 3)
    assert np.all(h["grad_norm"] > 0) and len(h["grad_norm"]) == 6


def test_tensorboard_writes_every_scalar(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logger = TensorBoardLogger(tmp_path, members=2)
    for it in (1, 2):
        logger.log(1, it, {"loss": 1.0 / it, "val_mse": float("nan") if it == 1 else 0.3,
                           "iteration": it, "seconds": 0.1})
    logger.close()
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"loss/member1", "val_mse/member1", "iterations_per_s/member1"} <= tags
    assert [e.value for e in events.Scalars("loss/member1")] == pytest.approx([1.0, 0.5])
    assert [e.step for e in events.Scalars("val_mse/member1")] == [2]


def test_missing_tensorboard_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ConfigError, match="pip install 'rnntool\\[tensorboard\\]'"):
        TensorBoardLogger("unused")
