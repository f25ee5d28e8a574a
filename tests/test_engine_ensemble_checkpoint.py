"""Batched ensembles equal single runs; checkpoints resume bit-identically after SIGKILL."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import kill_after_new_checkpoint, run_cli, spawn_cli
from rnntool.engine.ensemble import train_ensemble
from rnntool.network import CTRNN
from rnntool.rules import BPTT
from rnntool.seeding import Seeds
from rnntool.storage import read_model
from rnntool.tasks import make_task
from rnntool.training import TrainSettings, network_for, train

SEEDS = [3, 4, 5]


@pytest.mark.parametrize(("network_noise", "threshold"), [
    ({}, 0.6), ({"noise_in": 0.02, "noise_rec": 0.05, "x0_std": 0.05}, 0.55)],
    ids=["noise-free", "network-noise"])
def test_ensemble_members_start_and_end_as_single_runs(network_noise: dict[str, float],
                                                       threshold: float) -> None:
    """Member k draws seed k's data, initial states and network noise (in training and in
    validation), so it ends as the single run with seed k."""
    task = make_task("cdi", steps=30, noise_std=0.1)
    rule = BPTT.create(task, lr=0.02, batch_size=16, max_iters=25)
    cfg = network_for(BPTT, task, 8, **network_noise)
    settings = TrainSettings(validation_trials=60, validate_from=0.0,
                             stop=(f"val_accuracy>={threshold} for 2",))
    records = train_ensemble([f"e{s}" for s in SEEDS], SEEDS, task, rule, cfg, settings)
    singles = [train(f"s{s}", task, rule, cfg, TrainSettings(**{**settings.__dict__, "seed": s}))
               for s in SEEDS]
    iterations = set()
    for s, ens, one in zip(SEEDS, records, singles):
        start = CTRNN.initialise(cfg, Seeds(s).generator("init")).to_numpy()
        assert ens.seed == s and one.seed == s
        assert ens.training["iterations"] == one.training["iterations"]
        iterations.add(ens.training["iterations"])
        assert ens.training["best_iteration"] == one.training["best_iteration"]
        for name in ens.weights:
            np.testing.assert_allclose(ens.weights[name], one.weights[name], rtol=1e-4, atol=1e-5)
        assert not np.array_equal(ens.weights["W_rec"], start["W_rec"])
        for key in ("loss", "val_accuracy", "val_mse", "train_accuracy"):
            np.testing.assert_allclose(ens.training["history"][key], one.training["history"][key],
                                       rtol=1e-4, atol=1e-5, equal_nan=True)
    assert len(iterations) > 1, "members should stop at different iterations in this test"


def test_cli_seeds_write_one_model_per_seed_and_a_group_file_svcca_reads(tmp_path: Path) -> None:
    result = run_cli("train", "ens", "--seeds", "1-3", "-v", "0.1", "--N", "2", "--task-opt",
                     "steps=30", "--n-rec", "8", "--validation-trials", "60", "--max-iters", "4",
                     "--opt", "batch_size=16", "--models-dir", str(tmp_path), "-q")
    assert result.returncode == 0, result.stderr
    written = result.stdout.split()
    assert written == [str(tmp_path / f"ens_s{s}.h5") for s in (1, 2, 3)] + [str(tmp_path / "ens.groups.txt")]
    assert [read_model(p).seed for p in written[:3]] == [1, 2, 3]
    svcca = run_cli("svcca", written[-1], "--models-dir", str(tmp_path), "-q")
    assert svcca.returncode == 0, svcca.stderr


TRAIN = ["train", "ck", "-v", "0.1", "--N", "2", "--task-opt", "steps=30", "--n-rec", "8",
         "--validation-trials", "50", "--opt", "batch_size=16", "--opt", "lr=0.01",
         "--max-iters", "400", "--validate-from", "0", "--stop", "val_accuracy>=0.99 for 50", "-q"]


def _spawn(folder: Path, *extra: str) -> subprocess.Popen:
    return spawn_cli(*TRAIN, "--models-dir", str(folder), "--checkpoint-every", "50", *extra)


def test_sigkill_twice_then_resume_is_bit_identical(tmp_path: Path) -> None:
    plain, killed = tmp_path / "plain", tmp_path / "killed"
    ref = run_cli(*TRAIN, "--models-dir", str(plain))
    assert ref.returncode == 0, ref.stderr
    ckpt = killed / "ck.ckpt.h5"
    kill_after_new_checkpoint(_spawn(killed, "--resume"), ckpt, settle=0.3)
    kill_after_new_checkpoint(_spawn(killed, "--resume"), ckpt, settle=0.3)
    assert not (killed / "ck.h5").exists()
    final = _spawn(killed, "--resume")
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()
    a, b = read_model(plain / "ck.h5"), read_model(killed / "ck.h5")
    for name in a.weights:
        assert np.array_equal(a.weights[name], b.weights[name]), name
    history_a, history_b = a.training["history"], b.training["history"]
    assert set(history_a) == set(history_b)
    for key in history_a:
        if key != "seconds":
            assert np.array_equal(history_a[key], history_b[key], equal_nan=True), key
    assert a.training["iterations"] == b.training["iterations"] > 100
    assert not ckpt.exists()  # removed once the model is written


def test_resume_takes_a_new_budget_and_ends_as_a_run_with_that_budget(tmp_path: Path) -> None:
    """--max-iters on --resume is the new budget: longer ends bit-identical to an uninterrupted
    run with it; one already passed ends the run (best network kept) after one more step."""
    plain, killed = tmp_path / "plain", tmp_path / "killed"
    budget = ["--max-iters", "200"]
    ref = run_cli(*TRAIN, "--models-dir", str(plain), *budget)
    assert ref.returncode == 0, ref.stderr
    ckpt = killed / "ck.ckpt.h5"
    kill_after_new_checkpoint(_spawn(killed, "--max-iters", "5000"), ckpt, settle=0.1)
    longer = run_cli(*TRAIN, "--models-dir", str(killed), "--resume", *budget)
    assert longer.returncode == 0, longer.stderr
    a, b = read_model(plain / "ck.h5"), read_model(killed / "ck.h5")
    assert a.training["stopped_by"] == b.training["stopped_by"] == "iterations 200"
    for name in a.weights:
        assert np.array_equal(a.weights[name], b.weights[name]), name
    shorter = tmp_path / "shorter"
    kill_after_new_checkpoint(_spawn(shorter, "--max-iters", "5000"), shorter / "ck.ckpt.h5", settle=0.1)
    done = run_cli(*TRAIN, "--models-dir", str(shorter), "--resume", "--max-iters", "10")
    assert done.returncode == 0, done.stderr
    record = read_model(shorter / "ck.h5")
    assert record.training["stopped_by"] == "iterations 10" and record.training["iterations"] % 50 == 1


def test_a_budget_shaped_schedule_keeps_its_budget_on_resume() -> None:
    from rnntool.cli.train import resumed_budget
    from rnntool.errors import ConfigError

    assert resumed_budget({"schedule": "step:100:0.5", "max_iters": 400}, 900) == 900
    assert resumed_budget({"schedule": "cosine", "max_iters": 400}, 400) == 400
    with pytest.raises(ConfigError, match="cosine"):
        resumed_budget({"schedule": "cosine", "max_iters": 400}, 900)
