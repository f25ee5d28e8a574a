"""``rnntool sweep``: a tiny grid on a 2-worker local Dask cluster, a SIGKILL of the driver
and its resumption, failures that do not stop other jobs, the SLURM job script, and one-line
errors for bad sweep files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import distributed
import h5py
import numpy as np
import psutil
import pytest

from rnntool.cli.main import main
from rnntool.executor import ExecutorSettings, Job, jobqueue_cluster, run_jobs
from rnntool.storage.population_file import read_population
from rnntool.sweeps import jobs
from rnntool.sweeps.run import run_sweep
from rnntool.sweeps.spec import load_sweep

TINY = """\
# a tiny McMahan et al. 2021 style grid
[sweep]
name = "tiny"
seeds = 2
chunk = 2

[grid]
rule = ["bptt", "ga"]
"task.contexts" = [1, 2]

[task]
name = "cdi"
noise_std = 0.1
steps = 30

[network]
n_rec = 8

[train]
validation_trials = 40
stop_window = 2

[rules.bptt]
max_iters = 6
batch_size = 16
lr = 0.01

[rules.ga]
max_iters = 4
batch_size = 16
population = 6
elite = 2

[evaluate]
trials = 40

[fixedpoints]
mode = "sparse"
method = "approx"
n_inits = 32
max_iters = 100

[[compare]]
name = "rule"
groups = "rule"

[[analysis]]
name = "svcca"
kind = "svcca"
on = ["rule", "cells"]

[[analysis]]
name = "svcca2"
kind = "svcca"
components = 2
conditions = 4

[[analysis]]
name = "topology"
kind = "topology"

[[figure]]
kind = "summary"
x = "task.contexts"
"""


def _sweep_file(folder: Path, text: str = TINY) -> Path:
    path = folder / "tiny.toml"
    path.write_text(text)
    return path


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny sweep run start to end on a 2-worker local cluster."""
    folder = tmp_path_factory.mktemp("sweep")
    sweep = load_sweep(_sweep_file(folder), out=folder / "out")
    result = run_sweep(sweep, ExecutorSettings(workers=2))
    assert result.report.ok, (result.report.failed, result.report.blocked)
    assert result.trained == 8
    return folder / "out"


def test_sweep_writes_models_groups_populations_and_summary(uninterrupted: Path) -> None:
    out = uninterrupted
    models = sorted(p.name for p in (out / "models").glob("*.h5"))
    assert len(models) == 8 and models[0] == "bptt_contexts1_s0.h5"
    with h5py.File(out / "models" / "ga_contexts2_s1.h5", "r") as f:
        assert "accuracy" in f["evaluation"].attrs
        assert "sparse_approx" in f["analyses/fixedpoints"]
    group_file = (out / "groups" / "rule_contexts2.txt").read_text().splitlines()
    assert group_file[1].split() == ["bptt"] + [f"../models/bptt_contexts2_s{s}.h5" for s in range(2)]
    assert group_file[2].split()[0] == "ga"
    for stem in ("rule_contexts1", "rule_contexts2"):
        for analysis in ("svcca", "svcca2", "topology"):
            attrs, tree = read_population(out / "groups" / f"{stem}.{analysis}.h5")
            assert tree["distances"].shape == (4, 4)
            assert list(tree["models"]["groups"]) == ["bptt"] * 2 + ["ga"] * 2
    attrs, _ = read_population(out / "groups" / "rule_contexts2.svcca2.h5")
    assert attrs["parameters"]["components"] == 2 and attrs["parameters"]["conditions"] == 4
    _, cell = read_population(out / "groups" / "cells" / "ga_contexts1.svcca.h5")
    assert cell["distances"].shape == (2, 2)
    assert (out / "figures" / "rule.silhouette_vs_contexts.png").stat().st_size > 10_000
    assert not (out / "groups" / "cells" / "ga_contexts1.topology.h5").exists()


def _children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _created(path: Path) -> str:
    """When the model was written by training (analyses added later keep it)."""
    with h5py.File(path, "r") as f:
        return str(f.attrs["created"])


