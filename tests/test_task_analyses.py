"""Task-suite analyses on model files: traced attractors stored and drawn, period and sweep
inputs, per-task scores and the CDDM psychometric grid."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from rnntool.analysis.attractor_store import load_traces
from rnntool.analysis.task_analyses import load_sweep, period_input_set, store_sweep, trace_and_store
from rnntool.analysis.task_scores import grid_batch, grid_from_outputs, score_outputs
from rnntool.errors import ConfigError, RnnToolError
from rnntool.network.config import NetworkConfig
from rnntool.plotting.task_figures import attractor_figure, psychometric_grid_figure
from rnntool.plotting.task_projection import orthonormalise, projection_axes
from rnntool.storage import ModelRecord, write_model
from rnntool.tasks import make_task


@pytest.fixture()
def integrator_file(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A linear network that integrates the memory task's stimulus along v (a line attractor)."""
    n, rng = 6, np.random.default_rng(4)
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    w_in = np.zeros((n, 2))
    w_in[:, 0] = v
    config = NetworkConfig(n_in=2, n_rec=n, n_out=1, alpha=0.1, phi="linear", dtype="float64")
    weights = {"W_in": w_in, "W_rec": np.outer(v, v), "b": np.zeros(n), "W_out": -v[None],
               "b_out": np.zeros(1), "x0": np.zeros(n)}
    record = ModelRecord("integrator", make_task("memory_anti_number").config(), config.to_dict(),
                         {"name": "bptt"}, 0, weights)
    path = tmp_path / "integrator.h5"
    write_model(path, record)
    return path, v


def test_traced_line_is_stored_exactly_and_drawn(integrator_file: tuple[Path, np.ndarray],
                                                 tmp_path: Path) -> None:
    path, v = integrator_file
    with pytest.raises(RnnToolError):
        load_traces(path)
    traces, written = trace_and_store(path, "line", n_points=7, eig_tol=1e-8)
    assert written == path
    stored = load_traces(path)["line"]
    assert [label for label, _ in stored] == ["delay", "recall"]
    for (_, made), (_, read) in zip(traces, stored):
        assert np.array_equal(made.points, read.points) and np.array_equal(made.right, read.right)
        assert read.closed is False and read.alpha == 0.1 and read.counts()["marginal"] == 7
        along = read.points @ v
        assert along.min() == pytest.approx(-2.0, abs=1e-6) and along.max() == pytest.approx(2.0, abs=1e-6)
    figure = attractor_figure(stored, -v[None], "integrator")
    out = tmp_path / "trace.png"
    figure.savefig(out)
    assert out.stat().st_size > 10_000
    with pytest.raises(ConfigError):
        trace_and_store(path, "spiral")


def test_projection_axes_follow_the_task(integrator_file: tuple[Path, np.ndarray]) -> None:
    path, v = integrator_file
    traces, _ = trace_and_store(path, "line", n_points=7, eig_tol=1e-8)
    points = np.concatenate([t.points for _, t in traces])
    basis, names = projection_axes("memory_anti_number", {"W_out": -v[None]}, points, 3)
    assert names[0] == "readout" and np.allclose(basis @ basis.T, np.eye(3), atol=1e-12)
    assert abs(basis[0] @ v) == pytest.approx(1.0)
    # the line lies along the readout: its extent is all on the first axis
    xy = (points - points.mean(0)) @ basis.T
    assert np.ptp(xy[:, 0]) == pytest.approx(4.0, abs=1e-6) and np.abs(xy[:, 1:]).max() < 1e-6
    rng = np.random.default_rng(0)
    w_in, w_out = rng.standard_normal((8, 6)), rng.standard_normal((2, 8))
    basis, names = projection_axes("cddm", {"W_in": w_in, "W_out": w_out}, rng.standard_normal((5, 8)), 3)
    assert names[0].startswith("choice") and names[1].startswith("context")
    choice = (w_out[0] - w_out[1]) / np.linalg.norm(w_out[0] - w_out[1])
    assert np.allclose(basis[0], choice) and np.allclose(basis @ basis.T, np.eye(3), atol=1e-12)
    kept_basis, kept = orthonormalise([v, 2 * v, np.roll(v, 1)])
    assert kept == [0, 2] and len(kept_basis) == 2
    # a ring in the readout's null space, barely tilted towards it: principal axes, face on
    theta = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    ring = np.zeros((24, 8))
    ring[:, 0], ring[:, 1], ring[:, 2] = 20 * np.cos(theta), 20 * np.sin(theta), 0.1 * np.cos(theta)
    readout = np.eye(8)[2][None]
    basis, names = projection_axes("delaygo_continuous", {"W_out": readout}, ring, 2)
    assert names == ["PC1", "PC2"] and np.allclose(np.abs(basis[:, :2]).sum(0), 1.0, atol=1e-3)
    ring[:, 2] = 10 * np.cos(theta)  # now the ring varies along the readout too
    assert projection_axes("delaygo_continuous", {"W_out": readout}, ring, 2)[1][0] == "readout"


