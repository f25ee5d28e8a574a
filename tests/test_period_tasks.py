"""Period-based trials, the multitask delay tasks, the engellab tasks, task lists and user tasks."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

import echo_tasks
from rnntool.cli.main import main
from rnntool.errors import ConfigError
from rnntool.tasks import TASKS, make_task, task_from_config
from rnntool.tasks.periods import Period, Timeline, TrialStructure, smooth_inputs

LISTS = ["delaygo,delayanti", "delaygo,delayanti,dms,antidms", "dmts,cddm,flipflop"]


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _build(name: str):
    return make_task(name, mix="trial") if "," in name else make_task(name)


@pytest.mark.parametrize("name", sorted(TASKS) + LISTS)
def test_every_task_scores_its_own_targets_as_perfect(name: str) -> None:
    task = _build(name)
    batch = task.sample(24, _gen(1))
    assert batch.inputs.shape == (24, task.n_steps, task.n_in)
    assert batch.targets.shape == batch.mask.shape == (24, task.n_steps, task.n_out)
    assert bool(((batch.mask == 0) | (batch.mask == 1)).all()) and float(batch.mask.sum()) > 0
    assert float(task.loss(batch.targets, batch)) == 0.0
    scored = task.scored(batch)
    assert bool(task.correct(batch.targets, batch)[scored].all())
    assert not bool(task.correct(torch.zeros_like(batch.targets), batch)[scored].all())
    stacked = task.correct(batch.targets[None].expand(3, -1, -1, -1), batch)
    assert stacked.shape == (3, 24) and bool(stacked[:, scored].all())
    again, other = task.sample(24, _gen(1)), task.sample(24, _gen(2))
    assert torch.equal(batch.inputs, again.inputs) and torch.equal(batch.mask, again.mask)
    assert not torch.equal(batch.inputs, other.inputs)
    validation = task.validation_batch(_gen(3), 40)
    assert len(validation) == 40 and torch.equal(validation.inputs, task.validation_batch(_gen(3), 40).inputs)
    rebuilt = task_from_config(task.config())
    assert torch.equal(rebuilt.sample(24, _gen(1)).inputs, batch.inputs)


def test_timeline_lays_out_variable_periods_and_pads_with_mask_zero() -> None:
    structure = TrialStructure((Period("a", 40.0), Period("b", (20.0, 100.0)), Period("go", 100.0)), 20.0)
    assert structure.n_steps == 2 + 5 + 5
    durations = structure.draw(500, _gen())
    assert int(durations[:, 1].min()) == 1 and int(durations[:, 1].max()) == 5
    timeline = structure.timeline(durations)
    values = torch.arange(3.0)[None, :, None].expand(500, -1, 1)
    filled = timeline.fill(values)[..., 0]
    length = durations.sum(1)
    for b in range(3):
        n = int(length[b])
        want = [0.0] * 2 + [1.0] * int(durations[b, 1]) + [2.0] * 5
        assert filled[b, :n].tolist() == want and filled[b, n:].abs().sum() == 0
    mask = timeline.mask(1, grace={"go": 0.3})[..., 0]
    assert torch.equal(mask.sum(1), (length - 2).float())  # ⌈0.3·5⌉ = 2 steps of grace
    ignore = timeline.mask(1, scored=("go",), ignore=[("go", 20.0, 60.0)], dt=20.0)[..., 0]
    assert ignore.sum(1).tolist() == [3.0] * 500


def test_smoothing_is_a_centred_moving_average_per_trial() -> None:
    step = torch.zeros(4, 40, 2)
    step[:, 10:30] = 1.0
    assert torch.equal(smooth_inputs(step, 1, _gen()), step)
    smooth = smooth_inputs(step, 9, _gen())
    assert torch.allclose(smooth.sum(1), step.sum(1), atol=1e-5)  # mass kept away from the ends
    assert float(smooth[:, 20].min()) == 1.0 and float(smooth[:, :5].abs().max()) == 0.0
    assert bool((smooth.diff(dim=1)[:, :19] >= -1e-6).all())  # monotone rise into the pulse


def test_delay_tasks_follow_the_multitask_definitions_with_defects_fixed() -> None:
    go, anti = make_task("delaygo", smoothing=0), make_task("delayanti", smoothing=0)
    batch = go.sample(64, _gen())
    tl = go.timeline(batch)
    in_go = tl.during("go")
    assert float(batch.inputs[..., 0][in_go].abs().max()) == 0.0
    assert float(batch.inputs[..., 0][tl.during("fix", "stim", "delay")].min()) == 1.0
    s = batch.conditions["stimulus"]
    answer = batch.targets[..., 1:][in_go].reshape(-1, 2)
    assert torch.equal(answer.argmax(-1) + 1, s.repeat_interleave(in_go.sum(1)))
    anti_batch = anti.sample(64, _gen())
    assert torch.equal(anti_batch.conditions["stimulus"], s)
    assert torch.equal(anti_batch.targets[..., 1], batch.targets[..., 2])
    grace = math.ceil(0.1 * float(tl.durations[0, 3]))
    onset = int(tl.onsets[0, 3])
    assert batch.mask[0, onset:onset + grace].sum() == 0 and batch.mask[0, onset + grace, 0] == 1
    cont = make_task("delaygo_continuous", smoothing=0).sample(32, _gen())
    ctl = make_task("delaygo_continuous").timeline(cont)
    assert float(cont.inputs[..., 0][ctl.during("go")].abs().max()) == 0.0  # fixation off in go
    dms = make_task("dms", durations="fixed", smoothing=0)
    trials = dms.condition_batch(_gen())
    go_targets = trials.targets[:, -10:, 1:].sum((1, 2))
    assert go_targets.tolist() == [10.0, 0.0, 0.0, 10.0]  # respond on match only
    assert dms.structure().names == ("fix", "stim1", "delay1", "stim2", "delay2", "go")
    with_var = make_task("dms", durations="fix=300-700,go=400").structure()
    assert with_var.step_bounds().tolist() == [[15, 35], [10, 80], [10, 80], [10, 80], [10, 80], [20, 20]]


def test_delay_correct_rule_needs_fixation_then_the_right_response() -> None:
    task = make_task("delaygo", smoothing=0)
    batch = task.sample(8, _gen())
    perfect = batch.targets.clone()
    assert bool(task.correct(perfect, batch).all())
    tl = task.timeline(batch)
    early = perfect.clone()
    early[:, 3, 1:] = 0.8  # a premature response in the fixation period
    assert not bool(task.correct(early, batch).any())
    released = perfect.clone()
    released[torch.arange(8), tl.onsets[:, 3] - 1, 0] = 0.2  # fixation released before go
    assert not bool(task.correct(released, batch).any())
    assert bool(task.correct(perfect[None].expand(2, -1, -1, -1), batch).all())
    swapped = perfect[..., [0, 2, 1]]
    assert not bool(task.correct(swapped, batch).any())


def test_engellab_tasks_match_the_pipeline_timing_and_masks() -> None:
    cddm = make_task("cddm")
    assert cddm.coherences.tolist() == pytest.approx(
        [-0.8, -0.4, -0.2, -0.1, -0.05, -0.025, 0.0, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8])
    grid = cddm.condition_batch(_gen())
    assert len(grid) == 338 and cddm.n_steps == 600
    scored = grid.mask[0, :, 0].nonzero().flatten()
    assert scored.tolist() == list(range(200)) + list(range(400, 600))
    assert int(cddm.scored(grid).sum()) == 338 - 26
    row = grid.inputs[100, 300]
    assert row[2] + row[3] == pytest.approx(1.0) and row[4] + row[5] == pytest.approx(1.0)
    dmts = make_task("dmts")
    b = dmts.condition_batch(_gen())
    assert b.mask[0, :, 0].nonzero().flatten().tolist() == list(range(60)) + list(range(90, 120))
    assert b.targets[:, -1].tolist() == [[1, 0], [0, 1], [0, 1], [1, 0]]
    memory = make_task("memory_anti_number")
    trials = memory.sample(400, _gen())
    onset = trials.conditions["onsets"][:, 1]
    assert int(onset.min()) >= 0 and int(onset.max()) <= 139 and len(onset.unique()) > 50
    assert bool((trials.conditions["length"] == 320).all())
    assert trials.mask[0, :, 0].nonzero().flatten().tolist() == list(range(160)) + list(range(180, 320))
    value = trials.conditions["value"]
    assert torch.allclose(trials.targets[:, -1, 0], -value)
    stim = trials.inputs[..., 0]
    assert torch.allclose(stim.sum(1), 10 * value, atol=1e-4)
    angle = make_task("memory_anti_angle").sample(50, _gen())
    assert torch.allclose(angle.targets[:, -1].norm(dim=-1), torch.full((50,), 2.0))
    assert torch.allclose(angle.targets[:, -1], -angle.inputs.sum(1)[:, :2] / 10, atol=1e-4)


def test_task_lists_share_channels_and_add_a_task_id() -> None:
    task = make_task("delaygo,delayanti,dms")
    assert task.input_names == ("fixation", "stimulus 1", "stimulus 2",
                                "task delaygo", "task delayanti", "task dms")
    assert task.n_out == 3 and task.n_steps == make_task("dms").n_steps
    for seed in range(4):
        batch = task.sample(16, _gen(seed))
        assert len(batch.conditions["task"].unique()) == 1  # one task per batch by default
    mixed = make_task("delaygo,cddm", mix="trial", smoothing=0)
    assert mixed.tasks[0].smoothing == 0
    batch = mixed.sample(64, _gen())
    k = batch.conditions["task"]
    assert set(k.tolist()) == {0, 1}
    assert bool((batch.inputs[k == 0, :, mixed.n_in - 2] == 1).all())
    assert float(batch.mask[k == 0][..., 3:].sum()) == 0.0  # CDDM's outputs free in delaygo trials
    assert float(batch.mask[k == 0][:, 230:].sum()) == 0.0  # padding after the shorter task
    outputs = batch.targets.clone()
    rows = (k == 1).nonzero()[:, 0]
    outputs[rows, -1, 3:] = outputs[rows, -1, 3:].flip(-1)
    outputs[rows, 400:, 3:] = outputs[rows, 400:, 3:].flip(-1)
    correct = mixed.correct(outputs, batch)
    assert bool(correct[k == 0].all())
    scored = mixed.scored(batch)
    assert not bool(correct[(k == 1) & scored].any())


@pytest.mark.parametrize("name, settings", [
    ("delaygo", {"durations": "bogus"}), ("delaygo", {"durations": "go=10"}),
    ("delaygo", {"durations": "stim=900-100"}), ("delaygo", {"grace": 1.0}),
    ("dms", {"smoothing": -1}), ("cddm", {"levels": 0}), ("memory_anti_number", {"values": 1}),
    ("memory_anti_number", {"latest_onset": 155.0}), ("memory_anti_angle", {"grace": 200.0}),
    ("delaygo,delayanti", {"bogus": 1}), ("delaygo,delaygo", {}), ("delaygo,nosuch", {}),
    ("delaygo,delayanti", {"mix": "both"}), ("nofile.py:Task", {}), ("x:y", {})])
def test_bad_task_settings_are_config_errors(name: str, settings: dict) -> None:
    with pytest.raises(ConfigError):
        make_task(name, **settings)


@pytest.mark.parametrize("args, fragment", [
    (["--task", "delaygo", "--task-opt", "durations=fix=abc"], "durations"),
    (["--task", "delaygo,nosuch"], "unknown task"),
    (["--task", "missing_file.py:MyTask"], "does not exist"),
])
def test_cli_rejects_bad_task_settings_in_one_line(args: list[str], fragment: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["train", "bptt_x", *args, "--models-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert fragment in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_a_task_class_from_the_users_file(tmp_path: Path) -> None:
    path = tmp_path / "my_tasks.py"
    path.write_text(Path(echo_tasks.__file__).read_text())
    task = make_task(f"{path}:SignEcho", steps=12)
    batch = task.sample(8, _gen())
    assert batch.inputs.shape == (8, 12, 1) and bool(task.correct(batch.targets, batch).all())
    config = task.config()
    assert config["name"] == f"{path.resolve()}:SignEcho" and config["steps"] == 12
    assert task_from_config(config).steps == 12
    path.unlink()
    with pytest.raises(ConfigError, match="does not exist"):
        task_from_config(config)
    (tmp_path / "broken.py").write_text("raise RuntimeError('nope')\n")
    with pytest.raises(ConfigError, match="failed to load"):
        make_task(f"{tmp_path / 'broken.py'}:Echo")
    (tmp_path / "other.py").write_text("class Echo: pass\n")
    with pytest.raises(ConfigError, match="deriving from rnntool.tasks.Task"):
        make_task(f"{tmp_path / 'other.py'}:Echo")


def test_neurogym_tasks_adapt_or_explain_the_missing_extra() -> None:
    try:
        import neurogym  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match=r"pip install 'rnntool\[neurogym\]'"):
            make_task("neurogym:PerceptualDecisionMaking-v0")
        return
    task = make_task("neurogym:PerceptualDecisionMaking-v0")
    assert (task.n_in, task.n_out) == (3, 3) and task.n_steps >= 2
    batch = task.sample(32, _gen())
    assert batch.inputs.shape == (32, task.n_steps, 3)
    assert torch.equal(batch.inputs, task.sample(32, _gen()).inputs)
    assert bool(task.correct(batch.targets, batch).all())
    assert float(task.loss(batch.targets, batch)) == 0.0
    assert task_from_config(task.config()).n_steps == task.n_steps
    with pytest.raises(ConfigError):
        make_task("neurogym:NoSuchTask-v9")


def test_the_documented_worked_example_runs(tmp_path: Path) -> None:
    text = (Path(__file__).parent.parent / "docs" / "user_tasks.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "my_tasks.py"
    path.write_text(code)
    task = make_task(f"{path}:Interval", long=1000.0)
    batch = task.sample(64, _gen())
    assert batch.inputs.shape == (64, task.n_steps, 2)
    assert float(task.loss(batch.targets, batch)) == 0.0
    assert bool(task.correct(batch.targets, batch).all())
    longer = batch.conditions["long"].bool()
    assert 0 < int(longer.sum()) < 64
    assert bool(task.correct(batch.targets[..., [0, 2, 1]], batch).logical_not().all())