def test_sigkill_then_rerun_keeps_finished_models_and_matches(uninterrupted: Path,
                                                                tmp_path: Path) -> None:
    sweep_file = _sweep_file(tmp_path)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    args = [sys.executable, "-m", "rnntool", "sweep", str(sweep_file), "--out", str(out),
            "--workers", "2", "-q"]
    driver = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while len(list((out / "models").glob("*.h5"))) < 2:
        assert driver.poll() is None, driver.stderr.read().decode()
        assert time.monotonic() < deadline, "no model written in time"
        time.sleep(0.05)
    workers = _children(driver.pid)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    gone, alive = psutil.wait_procs(workers, timeout=30)
    assert not alive, "worker processes outlived the killed driver"
    finished = {p: _created(p) for p in (out / "models").glob("*.h5")}
    assert 2 <= len(finished) < 8
    for path in finished:  # atomic writes: every model file there is complete
        with h5py.File(path, "r") as f:
            assert "weights/W_rec" in f

    rerun = subprocess.run(args, env=env, capture_output=True, text=True, timeout=400)
    assert rerun.returncode == 0, rerun.stderr
    for path, created in finished.items():
        assert _created(path) == created, f"{path.name} was trained again"
    assert _files(out) - {"sweep.json"} == _files(uninterrupted) - {"sweep.json"}  # no .tmp left
    for name in sorted(p.name for p in (uninterrupted / "models").glob("*.h5")):
        with h5py.File(out / "models" / name, "r") as a, \
                h5py.File(uninterrupted / "models" / name, "r") as b:
            for key in a["weights"]:
                assert np.array_equal(a["weights"][key][()], b["weights"][key][()]), name
            assert a["training"].attrs["iterations"] == b["training"].attrs["iterations"]
            assert a["evaluation"].attrs["accuracy"] == b["evaluation"].attrs["accuracy"]
            np.testing.assert_array_equal(a["analyses/fixedpoints/sparse_approx/x"][()],
                                          b["analyses/fixedpoints/sparse_approx/x"][()])
    for path in (uninterrupted / "groups").rglob("*.h5"):
        _, mine = read_population(out / path.relative_to(uninterrupted))
        _, reference = read_population(path)
        np.testing.assert_array_equal(mine["distances"], reference["distances"])
        assert mine["embedding"]["silhouette"] == pytest.approx(
            reference["embedding"]["silhouette"], nan_ok=True)


