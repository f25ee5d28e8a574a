"""Group files, ``rnntool svcca`` / ``topology`` on tiny trained models, population plots."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import invoke, run_cli
from rnntool.analysis.fixedpoints import FinderSettings, find_and_store
from rnntool.plotting.population import plot_population_file
from rnntool.rules import BPTT
from rnntool.storage import write_model
from rnntool.storage.groups import GroupFileError, read_group_file
from rnntool.storage.population_file import read_population
from rnntool.tasks import make_task
from rnntool.training import TrainSettings, network_for, train

PRESETS = {"mcm": "mcmahan", "rnn": "ctrnn"}


@pytest.fixture(scope="session")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two groups of three tiny models (different presets), trained for a few iterations."""
    folder = tmp_path_factory.mktemp("population")
    task = make_task("cdi", contexts=2, steps=40)
    lines = []
    for prefix, preset in PRESETS.items():
        names = []
        for seed in range(3):
            name = f"{prefix}_{seed}"
            rule = BPTT.create(task, max_iters=3, batch_size=16)
            config = network_for(BPTT, task, 8, preset)
            record = train(name, task, rule, config,
                           TrainSettings(seed=seed, validation_trials=40, validate_from=2.0))
            write_model(folder / f"{name}.h5", record)
            names.append(name)
        lines.append(f"{prefix.upper()} " + " ".join(names))
    (folder / "groups.txt").write_text("# two presets\n\n" + "\n".join(lines) + "\n")
    return folder / "groups.txt"


# group files ---------------------------------------------------------------------------
def test_group_file_resolves_names_and_relative_paths(population: Path, tmp_path: Path) -> None:
    groups = read_group_file(population)
    assert groups.labels == ("MCM", "RNN") and len(groups.models) == 6
    assert groups.groups == ("MCM",) * 3 + ("RNN",) * 3
    text = f"A mcm_0.h5 {population.parent}/mcm_1.h5  # comment\nB rnn_0\n"
    other = population.parent / "paths.txt"
    other.write_text(text)
    parsed = read_group_file(other)
    assert [p.name for p in parsed.models] == ["mcm_0.h5", "mcm_1.h5", "rnn_0.h5"]


@pytest.mark.parametrize("text, message", [
    ("A mcm_0\nA rnn_0\n", "line 2: group 'A' is defined twice"),
    ("A mcm_0\nB\n", "line 2: group 'B' lists no models"),
    ("A mcm_0 missing_model\n", "line 1: model 'missing_model' not found"),
    ("A ../escape\n", "line 1: bad model name"),
    ("# nothing\n\n", "no groups"),
])
def test_malformed_group_files(population: Path, text: str, message: str) -> None:
    bad = population.parent / "bad.txt"
    bad.write_text(text)
    with pytest.raises(GroupFileError, match=message.replace("(", r"\(")):
        read_group_file(bad)


# svcca ---------------------------------------------------------------------------------
def test_svcca_writes_population_file_and_uses_cache(population: Path, capsys) -> None:
    code, out, err = invoke(capsys, "svcca", str(population), "--metric", "svcca", "--metric",
                            "cka", "--json")
    assert code == 0, err
    summary = json.loads(out)
    paths = [Path(p) for p in summary["paths"]]
    assert [p.name for p in paths] == ["groups.svcca.h5", "groups.cka.h5"]
    assert "silhouette" in err and "mean within" in err
    attrs, tree = read_population(paths[0])
    assert attrs["format"] == "rnntool-population" and attrs["metric"] == "svcca"
    d = tree["distances"]
    assert d.shape == (6, 6) and np.allclose(d, d.T) and np.all(np.diag(d) == 0)
    assert np.all(d[~np.eye(6, dtype=bool)] > 0)
    assert list(tree["models"]["groups"]) == ["MCM"] * 3 + ["RNN"] * 3
    assert len(tree["models"]["sha256"][0]) == 64 and tree["embedding"]["mds"].shape == (6, 2)
    assert -1 <= tree["embedding"]["silhouette"] <= 1

    code, out, err = invoke(capsys, "svcca", str(population), "--json")
    assert code == 0, err
    assert json.loads(out)["results"][0]["cached"] is True
    assert np.array_equal(read_population(paths[0])[1]["distances"], d)

    code, out, err = invoke(capsys, "svcca", str(population), "--reload", "--json")
    assert json.loads(out)["results"][0]["cached"] is False
    assert np.allclose(read_population(paths[0])[1]["distances"], d, atol=1e-12)

    figures = plot_population_file(paths[0], None, population.parent / "figs", "png")
    assert [f.name for f in figures] == ["groups.svcca.distances.png", "groups.svcca.mds.png"]
    assert all(f.stat().st_size > 1000 for f in figures)