def test_period_and_sweep_input_sets(integrator_file: tuple[Path, np.ndarray]) -> None:
    task = make_task("delaygo,delayanti")
    arr, labels, stem = period_input_set(task, inputs="periods")
    assert stem == "periods" and arr.shape == (8, 5) and len(labels) == 8
    assert labels[0] == "delaygo fix/delay" and arr[0].tolist() == [1, 0, 0, 1, 0]
    arr, labels, stem = period_input_set(task, sweep="stim:delay", interp=4)
    assert arr.shape == (4 * 5, 5) and stem == "sweep4-stim-delay"
    assert period_input_set(task) is None
    with pytest.raises(ConfigError):
        period_input_set(make_task("cdi"), inputs="periods")
    with pytest.raises(ConfigError):
        period_input_set(task, sweep="stim:nothing")
    path, _ = integrator_file
    store_sweep(path, "k", task, "delaygo.delay:delayanti.delay", 10)
    sweep = load_sweep(path, "k")
    assert sweep.inputs.shape == (1, 11, 5) and sweep.positions[-1] == 1.0
    assert sweep.labels == ["delaygo.delay→delayanti.delay (stimulus=1)"]
    assert load_sweep(path, "other") is None


def test_scores_per_task_of_a_list() -> None:
    task = make_task("delaygo,dms", mix="trial")
    batch = task.validation_batch(torch.Generator().manual_seed(0), 40)
    perfect = score_outputs(task, batch.targets, batch)
    assert set(perfect) == {"delaygo", "dms"}
    assert all(s["mse"] == 0.0 and s["accuracy"] == 1.0 and s["trials"] == 20 for s in perfect.values())
    silent = score_outputs(task, torch.zeros_like(batch.targets), batch)
    assert silent["delaygo"]["accuracy"] == 0.0 and silent["delaygo"]["mse"] > 0


def test_psychometric_grid_of_ideal_outputs(tmp_path: Path) -> None:
    task = make_task("cddm")
    batch = grid_batch(task, 2, torch.Generator().manual_seed(0))
    assert len(batch) == 2 * 338
    outputs = batch.targets.clone()
    grid = grid_from_outputs(task, outputs, batch, 2)
    coh = grid["coherences"]
    right = grid["fraction_right"]
    assert right.shape == (2, 13, 13) and float(np.abs(grid["mse"]).max()) == 0.0
    assert np.array_equal(right[0], np.broadcast_to((coh > 0)[:, None], (13, 13)).astype(float))
    assert np.array_equal(right[1], np.broadcast_to((coh > 0)[None, :], (13, 13)).astype(float))
    figure = psychometric_grid_figure(grid)
    out = tmp_path / "grid.png"
    figure.savefig(out)
    assert out.stat().st_size > 10_000


def test_fixed_points_at_period_inputs_and_along_a_sweep(tmp_path: Path) -> None:
    """A linear network x ← (1−α)x + α(W x + W_in u) with W = 0.5 I has one fixed point per
    input, x* = 2 W_in u: found at every period input and at every point of a sweep."""
    from rnntool.analysis.fixedpoints import FinderSettings, load_fixed_points
    from rnntool.analysis.task_analyses import find_at_task_inputs

    task = make_task("delaygo,delayanti", smoothing=0)
    n, rng = 5, np.random.default_rng(5)
    w_in = rng.standard_normal((n, task.n_in))
    config = NetworkConfig(n_in=task.n_in, n_rec=n, n_out=3, alpha=0.2, phi="linear", dtype="float64")
    weights = {"W_in": w_in, "W_rec": 0.5 * np.eye(n), "b": np.zeros(n), "W_out": np.zeros((3, n)),
               "b_out": np.zeros(3), "x0": np.zeros(n)}
    path = tmp_path / "linear.h5"
    write_model(path, ModelRecord("linear", task.config(), config.to_dict(), {"name": "bptt"}, 0, weights))
    settings = FinderSettings(method="exact", n_inits=64)
    assert find_at_task_inputs(path, None, None, 20, settings) is None
    points, _ = find_at_task_inputs(path, "periods", None, 20, settings)
    assert len(points.inputs) == 8
    for i, u in enumerate(points.inputs):
        found = points.x[points.input_index == i]
        assert len(found) == 1 and np.allclose(found[0], 2 * w_in @ u, atol=1e-8)
    points, _ = find_at_task_inputs(path, None, "delaygo.go:delayanti.go", 4, settings)
    stored = load_fixed_points(path, points.key)
    sweep = load_sweep(path, points.key)
    assert sweep.inputs.shape == (1, 5, task.n_in) and len(stored.inputs) == 5
    assert np.allclose(stored.inputs, sweep.inputs[0])