def test_bptt_chunk_trains_as_one_ensemble_and_a_partial_chunk_matches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A BPTT chunk is one batched run (single-run training is never called); with one of
    its files lost it writes that file again bit for bit and keeps the other."""
    sweep = load_sweep(_sweep_file(tmp_path), out=tmp_path / "out")
    cell = next(c for c in sweep.cells if c.rule == "bptt")
    paths = [str(tmp_path / f"{cell.model_name(s)}.h5") for s in (0, 1)]

    def no_single_runs(*args: object, **kwargs: object) -> None:
        raise AssertionError("a BPTT chunk trained a single run")

    monkeypatch.setattr(jobs, "train", no_single_runs)
    assert jobs.train_models(cell, [0, 1], paths) == {"trained": paths, "kept": []}
    with h5py.File(paths[0], "r") as f:
        first = {k: f["weights"][k][()] for k in f["weights"]}
    kept = _created(Path(paths[1]))
    os.remove(paths[0])
    assert jobs.train_models(cell, [0, 1], paths) == {"trained": paths[:1], "kept": paths[1:]}
    assert _created(Path(paths[1])) == kept
    with h5py.File(paths[0], "r") as f:
        for key, value in first.items():
            assert np.array_equal(f["weights"][key][()], value), key


def test_rerun_of_a_finished_sweep_has_nothing_to_do(uninterrupted: Path) -> None:
    sweep = load_sweep(_sweep_file(uninterrupted.parent), out=uninterrupted)
    before = {p: p.stat().st_mtime_ns for p in uninterrupted.rglob("*") if p.is_file()}
    result = run_sweep(sweep, ExecutorSettings(workers=1))
    assert result.plan.jobs == [] and result.report.ok and result.trained == 0
    after = {p: p.stat().st_mtime_ns for p in uninterrupted.rglob("*") if p.is_file()}
    assert {p: t for p, t in after.items() if p.suffix != ".png"} == \
        {p: t for p, t in before.items() if p.suffix != ".png"}


def _fails(message: str) -> None:
    raise RuntimeError(message)


def test_failing_job_does_not_stop_the_others() -> None:
    jobs = [Job("a", _fails, ("boom\nsecond line",)), Job("b", abs, (-3,), ("a",)),
            Job("c", abs, (-4,)), Job("d", abs, (-5,), ("b", "c"))]
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1,
                            dashboard_address=":0") as client:
        report = run_jobs(client, jobs)
    assert report.results == {"c": 4}
    assert report.failed == {"a": "RuntimeError: boom"}
    assert report.blocked == {"b": "not run: a failed", "d": "not run: a failed"}


def test_failed_training_job_exits_1_and_lists_it(tmp_path: Path, capsys) -> None:
    text = TINY.replace('"task.contexts" = [1, 2]', '"task.contexts" = [2]').replace(
        "chunk = 2", "chunk = 1")  # one job per seed: the failing one is seed 1 alone
    text = text[:text.index("[[analysis]]\nname = \"svcca2\"")]
    out = tmp_path / "out"
    (out / "models" / "ga_contexts2_s1.h5").mkdir(parents=True)  # cannot be replaced by a file
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", str(_sweep_file(tmp_path, text)), "--out", str(out), "--workers", "2"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert "failed train ga_contexts2 seeds 1:" in err
    assert "failed svcca rule_contexts2: not run: train ga_contexts2 seeds 1 failed" in err
    assert err.strip().splitlines()[-1].startswith("rnntool: error: 1 job(s) failed")
    assert "Traceback" not in err and "Compute Failed" not in err
    assert len(list((out / "models").glob("*.h5"))) == 4  # the three others and the folder
    assert (out / "groups" / "cells" / "bptt_contexts2.svcca.h5").is_file()


def test_slurm_job_script_from_dask_jobqueue() -> None:
    cluster = jobqueue_cluster("slurm", {"queue": "normal", "cores": 4, "memory": "8GB",
                                         "walltime": "01:30:00", "account": "lab"})
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert script.startswith("#!/usr/bin/env bash")
    for line in ("#SBATCH -p normal", "#SBATCH -A lab", "#SBATCH -t 01:30:00",
                 "#SBATCH --cpus-per-task=4"):
        assert line in script
    assert sys.executable in script
    assert "--nworkers 4" in script and "--nthreads 1" in script


def test_executor_settings_are_checked(tmp_path: Path, capsys) -> None:
    for args, message in (
            (["--workers", "0"], "workers must be ≥ 1"),
            (["--scheduler", "tcp://x:1", "--cluster", "slurm"], "not both"),
            (["--jobs", "3"], "--jobs must be ≥ 1 and needs --cluster"),
            (["--cluster", "slurm", "--cluster-opt", "no_such_option=1"], "bad --cluster-opt")):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            main(["sweep", str(_sweep_file(tmp_path)), "--out", str(tmp_path / "o"), *args])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2, err
        assert len(err.strip().splitlines()) == 1 and message in err, err


@pytest.mark.parametrize("old, new, line, words", [
    ('steps = 30', 'steps = 30 30', 14, "column"),                        # TOML syntax
    ('noise_std = 0.1', 'noise_sd = 0.1', 13, "has no setting 'noise_sd'"),
    ('"task.contexts" = [1, 2]', '"task.contexts" = [1, 0]', 9, "task.contexts"),
    ('lr = 0.01', 'learning_rate = 0.01', 26, "no option 'learning_rate'"),
    ('rule = ["bptt", "ga"]', 'rule = ["bptt", "sgd"]', 8, "unknown learning rule 'sgd'"),
    ('name = "svcca2"', 'name = "svcca2"\nwhat = 1', 54, "analysis[1].what: unknown setting"),
    ('conditions = 4', 'conditions = 3', 56, "cannot be split evenly over 2 contexts"),
    ('kind = "topology"', 'kind = "topology"\nmode = "large"', 61,
     "topology reads the fixed points of mode 'large'"),
    ('x = "task.contexts"', 'x = "rule"', 64, "must be a grid axis other than"),
])
def test_bad_sweep_file_is_one_line_naming_the_line(tmp_path: Path, capsys, old: str, new: str,
                                                     line: int, words: str) -> None:
    assert old in TINY
    text = TINY.replace(old, new, 1)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", str(_sweep_file(tmp_path, text)), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert f"tiny.toml, line {line}: " in err and words in err, err
    assert not (tmp_path / "o").exists()  # nothing is written before the file is checked


def test_scales_merge_and_out_overrides(tmp_path: Path) -> None:
    text = TINY + '\n[scale.micro]\nsweep = { seeds = 1 }\ngrid = { "task.contexts" = [2] }\n'
    sweep = load_sweep(_sweep_file(tmp_path, text), "micro", tmp_path / "x")
    assert sweep.seeds == (0,) and [c.label for c in sweep.cells] == ["bptt_contexts2", "ga_contexts2"]
    assert sweep.out == tmp_path / "x"
    with pytest.raises(Exception, match="no \\[scale.huge\\] table \\(scales in this file: micro\\)"):
        load_sweep(_sweep_file(tmp_path, text), "huge")


def test_models_trained_with_other_settings_are_refused(uninterrupted: Path, tmp_path: Path,
                                                         capsys) -> None:
    text = TINY.replace("lr = 0.01", "lr = 0.02")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", str(_sweep_file(tmp_path, text)), "--out", str(uninterrupted)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "bptt_contexts1_s0.h5 exists but was trained with other settings" in err
