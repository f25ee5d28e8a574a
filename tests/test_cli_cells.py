"""Cells, constraints and rule/cell compatibility through the command line (in-process)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnntool.cli.main import main
from rnntool.storage import read_model


def _cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(list(argv))
    out = capsys.readouterr()
    return int(stop.value.code), out.out, out.err


def test_train_help_lists_the_cells_and_their_settings(capsys) -> None:
    code, out, _ = _cli(capsys, "train", "--help")
    assert code == 0
    for cell in ("ctrnn", "rate", "rnn", "gru", "lstm"):
        assert f"{cell}: " in out
    assert "noise=inside" in out and "--net-opt" in out and "--dale" in out
    assert "default bptt lr at most 0.001" in " ".join(out.split())


@pytest.mark.parametrize("argv,message", [
    (["--cell", "lstm", "--rule", "force"], "rule 'force' cannot train cell 'lstm'"),
    (["--cell", "gru", "--rule", "hebb"], "rule 'hebb' cannot train cell 'gru'"),
    (["--cell", "gru", "--alpha", "0.2"], "cell 'gru' has no setting(s) alpha"),
    (["--cell", "rate", "--net-opt", "bogus=1"], "--net-opt bogus: cell 'rate' takes"),
    (["--cell", "rate", "--net-opt", "noise=sideways"], "noise must be one of inside, outside"),
    (["--cell", "lstm", "--dale", "0.8"], "Dale's law needs"),
    (["--net-opt", "mask=blocks:0"], "positive integer"),
])
def test_bad_cell_options_fail_with_one_line_before_any_work(capsys, tmp_path: Path,
                                                             argv, message) -> None:
    code, out, err = _cli(capsys, "train", "bptt_x", "--task", "flipflop", "--bits", "1",
                          "--models-dir", str(tmp_path), "-q", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err, err
    assert not list(tmp_path.iterdir())


def test_cli_trains_a_dale_rate_network_with_a_mask(capsys, tmp_path: Path) -> None:
    code, out, err = _cli(capsys, "train", "m", "--rule", "bptt", "--task", "flipflop",
                          "--bits", "1", "--task-opt", "steps=20", "--n-rec", "12",
                          "--cell", "rate", "--phi", "relu", "--dale", "0.75",
                          "--no-self-connections", "--net-opt", "mask=blocks:2",
                          "--net-opt", "noise=outside", "--noise-rec", "0.05",
                          "--max-iters", "5", "--validation-trials", "20",
                          "--models-dir", str(tmp_path), "-q")
    assert code == 0, err
    record = read_model(out.strip())
    net = record.network
    assert (net["cell"], net["dale"], net["self_connections"], net["mask"]) == (
        "rate", 0.75, False, "blocks:2")
    assert net["cell_options"] == {"noise": "outside"}
    w = record.weights["W_rec"]
    assert np.all(w[:, :9] >= 0) and np.all(w[:, 9:] <= 0) and np.all(np.diag(w) == 0)
    assert np.all(w[:6, 6:] == 0) and np.all(w[6:, :6] == 0)
