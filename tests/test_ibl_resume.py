"""Closed-loop training checkpoints: a real subprocess SIGKILLed and resumed ends bit-identical,
and the hidden-state PC variance fractions logged during training are a true PCA."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import kill_after_new_checkpoint, spawn_cli
from rnntool.cli.main import main
from rnntool.engine.checkpoint import read_checkpoint
from rnntool.envs.training import TIMING_KEYS, hidden_variance_fractions
from rnntool.storage import read_model

TRAIN = ["train", "ck", "--task", "ibl", "--task-opt", "blocks_per_session=1",
         "--task-opt", "max_block_trials=22", "--n-rec", "5", "--opt", "sessions=2",
         "--opt", "truncate=30", "--opt", "log_every=1", "--max-iters", "60", "--seed", "4", "-q"]


def _spawn(folder: Path, *extra: str) -> subprocess.Popen:
    return spawn_cli(*TRAIN, "--models-dir", str(folder), "--checkpoint-every", "4", *extra)


def test_closed_loop_sigkill_twice_then_resume_is_bit_identical(tmp_path: Path, capsys) -> None:
    plain, killed = tmp_path / "plain", tmp_path / "killed"
    with pytest.raises(SystemExit) as done:
        main([*TRAIN, "--models-dir", str(plain)])
    assert done.value.code == 0, capsys.readouterr().err
    ckpt = killed / "ck.ckpt.h5"
    reached = []
    for _ in range(2):
        kill_after_new_checkpoint(_spawn(killed, "--resume"), ckpt, settle=0.05)
        reached.append(int(read_checkpoint(ckpt)["monitor"]["iteration"]))
    assert 0 < reached[0] < reached[1] < 60  # the second run went on from the first's checkpoint
    assert not (killed / "ck.h5").exists()
    final = _spawn(killed, "--resume")
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()
    a, b = read_model(plain / "ck.h5"), read_model(killed / "ck.h5")
    assert set(a.weights) == set(b.weights)
    for name in a.weights:
        assert np.array_equal(a.weights[name], b.weights[name]), name
    history_a, history_b = a.training["history"], b.training["history"]
    assert set(history_a) == set(history_b) and len(history_a["objective"]) == 60
    for key in set(history_a) - set(TIMING_KEYS):
        assert np.array_equal(history_a[key], history_b[key], equal_nan=True), key
    assert a.rule == b.rule and a.task == b.task
    assert not ckpt.exists()  # removed once the model is written


def test_resume_without_a_checkpoint_trains_from_scratch(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main([*TRAIN, "--max-iters", "3", "--resume", "--models-dir", str(tmp_path)])
    assert done.value.code == 0, capsys.readouterr().err
    assert read_model(tmp_path / "ck.h5").training["iterations"] == 3
    assert not (tmp_path / "ck.ckpt.h5").exists()


def test_hidden_variance_fractions_are_the_pca_spectrum() -> None:
    g = torch.Generator().manual_seed(0)
    basis, _ = torch.linalg.qr(torch.randn(6, 6, generator=g, dtype=torch.float64))
    scales = torch.tensor([5.0, 3.0, 2.0, 1.0, 0.5, 0.1], dtype=torch.float64)
    h = (torch.randn(400, 6, generator=g, dtype=torch.float64) * scales) @ basis.T
    active = torch.ones(400, dtype=torch.bool)
    active[::7] = False  # inactive steps are left out
    got = hidden_variance_fractions(h.reshape(40, 10, 6), active.reshape(40, 10))
    kept = h[active] - h[active].mean(0)
    s = np.linalg.svd(kept.numpy(), compute_uv=False) ** 2
    np.testing.assert_allclose(got, (s / s.sum())[:4], rtol=1e-10)
    assert got[0] > got[1] > got[2] > got[3]
    two = hidden_variance_fractions(h[:, :2].reshape(40, 10, 2), torch.ones(40, 10, dtype=torch.bool))
    assert two[:2].sum() == pytest.approx(1.0) and np.isnan(two[2:]).all()
