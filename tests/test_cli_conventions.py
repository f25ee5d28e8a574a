"""Start-up without torch, completion, the --overwrite/--keep rule, device errors, honest
progress, evaluation seed parity and population extras (issue: a newcomer's first hour)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from rich.console import Console

from conftest import run_cli
from rnntool.cli import catalogue
from rnntool.cli.main import main
from rnntool.plotting.population import _place_names
from rnntool.progress import ProgressSettings, TrainingProgress

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"

PROBE = """
import atexit, sys
atexit.register(lambda: print("HEAVY:" + ",".join(m for m in ("torch", "sklearn", "matplotlib")
                                                   if m in sys.modules), file=sys.stderr))
from rnntool.cli.main import main
main(sys.argv[1:])
"""


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A names cache filled once (as the first use after installing does)."""
    folder = tmp_path_factory.mktemp("cache")
    env = {**os.environ, "RNNTOOL_CACHE": str(folder)}
    assert subprocess.run([sys.executable, "-m", "rnntool", "train", "--help"], env=env,
                          capture_output=True).returncode == 0
    return env


def _probe(env: dict[str, str], *args: str, extra: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, *args], env={**env, **(extra or {})},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args", [[], ["--help"], ["train", "--help"], ["fixedpoints", "--help"],
                                  ["svcca", "--help"], ["plot", "--help"], ["evaluate"],
                                  ["train", "x", "--n-rec", "zero"]])
def test_help_and_usage_errors_never_import_torch(warm_cache: dict[str, str], args: list[str]) -> None:
    result = _probe(warm_cache, *args)
    assert "HEAVY:\n" in result.stderr, result.stderr[-300:]
    if args in ([], ["--help"]):
        assert result.returncode == 0 and "Commands:" in result.stdout and "train" in result.stdout
    elif args[-1] == "--help":
        assert result.returncode == 0 and "Examples:" in result.stdout
    else:
        assert result.returncode == 2 and result.stderr.startswith("rnntool: error:")


def test_every_subcommand_has_examples_and_help_on_every_option() -> None:
    from rnntool.cli.main import COMMANDS, LazyGroup, cli

    for name in COMMANDS:
        command = LazyGroup.get_command(cli, None, name)  # type: ignore[arg-type]
        assert "Examples:" in (command.help or ""), name
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"{name} {param.opts}"
                assert "seed 002" not in param.help


