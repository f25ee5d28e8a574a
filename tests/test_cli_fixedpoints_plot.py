"""``rnntool fixedpoints`` and ``rnntool plot`` from the command line, including bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli
from rnntool.analysis.fixedpoints import fixed_point_keys, load_fixed_points
from rnntool.cli.main import main

QUICK = ["--n-inits", "64", "--max-iters", "300", "-q"]


@pytest.fixture()
def model_copy(trained_tiny: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "m.h5"
    copy.write_bytes(trained_tiny.read_bytes())
    return copy


def _one_line_error(capsys: pytest.CaptureFixture, *args: str) -> None:
    """Run the CLI in-process (fast) and check for a one-line error with exit code 2."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out = capsys.readouterr()
    assert exit_info.value.code == 2, out.err
    assert out.err.startswith("rnntool: error: ") and out.err.count("\n") == 1
    assert "Traceback" not in out.err and out.out == ""


def test_fixedpoints_stores_results_and_plot_draws_them(model_copy: Path, tmp_path: Path) -> None:
    result = run_cli("fixedpoints", str(model_copy), "--mode", "large", "--method", "exact", *QUICK)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(model_copy)
    refused = run_cli("fixedpoints", str(model_copy), "--mode", "large", "--method", "exact", *QUICK)
    assert refused.returncode == 2 and "--overwrite" in refused.stderr and refused.stdout == ""
    kept = run_cli("fixedpoints", str(model_copy), "--mode", "large", "--method", "exact", "--keep",
                   "--json", *QUICK)
    assert json.loads(kept.stdout)["results"][0]["kept"] is True
    again = run_cli("fixedpoints", "-", "--mode", "large", "--method", "exact", "--json", *QUICK,
                    "--overwrite", stdin=str(model_copy))
    summary = json.loads(again.stdout)["results"][0]
    assert summary["group"] == "analyses/fixedpoints/large_exact"
    assert fixed_point_keys(model_copy) == ["large_exact"]  # re-running replaced the group
    points = load_fixed_points(model_copy, "large_exact")
    assert len(points.inputs) == 10 and points.inputs.shape[1] == 4
    assert summary["fixed"] == int(points.is_fixed.sum()) and summary["fixed"] >= 1
    assert points.settings["method"] == "exact" and points.settings["n_inits"] == 64
    out = tmp_path / "figs"
    plotted = run_cli("plot", str(model_copy), "--out", str(out), "--format", "svg", "-q")
    assert plotted.returncode == 0, plotted.stderr
    written = [Path(p) for p in plotted.stdout.split()]
    kinds = {p.name.split(".")[1] for p in written}
    assert kinds == {"trials", "pca", "eigen", "loss"}
    assert all(p.is_file() and p.stat().st_size > 1000 and p.suffix == ".svg" for p in written)


def test_inputs_file_and_interpolation(model_copy: Path, tmp_path: Path) -> None:
    table = tmp_path / "u.csv"
    np.savetxt(table, [[0.0, 0.0, 1.0, 0.0], [0.05, 0.0, 1.0, 0.0]], delimiter=",")
    assert run_cli("fixedpoints", str(model_copy), "--inputs", str(table), *QUICK).returncode == 0
    result = run_cli("fixedpoints", str(model_copy), "--interpolate", "0,0,1,0", "0,0,0,1",
                     "--steps", "3", *QUICK)
    assert result.returncode == 0, result.stderr
    assert fixed_point_keys(model_copy) == ["file-u_exact", "interp3_exact"]
    points = load_fixed_points(model_copy, "interp3_exact")
    np.testing.assert_allclose(points.inputs[1], [0, 0, 0.5, 0.5])


@pytest.mark.parametrize("args", [
    ["--mode", "huge"],
    ["--inputs", "nonsense"],
    ["--mode", "large", "--inputs", "zeros"],
    ["--interpolate", "1,2", "zeros"],
    ["--opt", "tol_q=-1"],
    ["--opt", "bogus=1"],
    ["--method", "newton"],
])
def test_fixedpoints_bad_input_is_one_line_and_changes_nothing(
        model_copy: Path, args: list[str], capsys: pytest.CaptureFixture) -> None:
    before = model_copy.read_bytes()
    _one_line_error(capsys, "fixedpoints", str(model_copy), *args, *QUICK)
    assert model_copy.read_bytes() == before


def test_fixedpoints_rejects_a_bad_input_file(model_copy: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    table = tmp_path / "u.txt"
    table.write_text("1 2 3\n")
    _one_line_error(capsys, "fixedpoints", str(model_copy), "--inputs", str(table))
    _one_line_error(capsys, "fixedpoints", str(tmp_path / "missing.h5"))
    result = run_cli("fixedpoints", str(model_copy), "--mode", "huge")  # as a user sees it
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [
    ["--kind", "spectrogram"],
    ["--kind", "eigen"],  # no fixed points stored yet
    ["--kind", "psychometric"],  # not evaluated
    ["--format", "bmp"],
    ["--dims", "4"],
    ["--key", "nothing_here"],
])
def test_plot_bad_input_is_one_line(model_copy: Path, tmp_path: Path, args: list[str],
                                    capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "figs"
    _one_line_error(capsys, "plot", str(model_copy), "--out", str(out), *args)
    assert not out.exists() or not any(out.iterdir())


def test_plot_refuses_a_file_that_is_not_hdf5(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    junk = tmp_path / "junk.h5"
    junk.write_text("not hdf5")
    _one_line_error(capsys, "plot", str(junk), "--out", str(tmp_path / "figs"))


def test_train_flipflop_with_bits_shortcut_uses_the_task_network(tmp_path: Path) -> None:
    from rnntool.storage import read_model

    result = run_cli("train", "ff", "--task", "flipflop", "--bits", "2", "--rule", "bptt",
                     "--task-opt", "steps=30", "--n-rec", "8", "--max-iters", "2",
                     "--opt", "batch_size=8", "--models-dir", str(tmp_path), "-q")
    assert result.returncode == 0, result.stderr
    record = read_model(result.stdout.strip())
    assert record.task["name"] == "flipflop" and record.task["bits"] == 2
    assert record.network["preset"] == "ctrnn" and record.network["phi"] == "tanh"
    assert record.network["readout"] == "phi"
    assert set(record.network["trainable"]) == {"W_in", "W_rec", "b", "W_out"}
