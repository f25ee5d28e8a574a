"""Ensembles trained in memory-sized chunks: the plan, its errors, and results equal to one pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import invoke

from rnntool.engine import chunking
from rnntool.engine.chunking import (ACTIVATION_COPIES, MEMORY_SHARE, activation_bytes,
                                     plan_chunks, plan_training, train_chunks)
from rnntool.engine.ensemble import train_ensemble
from rnntool.errors import ConfigError
from rnntool.rules import BPTT, get_rule
from rnntool.storage import read_model
from rnntool.tasks import make_task
from rnntool.training import TrainSettings, network_for

GIB = 2 ** 30


def test_the_estimate_is_the_activations_of_one_member_at_the_system_a_size() -> None:
    task = make_task("duration")  # dt = 1 ms: T = 7000
    rule = BPTT.create(task)
    cfg = network_for(BPTT, task)
    assert (task.n_steps, rule.batch_size, cfg.n_rec) == (7000, 32, 500)
    assert activation_bytes(task, rule, cfg) == ACTIVATION_COPIES * 7000 * 32 * 500 * 4
    assert activation_bytes(task, rule, cfg.with_(dtype="float64")) == \
        2 * activation_bytes(task, rule, cfg)
    assert activation_bytes(task, get_rule("force").create(task), cfg) is None  # no unrolled trial


def test_plan_uses_the_fewest_even_passes_that_fit() -> None:
    assert plan_chunks(20, 3 * GIB, int(100 * GIB)).sizes == (20,)
    # 16 GiB available, 75 % usable = 12 GiB: 4 members of 3 GiB per pass
    plan = plan_chunks(20, 3 * GIB, 16 * GIB)
    assert plan.sizes == (4,) * 5 and not plan.explicit
    assert "20 members in 5 batched passes of 4" in plan.describe()
    assert plan_chunks(9, 3 * GIB, 16 * GIB).sizes == (3, 3, 3)  # not 4, 4, 1
    assert plan_chunks(20, 3 * GIB, 16 * GIB, chunk_size=6).sizes == (5, 5, 5, 5)
    assert plan_chunks(3, None, None).sizes == (3,)  # nothing to estimate: one pass
    assert plan_chunks(3, 3 * GIB, None).sizes == (3,)  # memory unknown: one pass


def test_a_member_that_cannot_fit_is_refused_before_any_work() -> None:
    per_member = 4 * GIB
    with pytest.raises(ConfigError, match="one member of big needs ~4 GiB"):
        plan_chunks(20, per_member, int(per_member / MEMORY_SHARE) - 1, what="one member of big")
    assert plan_chunks(1, per_member, int(per_member / MEMORY_SHARE) + 1).sizes == (1,)
    with pytest.raises(ConfigError, match="at least 1"):
        plan_chunks(4, None, None, chunk_size=0)


def _tiny() -> tuple:
    task = make_task("duration", dt=50.0, train_trials=40)
    rule = BPTT.create(task, max_iters=6, batch_size=8)
    settings = TrainSettings(validation_trials=20, validate_every=2, validate_from=0.0)
    return task, rule, network_for(BPTT, task, 16), settings


@pytest.mark.parametrize("shared", [True, False])
def test_chunked_ensemble_equals_one_pass(shared: bool) -> None:
    """Same names, seeds, G, weights and histories; equal to float32 rounding only, because
    the W_in gradient's sum over steps is ordered by the pass's member count (measured: most
    members bit-identical after 150 updates, the others within 2e-6 relative)."""
    task, rule, cfg, settings = _tiny()
    if not shared:  # the generic K-product path (G not declared shared)
        cfg = cfg.with_(cell_options={})
    names, seeds = [f"m{i}" for i in range(5)], [3, 4, 5, 6, 7]
    whole = train_ensemble(names, seeds, task, rule, cfg, settings)
    plan = plan_chunks(5, None, None, chunk_size=3)
    assert plan.sizes == (3, 2)
    parts = list(train_chunks(names, seeds, task, rule, cfg, settings, plan))
    assert [len(p) for p in parts] == [3, 2]
    for a, b in zip(whole, [r for p in parts for r in p]):
        assert (a.name, a.seed) == (b.name, b.seed)
        for key in a.weights:
            assert np.allclose(a.weights[key], b.weights[key], rtol=1e-5, atol=1e-7), key
        for key in ("loss", "val_mse", "train_accuracy"):
            assert np.allclose(a.training["history"][key], b.training["history"][key],
                               rtol=1e-5, equal_nan=True), key
    w_rec = [r.weights["W_rec"] for p in parts for r in p]
    assert all(np.array_equal(w_rec[0], w) for w in w_rec) == shared  # one G across chunks
    others = train_ensemble(names[:2], [8, 9], task, rule, cfg, settings)
    assert not np.allclose(others[0].weights["W_in"], whole[0].weights["W_in"])  # seeds matter


def test_train_chunks_refuses_checkpoints_across_passes(tmp_path: Path) -> None:
    from rnntool.engine.checkpoint import Checkpointer

    task, rule, cfg, settings = _tiny()
    plan = plan_chunks(4, None, None, chunk_size=2)
    with pytest.raises(ConfigError, match="2 batched passes"):
        next(train_chunks(["a", "b", "c", "d"], [1, 2, 3, 4], task, rule, cfg, settings, plan,
                          checkpointer=Checkpointer(tmp_path / "x.ckpt.h5", 5)))


TINY = ("--task", "duration", "--dt", "50", "--n-rec", "16", "--max-iters", "4",
        "--opt", "batch_size=8", "--task-opt", "train_trials=40", "--validation-trials", "20")


def test_cli_chunked_run_logs_its_plan_and_writes_what_one_pass_writes(
        capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    code, out, err = invoke(capsys, "train", "whole", "--seeds", "1-4", *TINY,
                            "--models-dir", str(tmp_path))
    assert code == 0, err
    assert "4 members in one batched pass" in err
    code, out, err = invoke(capsys, "train", "parts", "--seeds", "1-4", "--chunk-size", "2",
                            *TINY, "--models-dir", str(tmp_path))
    assert code == 0, err
    assert "4 members in 2 batched passes of 2 (--chunk-size" in err
    written = out.split()
    assert written[-1].endswith("parts.groups.txt") and len(written) == 5
    for s in range(1, 5):
        a, b = read_model(tmp_path / f"whole_s{s}.h5"), read_model(tmp_path / f"parts_s{s}.h5")
        assert b.seed == s
        for key in a.weights:
            assert np.allclose(a.weights[key], b.weights[key], rtol=1e-5, atol=1e-7), (s, key)


def test_cli_refuses_a_member_too_large_and_checkpoints_across_passes(
        capsys: pytest.CaptureFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunking, "available_bytes", lambda device="cpu": 10 * 2 ** 20)
    code, out, err = invoke(capsys, "train", "sysA", "--task", "duration", "--seeds", "1-20",
                            "--models-dir", str(tmp_path))
    assert code == 2 and out == ""
    assert "one member of sysA needs ~3.55 GiB" in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())
    monkeypatch.undo()
    code, out, err = invoke(capsys, "train", "ck", "--seeds", "1-4", "--chunk-size", "2", *TINY,
                            "--checkpoint-every", "2", "--models-dir", str(tmp_path))
    assert code == 2 and "2 batched passes" in err
    assert not list(tmp_path.iterdir())


def test_plan_training_checks_one_member_of_single_runs_too(
        monkeypatch: pytest.MonkeyPatch) -> None:
    task = make_task("duration")
    rule, cfg = BPTT.create(task), network_for(BPTT, task)
    monkeypatch.setattr(chunking, "available_bytes", lambda device="cpu": GIB)
    with pytest.raises(ConfigError, match="coarser --dt"):
        plan_training(task, rule, cfg, 1, label="one")
