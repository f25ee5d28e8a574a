"""``rnntool geometry`` on a System A ensemble, its population file and figures, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import invoke

from rnntool.analysis.geometry import GeometrySettings, geometry, memory_trajectories
from rnntool.models import load_model
from rnntool.network import Network
from rnntool.rules import get_rule
from rnntool.storage import read_group, write_model
from rnntool.storage.model_file import ModelRecord
from rnntool.storage.population_file import read_population
from rnntool.tasks import make_task
from rnntool.training import network_for


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Network]:
    """Four System A models (shared G, own I and w) written as model files, and a group file."""
    folder = tmp_path_factory.mktemp("sysa")
    task = make_task("duration", dt=50.0)
    cfg = network_for(get_rule("bptt"), task, n_rec=20)
    net = Network.initialise(cfg, torch.Generator().manual_seed(4), members=4)
    names = []
    for k in range(4):
        record = ModelRecord(name=f"sa_s{k}", task=task.config(), network=cfg.to_dict(),
                             rule={"name": "bptt"}, seed=k, weights=net.to_numpy(k))
        names.append(write_model(folder / f"sa_s{k}.h5", record).name)
    (folder / "sa.groups.txt").write_text("ensemble " + " ".join(names) + "\n")
    return folder / "sa.groups.txt", net


ARGS = ("--trials", "4", "--spontaneous-ms", "2000", "--pca-durations", "50,150")


def test_geometry_writes_a_population_file_matching_the_library(
        ensemble: tuple[Path, Network], capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    groups, net = ensemble
    code, out, err = invoke(capsys, "geometry", str(groups), *ARGS)
    assert code == 0, err
    path = Path(out.strip())
    assert path == groups.with_name("sa.groups.geometry.h5")
    attrs, tree = read_population(path)
    assert attrs["kind"] == "geometry" and attrs["parameters"]["trials"] == 4
    want = geometry(net, make_task("duration", dt=50.0),
                    GeometrySettings(trials=4, spontaneous_ms=2000.0,
                                     spontaneous_window_ms=(1000.0, 2000.0),
                                     pca_durations_ms=(50.0, 150.0)))
    for key in ("precision", "cos_I_w", "pr_I", "pr_w", "mse", "sem"):
        assert np.allclose(tree["measures"][key], want[key], rtol=1e-6), key
    assert tree["extrapolation"].tolist() == [False, False, True]
    assert set(tree["correlations"]) == {"cos_I_w", "pr_I", "pr_w", "pr_spontaneous", "pr_memory"}
    r = np.corrcoef(want["cos_I_w"], want["precision"])[0, 1]
    assert tree["correlations"]["cos_I_w"]["r"] == pytest.approx(r)
    assert "vs precision: r =" in err
    code, out, err = invoke(capsys, "plot", str(path), "--out", str(tmp_path))
    assert code == 0, err
    figures = sorted(Path(p).name for p in out.split())
    assert figures == ["sa.groups.geometry.performance.png", "sa.groups.geometry.precision.png"]


@pytest.mark.parametrize("args,message", [
    (("--durations", "fifty"), "--durations must be comma-separated"),
    (("--durations", "0,100"), "positive durations"),
    (("--pca-durations", "1600"), "ends after report_ms"),
])
def test_bad_settings_give_one_line_and_exit_2(ensemble: tuple[Path, Network], args: tuple,
                                               message: str, capsys: pytest.CaptureFixture) -> None:
    groups, _ = ensemble
    code, out, err = invoke(capsys, "geometry", str(groups), *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and not out


def test_models_of_other_tasks_are_refused(ensemble: tuple[Path, Network],
                                           capsys: pytest.CaptureFixture) -> None:
    groups, _ = ensemble
    folder = groups.parent
    rng = np.random.default_rng(0)
    weights = {"W_in": rng.normal(size=(5, 2)), "W_rec": rng.normal(size=(5, 5)),
               "b": np.zeros(5), "W_out": rng.normal(size=(1, 5)), "b_out": np.zeros(1),
               "x0": np.zeros(5)}
    write_model(folder / "cdi.h5", ModelRecord(
        name="cdi", task={"name": "cdi", "contexts": 2}, network={"n_in": 2, "n_rec": 5},
        rule={"name": "bptt"}, seed=0, weights=weights))
    bad = folder / "mixed.groups.txt"
    bad.write_text("a sa_s0.h5 cdi.h5\n")
    code, out, err = invoke(capsys, "geometry", str(bad))
    assert code == 2 and "needs a model of the duration task" in err and not out
    assert not (folder / "mixed.groups.geometry.h5").exists()


def test_evaluate_stores_precision_per_duration_with_error_bars(
        ensemble: tuple[Path, Network], capsys: pytest.CaptureFixture) -> None:
    groups, _ = ensemble
    model = groups.with_name("sa_s1.h5")
    code, out, err = invoke(capsys, "evaluate", str(model), "--trials", "6", "--overwrite")
    assert code == 0, err
    assert Path(out.strip()) == model
    stored = read_group(model, "evaluation")["precision"]
    assert stored["durations_ms"].tolist() == [50.0, 150.0, 300.0]
    assert stored["extrapolation"].tolist() == [False, False, True]
    assert stored["mse"].shape == stored["sem"].shape == (3,) and (stored["sem"] > 0).all()
    assert stored["mean_mse"] == pytest.approx(stored["mse"].mean())
    assert stored["trials_per_duration"] == 6
    assert "precision per duration" in err and "extrapolation" in err


def test_pca_plot_projects_durations_on_the_memory_pcs(
        ensemble: tuple[Path, Network], capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    groups, net = ensemble
    traj = memory_trajectories(net.member(1), make_task("duration", dt=50.0), (50.0, 150.0, 250.0))
    assert traj["projections"].shape == (3, 140, 2) and traj["outputs"].shape == (3, 140)
    assert np.all(traj["variance_ratio"] > 0) and traj["variance_ratio"].sum() <= 1 + 1e-12
    before = traj["time_ms"] < 3000.0  # nothing differs before the common onset
    assert np.allclose(traj["projections"][0, before], traj["projections"][2, before])
    assert not np.allclose(traj["projections"][0, -1], traj["projections"][2, -1])
    code, out, err = invoke(capsys, "plot", str(groups.with_name("sa_s1.h5")), "--kind", "pca",
                            "--out", str(tmp_path))
    assert code == 0, err
    assert [Path(p).name for p in out.split()] == ["sa_s1.pca.png"]
    assert (tmp_path / "sa_s1.pca.png").stat().st_size > 10_000


def test_train_takes_the_time_step_as_dt(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, err = invoke(capsys, "train", "sa_dt", "--task", "duration", "--dt", "50",
                            "--n-rec", "6", "--max-iters", "1", "--validation-trials", "20",
                            "--models-dir", str(tmp_path), "-q")
    assert code == 0, err
    model = load_model(Path(out.strip()))
    assert model.task.dt == 50.0 and model.network.config.alpha == pytest.approx(0.5)
    code, out, err = invoke(capsys, "train", "cdi_dt", "--dt", "10", "--models-dir", str(tmp_path))
    assert code == 2 and "takes no setting(s) dt" in err and not out
