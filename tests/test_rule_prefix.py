"""A model name selects a learning rule only by a whole first word (``ff_0050``, never ``ff2``);
otherwise the task's default rule trains it (issue 10's ``rnntool train ff2 --task flipflop``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnntool.cli.main import main
from rnntool.errors import ConfigError
from rnntool.rules import rule_from_model_name
from rnntool.storage import read_model
from rnntool.tasks import make_task
from rnntool.training import rule_for


@pytest.mark.parametrize("name, rule", [
    ("ff_0050", "ff"), ("bptt_0050", "bptt"), ("ga-3", "ga"), ("hebb.v2", "hebb"), ("ff", "ff"),
    ("BP_1", "bptt"), ("models/force_x", "force"), ("ge_1", "ga"), ("he_1", "hebb")])
def test_a_whole_first_word_selects_its_rule(name: str, rule: str) -> None:
    assert rule_from_model_name(name) == rule


@pytest.mark.parametrize("name", ["ff2", "gamma", "general", "bptt2", "hebbian_1", "forced", "mt_ff"])
def test_a_prefix_glued_to_more_letters_or_digits_selects_none(name: str) -> None:
    with pytest.raises(ConfigError, match="word of its own"):
        rule_from_model_name(name)


def test_names_without_a_rule_word_train_with_the_tasks_rule() -> None:
    flipflop = make_task("flipflop", bits=2, variant="engellab")
    assert rule_for("ff2", flipflop).name == "bptt"
    assert rule_for("gamma_1", make_task("cdi")).name == "bptt"
    assert rule_for("ff_1", flipflop).name == "ff"          # an explicit rule word still wins
    assert rule_for("ff2", flipflop, "ga").name == "ga"     # and --rule above all


def test_the_issues_ff2_flipflop_command_trains_with_bptt(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as done:
        main(["train", "ff2", "--task", "flipflop", "--bits", "2", "--task-opt", "variant=engellab",
              "--max-iters", "2", "--n-rec", "8", "--opt", "batch_size=4", "--validation-trials",
              "20", "--models-dir", str(tmp_path), "-q"])
    assert done.value.code == 0, capsys.readouterr().err
    record = read_model(tmp_path / "ff2.h5")
    assert record.rule["name"] == "bptt" and record.task["variant"] == "engellab"
    assert record.network["cell"] == "rate" and record.network["phi"] == "tanh"