def test_completion_of_models_kinds_and_rules(warm_cache: dict[str, str]) -> None:
    def complete(line: str) -> list[str]:
        words = line.split(" ")
        result = _probe(warm_cache, extra={"_RNNTOOL_COMPLETE": "bash_complete",
                                           "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)})
        assert "HEAVY:\n" in result.stderr, result.stderr[-300:]
        return [row.split(",", 1)[1] for row in result.stdout.splitlines()]

    assert {"bptt_0050", "bptt_0051"} <= set(complete("rnntool evaluate bptt_005"))
    assert complete("rnntool plot x --kind ei") == ["eigen"]
    assert complete("rnntool train x --rule g") == ["ga"]
    assert "fixedpoints" in complete("rnntool fi")
    script = subprocess.run([sys.executable, "-m", "rnntool", "completion", "zsh"], env=warm_cache,
                            capture_output=True, text=True)
    assert script.returncode == 0 and "_RNNTOOL_COMPLETE" in script.stdout


def test_cached_names_match_the_live_registries(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RNNTOOL_CACHE", str(tmp_path))
    catalogue.names.cache_clear()
    try:
        assert catalogue.names() == catalogue.build()
        assert len(list(tmp_path.glob("names-*.json"))) == 1
    finally:
        catalogue.names.cache_clear()


def _one_line(capsys: pytest.CaptureFixture, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out = capsys.readouterr()
    assert exit_info.value.code == 2 and out.out == ""
    assert out.err.startswith("rnntool: error: ") and out.err.count("\n") == 1
    return out.err


def test_cuda_on_a_cpu_torch_is_one_line_naming_what_to_install(capsys) -> None:
    import torch

    if torch.version.cuda is not None:
        pytest.skip("this torch has CUDA support")
    err = _one_line(capsys, "evaluate", "bptt_0050", "--device", "cuda")
    assert "no CUDA support" in err and "pip install torch --index-url" in err
    assert "unknown device" in _one_line(capsys, "fixedpoints", "bptt_0050", "--device", "gpu0")


def test_evaluate_default_seed_is_the_librarys_and_results_are_not_replaced_silently(
        trained_tiny: Path, tmp_path: Path, capsys) -> None:
    from rnntool.analysis.evaluation import evaluate
    from rnntool.models import load_model

    copy = tmp_path / "m.h5"
    copy.write_bytes(trained_tiny.read_bytes())
    first = run_cli("evaluate", str(copy), "--trials", "100", "--json", "-q")
    assert first.returncode == 0, first.stderr
    stored = json.loads(first.stdout)["results"][0]
    model = load_model(copy)
    assert evaluate(model.network, model.task, trials=100)["accuracy"] == stored["accuracy"]
    before = copy.stat().st_mtime_ns
    assert "--overwrite" in _one_line(capsys, "evaluate", str(copy), "--trials", "100")
    with pytest.raises(SystemExit):
        main(["evaluate", str(copy), "--keep", "--json", "-q"])
    kept = json.loads(capsys.readouterr().out)["results"][0]
    assert kept["kept"] is True and kept["accuracy"] == stored["accuracy"]
    assert copy.stat().st_mtime_ns == before
    assert "exclude" in _one_line(capsys, "evaluate", str(copy), "--keep", "--overwrite")


def test_progress_lines_tell_the_truth() -> None:
    from types import SimpleNamespace

    from rnntool.engine.stopping import Threshold

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=False, width=300)
    rule = Threshold("val_accuracy", ">=", 0.9, 3)
    stopping = SimpleNamespace(rules=[rule])
    progress = TrainingProgress(ProgressSettings(console, 0.0, "m"), total=100,
                                unit="iteration", primary="val_accuracy")
    for i, (train, val) in enumerate([(0.5, float("nan")), (0.95, 0.92), (0.96, 0.95)]):
        rule.update({"val_accuracy": val})
        progress.update(i + 1, 1.0 - i / 10, train, val, max(0.92, val) if i else float("nan"),
                        stopping)
    progress.stop()
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 3  # every unit with --log-every 0 (the last one is not repeated on stop)
    assert "1/100 iterations" in lines[0] and "val_accuracy – (not validated" in lines[0]
    assert "0.000" not in lines[0] and "val_accuracy>=0.9 for 3: 0/3" in lines[0]
    assert "val_accuracy>=0.9 for 3: 2/3" in lines[2]
    assert "val_accuracy 0.95 (best 0.95)" in lines[2] and "budget ends in ≤" in lines[2]


def test_population_out_components_and_warnings(tmp_path: Path, capsys) -> None:
    groups = tmp_path / "g.txt"
    groups.write_text(f"B {SAMPLES / 'bptt_0050.h5'} {SAMPLES / 'bptt_0051.h5'}\n"
                      f"G {SAMPLES / 'ga_0050.h5'} {SAMPLES / 'ga_0051.h5'}\n")
    out = tmp_path / "results" / "{metric}.h5"
    with pytest.raises(SystemExit):
        main(["svcca", str(groups), "--metric", "svcca", "--metric", "cka", "--out", str(out),
              "--json", "-q", "--levels", "3"])
    summary = json.loads(capsys.readouterr().out)
    assert [Path(p).name for p in summary["paths"]] == ["svcca.h5", "cka.h5"]
    with h5py.File(tmp_path / "results" / "svcca.h5", "r") as f:
        components = f["models/components"][()]
        assert components.dtype == np.int64 and (components >= 1).all()
        assert [int(c) for c in components] == [m["components"] for m in summary["results"][0]["models"]]
        assert f["models/warnings"].shape == (4,)
    same_place = tmp_path / "results" / "cka.h5"
    assert "--overwrite" in _one_line(capsys, "svcca", str(groups), "--out", str(same_place),
                                      "--levels", "3")


def test_mds_names_coincident_models_together() -> None:
    coords = np.array([[0.0, 0.0], [1e-9, 0.0], [1.0, 1.0]])
    placed = _place_names(coords, ["a", "b", "c"], 1e-3)
    assert [text for text, _ in placed] == ["a = b", "c"]


@pytest.mark.parametrize("asked", [False, True])
def test_unexpected_errors_are_one_line_unless_a_traceback_is_asked(
        capsys, monkeypatch, tmp_path: Path, asked: bool) -> None:
    import shutil

    from rnntool import models

    def broken(*_args, **_kwargs):
        raise ValueError("deliberately broken")

    model = shutil.copy(SAMPLES / "ga_0051.h5", tmp_path / "m.h5")
    monkeypatch.setattr(models, "load_model", broken)
    if asked:
        monkeypatch.setenv("RNNTOOL_TRACEBACK", "1")
    else:
        monkeypatch.delenv("RNNTOOL_TRACEBACK", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(model), "--overwrite"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert err.endswith("rnntool: error: ValueError: deliberately broken\n")
    assert ("Traceback (most recent call last)" in err) == asked
