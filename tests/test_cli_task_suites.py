"""The issue's task-suite commands from the command line, on tiny budgets."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnntool.cli.main import main
from rnntool.storage import read_model


def _run(args: list[str], capsys: pytest.CaptureFixture) -> str:
    with pytest.raises(SystemExit) as done:
        main(args)
    out, err = capsys.readouterr()
    assert done.value.code == 0, err
    return out


def test_four_task_network_with_variable_durations_trains_and_scores_every_task(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    where = ["--models-dir", str(tmp_path)]
    out = _run(["train", "mt_2", "--task", "delaygo,delayanti,dms,antidms", "--task-opt",
                "durations=var", "--max-iters", "2", "--n-rec", "8", "--opt", "batch_size=8",
                "--validation-trials", "40", "--validate-every", "1", "-q", *where], capsys)
    path = tmp_path / "mt_2.h5"
    assert out.strip() == str(path)
    record = read_model(path)
    assert record.task["name"] == "delaygo,delayanti,dms,antidms"
    assert record.task["tasks"][0]["durations"] == "var"
    assert record.network["n_in"] == 3 + 4 and record.network["cell"] == "rate"
    assert record.training["iterations"] == 2
    _run(["evaluate", "mt_2", "--trials", "80", "-q", *where], capsys)
    evaluation = read_model(path).evaluation
    per_task = evaluation["per_task"]
    assert set(per_task) == {"delaygo", "delayanti", "dms", "antidms"}
    assert sum(int(s["trials"]) for s in per_task.values()) == 80
    for name, scores in per_task.items():
        assert float(scores["mse"]) == pytest.approx(evaluation["metrics"][f"{name}.mse"], rel=1e-5)