def test_fixedpoints_command_traces_and_sweeps(integrator_file: tuple[Path, np.ndarray],
                                               capsys: pytest.CaptureFixture) -> None:
    from rnntool.cli.main import main

    path, _ = integrator_file
    with pytest.raises(SystemExit) as done:
        main(["fixedpoints", str(path), "--trace", "line", "--trace-points", "5", "--eig-tol", "1e-8"])
    out = capsys.readouterr()
    assert done.value.code == 0 and out.out.strip() == str(path)
    assert "marginal" in out.err and load_traces(path, "line")["line"][0][1].counts()["marginal"] == 5
    with pytest.raises(SystemExit) as done:
        main(["plot", str(path), "--kind", "attractors", "--out", str(path.parent / "fig")])
    assert done.value.code == 0 and (path.parent / "fig" / "integrator.attractors.png").exists()
    for dims, name in (("2", "attractor-map"), ("3", "attractor-map3d")):
        with pytest.raises(SystemExit) as done:
            main(["plot", str(path), "--kind", "attractor-map", "--dims", dims, "--out", str(path.parent / "fig")])
        assert done.value.code == 0 and (path.parent / "fig" / f"integrator.{name}.png").stat().st_size > 10_000
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["fixedpoints", str(path), "--inputs", "periods", "--n-inits", "32", "-q"])
    assert done.value.code == 0
    for bad in (["--trace", "line", "--inputs", "periods"], ["--sweep", "stim:delay", "--mode", "large"],
                ["--sweep", "nothing:delay"], ["--trace", "spiral"], ["--trace", "line", "--trace-reach", "0"]):
        with pytest.raises(SystemExit) as done:
            main(["fixedpoints", str(path), *bad])
        err = capsys.readouterr().err
        assert done.value.code == 2 and len(err.strip().splitlines()) == 1, (bad, err)


