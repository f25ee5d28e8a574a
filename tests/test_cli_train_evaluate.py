"""End to end through the command line: train, evaluate, pipelines and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import TINY_TASK, run_cli
from rnntool.storage import read_model


def test_tiny_model_learns_above_chance(trained_tiny: Path) -> None:
    record = read_model(trained_tiny)
    assert record.rule["name"] == "bptt" and record.network["preset"] == "mcmahan"
    assert record.network["trainable"] == ["W_rec"] and record.task["contexts"] == 2
    assert record.training["best_val_accuracy"] > 0.7
    assert len(record.training["history"]["loss"]) == record.training["iterations"]


def test_evaluate_stores_accuracy_and_psychometric_table(trained_tiny: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.h5"
    copy.write_bytes(trained_tiny.read_bytes())
    result = run_cli("evaluate", str(copy), "--trials", "200", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["paths"] == [str(copy)]
    ev = read_model(copy).evaluation
    assert ev["accuracy"] == pytest.approx(summary["results"][0]["accuracy"]) and ev["accuracy"] > 0.6
    curve = ev["psychometric"]["fraction_positive"]
    assert curve.shape == (2, 8)
    assert curve[0, -1] > curve[0, 0]  # the in-context curve rises with coherence
    assert "P(choice > 0)" in result.stderr


def test_same_seed_gives_bit_identical_weights(tmp_path: Path) -> None:
    args = ["--N", "2", *TINY_TASK, "--max-iters", "3", "--opt", "batch_size=16",
            "--models-dir", str(tmp_path), "-q", "--seed", "5"]
    assert run_cli("train", "bptt_a", *args).returncode == 0
    assert run_cli("train", "bptt_b", *args).returncode == 0
    a, b = read_model(tmp_path / "bptt_a.h5"), read_model(tmp_path / "bptt_b.h5")
    assert all(np.array_equal(a.weights[k], b.weights[k]) for k in a.weights)
    assert run_cli("train", "bptt_c", *args[:-1], "6").returncode == 0
    assert not np.array_equal(read_model(tmp_path / "bptt_c.h5").weights["W_rec"], a.weights["W_rec"])


def test_stdout_carries_only_paths_and_pipes_into_evaluate(tmp_path: Path) -> None:
    train = run_cli("train", "bptt_p", "bptt_q", "--N", "2", *TINY_TASK, "--max-iters", "2",
                    "--opt", "batch_size=8", "--models-dir", str(tmp_path))
    assert train.returncode == 0, train.stderr
    paths = train.stdout.split()
    assert paths == [str(tmp_path / "bptt_p.h5"), str(tmp_path / "bptt_q.h5")]
    assert "training" in train.stderr
    ev = run_cli("evaluate", "-", "--trials", "20", "-q", stdin=train.stdout)
    assert ev.returncode == 0 and ev.stdout.split() == paths
    assert read_model(paths[0]).seed + 1 == read_model(paths[1]).seed


BAD = [
    (["train", "bptt_x", "--task", "nosuch"], "nosuch"),
    (["train", "bptt_x", "-v", "-0.5"], "noise"),
    (["train", "../evil", "--rule", "bptt"], "bad model name"),
    (["train", "zzz_model", "--rule", "nosuch"], "nosuch"),
    (["train", "bptt_x", "--opt", "nonsense"], "KEY=VALUE"),
    (["train", "bptt_x", "--opt", "nesterov=3"], "nesterov"),
    (["train", "bptt_x", "--stop", "val_bogus>=1"], "val_bogus"),
    (["train", "bptt_x", "--opt", "regularise=l2:W_foo=1"], "W_foo"),
    (["evaluate", "missing_model"], "not found"),
    (["evaluate", "a/../../b"], "bad model name"),
]


@pytest.mark.parametrize("args,fragment", BAD)
def test_bad_input_gives_one_line_and_exit_2(args: list[str], fragment: str, tmp_path: Path) -> None:
    result = run_cli(*args, "--models-dir", str(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnntool: error:") and fragment in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("damage", [b"", b"garbage bytes", None])
def test_corrupt_or_truncated_model_file(trained_tiny: Path, tmp_path: Path, damage: bytes | None) -> None:
    bad = tmp_path / "bad.h5"
    data = trained_tiny.read_bytes()
    bad.write_bytes(data[: len(data) // 2] if damage is None else damage)
    before = bad.read_bytes()
    result = run_cli("evaluate", str(bad))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert bad.read_bytes() == before


def test_existing_model_is_never_overwritten_silently(trained_tiny: Path) -> None:
    before = trained_tiny.read_bytes()
    result = run_cli("train", trained_tiny.stem, "--models-dir", str(trained_tiny.parent))
    assert result.returncode == 2 and "exists" in result.stderr
    assert trained_tiny.read_bytes() == before


def test_module_and_help_entry_points() -> None:
    result = run_cli("train", "--help")
    assert result.returncode == 0 and "standard deviation" in " ".join(result.stdout.lower().split())
    assert "bptt" in result.stdout