def test_changed_model_invalidates_cache(population: Path, tmp_path: Path, capsys) -> None:
    for f in population.parent.glob("*.h5"):
        if not f.name.startswith("groups."):
            (tmp_path / f.name).write_bytes(f.read_bytes())
    groups = tmp_path / "g.txt"
    groups.write_text(population.read_text())
    assert invoke(capsys, "svcca", str(groups), "-q", "--metric", "procrustes")[0] == 0
    with h5py.File(tmp_path / "mcm_0.h5", "r+") as f:
        f["weights/W_rec"][0, 0] += 0.5
    code, out, _ = invoke(capsys, "svcca", str(groups), "--json", "-q", "--metric", "procrustes")
    assert json.loads(out)["results"][0]["cached"] is False


BAD_INPUT = [
    (["svcca", "{missing}"], "not found"),
    (["svcca", "{bad}"], "line 2: group 'B' lists no models"),
    (["svcca", "{good}", "--metric", "nope"], "nope"),
    (["svcca", "{good}", "--keep-variance", "1.5"], "(0, 1]"),
]


def _bad_args(population: Path, tmp_path: Path, args: list[str]) -> list[str]:
    bad = tmp_path / "bad.txt"
    bad.write_text(f"A {population.parent / 'mcm_0.h5'}\nB\n")
    values = {"missing": str(tmp_path / "missing.txt"), "bad": str(bad), "good": str(population)}
    return [a.format(**values) for a in args]


@pytest.mark.parametrize("args, message", BAD_INPUT)
def test_bad_input_is_one_line_exit_2(population: Path, tmp_path: Path, capsys, args: list[str],
                                      message: str) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in population.parent.iterdir()}
    code, out, err = invoke(capsys, *_bad_args(population, tmp_path, args))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("rnntool: error:") and message in err
    assert {p.name: p.stat().st_mtime_ns for p in population.parent.iterdir()} == before


def test_bad_group_file_in_a_real_process(population: Path, tmp_path: Path) -> None:
    result = run_cli(*_bad_args(population, tmp_path, BAD_INPUT[1][0]))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and BAD_INPUT[1][1] in result.stderr


# topology ------------------------------------------------------------------------------
def test_topology_reuses_stored_fixed_points(population: Path, capsys) -> None:
    groups = read_group_file(population)
    quick = FinderSettings(n_inits=32, max_iters=300)
    for path in groups.models:
        find_and_store(path, mode="large", settings=quick)
    stamps = [p.stat().st_mtime_ns for p in groups.models]
    for descriptor in ("graph", "mcmahan"):
        code, out, err = invoke(capsys, "topology", str(population), "--mode", "large",
                                "--descriptor", descriptor, "--json", "--overwrite")
        assert code == 0, err
        summary = json.loads(out)
        path = Path(summary["paths"][0])
        assert path.name == "groups.topology.h5" and summary["results"][0]["cached"] is False
        attrs, tree = read_population(path)
        assert attrs["kind"] == "topology" and attrs["metric"] == descriptor
        d = tree["distances"]
        assert d.shape == (6, 6) and np.allclose(d, d.T) and np.all(np.diag(d) == 0)
        assert np.all(tree["models"]["fixed_points"] >= 1)
    assert [p.stat().st_mtime_ns for p in groups.models] == stamps  # points were reused
    code, out, _ = invoke(capsys, "topology", str(population), "--mode", "large",
                          "--descriptor", "mcmahan", "--json", "-q")
    assert json.loads(out)["results"][0]["cached"] is True


def test_topology_bad_input(population: Path, capsys) -> None:
    code, out, err = invoke(capsys, "topology", str(population), "--epsilon", "0")
    assert code == 2 and out == "" and err.count("\n") == 1 and "--epsilon" in err
