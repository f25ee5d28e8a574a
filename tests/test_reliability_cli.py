"""Bad input is refused before any work with one line and exit 2; diverged training exits 1
keeping the best finite model; population commands read group files from stdin and print
valid JSON (issue categories 3, 4, 6)."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from rnntool.cli.main import main
from rnntool.storage.names import SAMPLE_MODELS

TINY = ["--task-opt", "steps=40", "--n-rec", "8", "--validation-trials", "40", "-q"]


def run(argv: list[str], capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch,
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    path = tmp_path / "models" / "bptt_0050.h5"
    path.parent.mkdir()
    shutil.copyfile(SAMPLE_MODELS / "bptt_0050.h5", path)
    return path


BAD_TRAIN = [
    (["--seed", "-1"], "--seed"), (["--seed", str(2**63)], "--seed"),
    (["--opt", "lr=abc"], "lr must be a number"), (["--opt", "batch_size=2.5"], "integer"),
    (["--opt", "lr=NaN"], "finite"), (["--opt", "bogus=1"], "unknown setting"),
    (["--task-opt", "steps=abc"], "steps must be an integer"),
    (["--device", "bogus"], "unknown device"), (["--n-rec", "200000"], "--n-rec"),
    (["--opt", "batch_size=0"], "batch_size"), (["-v", "nan"], "finite"),
    (["-v", "inf"], "finite"), (["--g", "nan"], "finite"), (["--g", "-1"], "range"),
    (["--alpha", "nan"], "finite"), (["--stop-window", "0"], "--stop-window"),
    (["--stop-threshold", "nan"], "finite"), (["--validate-from", "2"], "range"),
    (["--seeds", "5-1"], "seed range"), (["--seeds", "1-x"], "seed range"),
    (["--max-iters", "0"], "--max-iters"), (["--N", "0"], "--N"),
]


@pytest.mark.parametrize("extra, fragment", BAD_TRAIN)
def test_bad_train_options_exit_2_before_training(extra: list[str], fragment: str,
                                                  tmp_path: Path, capsys, monkeypatch) -> None:
    code, out, err = run(["train", "bptt_x", "--models-dir", str(tmp_path), *TINY, *extra],
                         capsys, monkeypatch)
    assert (code, out) == (2, "") and fragment in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("names, stdin, fragment", [
    (["-"], "", "no model names"), (["-"], "bptt_ok ../bad\n", "'../bad'"),
    (["m\n"], "", "bad model name"), (["bptt_" + "a" * 235], "", "too long"),
    (["bptt_a", "bptt_a"], "", "named twice"),
])
def test_every_name_is_checked_before_the_first_model_trains(names, stdin, fragment, tmp_path,
                                                              capsys, monkeypatch) -> None:
    code, out, err = run(["train", *names, "--models-dir", str(tmp_path), *TINY], capsys,
                         monkeypatch, stdin)
    assert (code, out) == (2, "") and fragment in err
    assert list(tmp_path.iterdir()) == []


def test_seed_overflow_of_later_names_is_caught_first(tmp_path, capsys, monkeypatch) -> None:
    code, _, err = run(["train", "bptt_a", "bptt_b", "--seed", str(2**63 - 1),
                        "--models-dir", str(tmp_path), *TINY], capsys, monkeypatch)
    assert code == 2 and "64 bits" in err and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, fragment", [
    (["evaluate", "M", "--trials", "1000000000"], "--trials"),
    (["evaluate", "M", "--device", "cuda:7"], "device"),
    (["evaluate", "M", "--seed", "-3"], "--seed"),
    (["fixedpoints", "M", "--n-inits", "100000000"], "--n-inits"),
    (["fixedpoints", "M", "--opt", "method=bogus", "--mode", "small"], "method must be"),
    (["fixedpoints", "M", "--opt", "n_inits=1e9", "--mode", "small"], "n_inits"),
    (["fixedpoints", "M", "--opt", "tol_q=nan", "--mode", "small"], "finite"),
    (["fixedpoints", "M", "--opt", "method=exact", "--method", "approx"], "contradicts"),
    (["topology", "G", "--epsilon", "nan"], "finite"),
    (["svcca", "G", "--components", "100000"], "more than the 50 units"),
    (["svcca", "G", "--keep-variance", "nan"], "finite"),
])
def test_bad_analysis_options_exit_2(argv, fragment, sample_copy, capsys, monkeypatch) -> None:
    groups = sample_copy.parent / "g.txt"
    groups.write_text("A bptt_0050\nB bptt_0050.h5\n")
    argv = [str(sample_copy) if a == "M" else str(groups) if a == "G" else a for a in argv]
    before = sample_copy.read_bytes()
    code, out, err = run(argv, capsys, monkeypatch)
    assert (code, out) == (2, "") and fragment in err and err.count("\n") == 1
    assert sample_copy.read_bytes() == before


def test_nan_weights_are_refused(sample_copy, capsys, monkeypatch) -> None:
    with h5py.File(sample_copy, "r+") as f:
        f["weights/W_rec"][0, 0] = np.nan
    code, _, err = run(["evaluate", str(sample_copy), "--overwrite"], capsys, monkeypatch)
    assert code == 2 and "NaN" in err


def test_evaluating_a_shipped_sample_writes_a_copy(tmp_path, capsys, monkeypatch) -> None:
    sample = SAMPLE_MODELS / "ga_0050.h5"
    before = sample.read_bytes()
    code, out, _ = run(["evaluate", "ga_0050", "--trials", "50", "-q", "--overwrite", "--models-dir",
                        str(tmp_path)], capsys, monkeypatch)
    assert code == 0 and out.strip() == str(tmp_path / "ga_0050.h5")
    assert sample.read_bytes() == before
    with h5py.File(tmp_path / "ga_0050.h5") as f:
        assert "accuracy" in f["evaluation"].attrs


def test_diverged_training_exits_1_and_keeps_the_best_finite_model(tmp_path, capsys,
                                                                   monkeypatch) -> None:
    code, out, err = run(["train", "bptt_div", "-v", "0.1", "--models-dir", str(tmp_path),
                          *TINY, "--opt", "lr=1e30", "--opt", "batch_size=16",
                          "--max-iters", "30", "--validate-from", "0", "--stop-threshold", "1"],
                         capsys, monkeypatch)
    assert code == 1 and "diverged" in err and err.count("\n") == 1
    with h5py.File(tmp_path / "bptt_div.h5") as f:
        assert all(np.isfinite(f[f"weights/{k}"][()]).all() for k in f["weights"])


def test_population_commands_read_group_files_from_stdin_and_print_valid_json(
        tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["svcca", "-", "--json", "-q", "--levels", "2"], capsys, monkeypatch,
                         "A bptt_0050\nB ga_0050\n")
    assert code == 0, err
    summary = json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert summary["paths"] == ["stdin.svcca.h5"] and (tmp_path / "stdin.svcca.h5").is_file()
    assert summary["results"][0]["silhouette"] is None  # one model per group: undefined


def test_topology_reads_its_group_file_from_stdin(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["topology", "-", "--descriptor", "mcmahan", "--json", "-q"], capsys,
                         monkeypatch, "A bptt_0050 bptt_0051\nB ga_0050 ga_0051\n")
    assert code == 0, err
    assert json.loads(out)["paths"] == ["stdin.topology.h5"]


def test_imported_weights_must_be_finite(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "w_J.txt").write_text("\n".join(" ".join(["0.1"] * 12) for _ in range(12)))
    (tmp_path / "w_win.txt").write_text("\n".join(" ".join(["nan"] * 12) for _ in range(4)))
    code, out, err = run(["import-miconi", str(tmp_path / "w"), "hebb_x", "--models-dir",
                          str(tmp_path / "models")], capsys, monkeypatch)
    assert (code, out) == (2, "") and "NaN" in err and not (tmp_path / "models").exists()