def test_evaluate_stores_per_task_scores_and_the_cddm_grid(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    from rnntool.cli.main import main
    from rnntool.network.initialisation import initial_parameters
    from rnntool.storage import read_model

    task = make_task("cddm")
    config = NetworkConfig(n_in=6, n_rec=8, n_out=2, alpha=0.1, phi="tanh", init="gaussian")
    weights = {k: v.numpy() for k, v in initial_parameters(config, torch.Generator().manual_seed(0)).items()}
    path = tmp_path / "cddm_random.h5"
    write_model(path, ModelRecord("cddm_random", task.config(), config.to_dict(), {"name": "bptt"}, 0, weights))
    with pytest.raises(SystemExit) as done:
        main(["evaluate", str(path), "--trials", "100"])
    assert done.value.code == 0 and "per task" in capsys.readouterr().err
    evaluation = read_model(path).evaluation
    scores = evaluation["per_task"]["cddm"]
    assert scores["trials"] == 100 and scores["mse"] > 0 and 0 <= scores["accuracy"] <= 1
    grid = evaluation["psychometric_grid"]
    assert grid["fraction_right"].shape == grid["mse"].shape == (2, 13, 13) and grid["repeats"] == 31
    assert float(grid["fraction_right"].min()) >= 0 and float(grid["fraction_right"].max()) <= 1
    with pytest.raises(SystemExit) as done:
        main(["plot", str(path), "--kind", "psychometric-grid", "--out", str(tmp_path / "fig")])
    assert done.value.code == 0
    assert (tmp_path / "fig" / "cddm_random.psychometric-grid.png").stat().st_size > 10_000


def test_per_task_scores_are_those_of_the_summary_trials() -> None:
    """evaluate scores each task of a list on the very trials of its summary metrics."""
    from rnntool.analysis.evaluation import evaluate
    from rnntool.network import Network

    task = make_task("delaygo,delayanti", mix="trial", durations="fixed")
    config = NetworkConfig(n_in=task.n_in, n_rec=8, n_out=task.n_out, alpha=0.2, phi="tanh",
                           init="gaussian", noise_rec=0.05)
    net = Network.initialise(config, torch.Generator().manual_seed(1))
    result = evaluate(net, task, seed=3, trials=60)
    metrics, per_task = result["metrics"], result["per_task"]
    assert sum(s["trials"] for s in per_task.values()) == 60
    for name, scores in per_task.items():
        assert scores["mse"] == pytest.approx(metrics[f"{name}.mse"], rel=1e-6)
        assert scores["accuracy"] == pytest.approx(metrics[f"{name}.accuracy"], abs=1e-12)
    assert evaluate(net, task, seed=3, trials=60)["per_task"] == per_task


def test_trajectory_classes_name_the_answer_channel() -> None:
    from rnntool.plotting.task_view import trial_classes

    cddm = make_task("cddm")
    batch = grid_batch(cddm, 1, torch.Generator().manual_seed(0))
    classes, labels = trial_classes(batch, cddm)
    assert labels == ["answer right", "answer left", "no answer"]
    relevant = torch.where(batch.conditions["context"] == 0, batch.conditions["motion"],
                           batch.conditions["colour"]).numpy()
    assert np.array_equal(classes, np.select([relevant > 0, relevant < 0], [0, 1], 2))
    flipflop = make_task("flipflop", bits=2)
    _, bits = trial_classes(flipflop.sample(64, torch.Generator().manual_seed(0)), flipflop)
    assert bits and all(label.startswith("final bits ") for label in bits)


def test_fixed_points_on_chosen_axes_and_the_sweep_in_3d(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    """A linear network (x* = 2 W_in u at every input): its sweep fixed points drawn on
    chosen axes (an input column, a readout row, a PC) and the interpolation figure in 3-D."""
    from rnntool.analysis.fixedpoints import FinderSettings
    from rnntool.analysis.task_analyses import find_at_task_inputs
    from rnntool.cli.main import main

    task = make_task("delaygo,delayanti", smoothing=0)
    n, rng = 6, np.random.default_rng(7)
    w_in, w_out = rng.standard_normal((n, task.n_in)), rng.standard_normal((3, n))
    config = NetworkConfig(n_in=task.n_in, n_rec=n, n_out=3, alpha=0.2, phi="linear", dtype="float64")
    weights = {"W_in": w_in, "W_rec": 0.5 * np.eye(n), "b": np.zeros(n), "W_out": w_out,
               "b_out": np.zeros(3), "x0": np.zeros(n)}
    path = tmp_path / "linear.h5"
    write_model(path, ModelRecord("linear", task.config(), config.to_dict(), {"name": "bptt"}, 0, weights))
    points, _ = find_at_task_inputs(path, None, "stim:delay", 4, FinderSettings(method="exact", n_inits=32))
    basis, names = projection_axes(task.name, weights, points.x, 3, ["input1", "readout2", "pc1"])
    assert names == ["input 1", "readout 2", "PC1"]
    assert np.allclose(basis @ basis.T, np.eye(3), atol=1e-12)
    assert np.allclose(basis[0], w_in[:, 1] / np.linalg.norm(w_in[:, 1]))
    with pytest.raises(ConfigError, match="cddm"):
        projection_axes(task.name, weights, points.x, 2, ["context"])
    with pytest.raises(ConfigError, match="span"):
        projection_axes(task.name, {"W_in": w_in, "W_out": np.stack([w_in[:, 1]] * 3)}, points.x, 2,
                        ["input1", "readout0"])
    out = tmp_path / "fig"
    for args, name in ((["--kind", "attractor-map", "--axes", "input1,readout2"], "attractor-map"),
                       (["--kind", "attractor-map", "--dims", "3"], "attractor-map3d"),
                       (["--kind", "sweep", "--dims", "3"], "sweep3d")):
        with pytest.raises(SystemExit) as done:
            main(["plot", str(path), *args, "--out", str(out), "-q"])
        assert done.value.code == 0 and (out / f"linear.{name}.png").stat().st_size > 10_000
    capsys.readouterr()
    for bad in (["--axes", "bogus"], ["--axes", "pc1,pc2,pc3"], ["--axes", "pc1,pc1"],
                ["--axes", "context"], ["--axes", "readout9"]):
        with pytest.raises(SystemExit) as done:
            main(["plot", str(path), "--kind", "attractor-map", *bad, "--out", str(tmp_path / "bad")])
        err = capsys.readouterr().err
        assert done.value.code == 2 and len(err.strip().splitlines()) == 1, (bad, err)
