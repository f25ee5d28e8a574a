"""The System A duration task: pulses, plateau targets, the free window as a mask, seeding."""

from __future__ import annotations

import pytest
import torch

from rnntool.errors import ConfigError
from rnntool.network import Network
from rnntool.rules import get_rule
from rnntool.tasks import make_task
from rnntool.training import network_for


def test_pulse_target_and_mask_of_one_trial() -> None:
    task = make_task("duration", dt=10.0)
    batch = task.trials(torch.tensor([3000.0, 2500.0]), torch.tensor([120.0, 0.0]))
    assert task.n_steps == 700 and batch.inputs.shape == (2, 700, 1)
    pulse = batch.inputs[0, :, 0]
    assert torch.equal(torch.nonzero(pulse).flatten(), torch.arange(300, 312))  # exactly 120 ms
    assert torch.all(pulse[300:312] == 2.0)
    target = batch.targets[0, :, 0]
    assert torch.all(target[:450] == 0) and torch.allclose(target[450:], torch.tensor(0.007 * 120))
    scored = batch.mask[0, :, 0] > 0
    assert scored[:300].all() and not scored[300:450].any() and scored[450:].all()
    assert set(batch.mask.unique().tolist()) == {0.0, 1.0}
    # the loss is the mean over trials of each trial's MSE over its scored steps
    outputs = batch.targets + 0.1
    want = (0.01 * 250 / 550 + 0.01) / 2  # trial 0: its 250 plateau steps of 550 scored are off
    outputs[0, 300:450] = 5.0  # the free window costs nothing
    outputs[0, :300] = 0.0
    assert task.loss(outputs, batch).item() == pytest.approx(want, rel=1e-5)
    # the no-cue trial: no input, target 0, every step scored
    assert not batch.inputs[1].any() and not batch.targets[1].any()
    assert (batch.mask[1] > 0).all() and not batch.conditions["cued"][1]


def test_drawn_trials_respect_the_ranges_and_the_seed() -> None:
    task = make_task("duration", dt=10.0, train_trials=0)
    a = task.sample(400, torch.Generator().manual_seed(3))
    b = task.sample(400, torch.Generator().manual_seed(3))
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.targets, b.targets)
    cued = a.conditions["cued"]
    d, onset = a.conditions["duration_ms"][cued], a.conditions["onset_ms"][cued]
    assert 0.02 < 1 - cued.float().mean() < 0.2
    assert d.min() >= 50 and d.max() < 250 and onset.min() >= 2000 and onset.max() < 4000
    steps = a.inputs[cued, :, 0].gt(0).sum(1)
    assert torch.equal(steps * 10.0, d)  # the pulse the network sees lasts d
    assert torch.allclose(a.targets[cued, -1, 0], 0.007 * d)
    free = a.mask[cued, :, 0] == 0  # the free window holds every pulse step
    assert torch.all(free[a.inputs[cued, :, 0] > 0])
    near = a.targets.clone()
    near[:, 450:] += 0.007 * 9.0  # a plateau 9 ms off is right; 11 ms off is wrong
    assert task.correct(near, a).all()
    near[:, 450:] += 0.007 * 2.0
    assert not task.correct(near, a).any()
    assert task.primary == "mse"


def test_fixed_training_set_is_drawn_from_the_seed() -> None:
    task = make_task("duration", dt=50.0, train_trials=50)
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    first, again = task.sample(20, g1), task.sample(20, g2)
    assert torch.equal(first.inputs, again.inputs)
    fixed = task.training_set(7)
    pool = {tuple(row.tolist()) for row in fixed.inputs[:, :, 0]}
    for _ in range(3):
        batch = task.sample(20, g1)
        assert all(tuple(r.tolist()) in pool for r in batch.inputs[:, :, 0])
    other = task.training_set(8)
    assert not torch.equal(fixed.conditions["onset_ms"], other.conditions["onset_ms"])
    with pytest.raises(ConfigError, match="exceed the 50 training trials"):
        task.sample(64, g1)


@pytest.mark.parametrize("settings,message", [
    ({"dt": 7.0}, "not a multiple of dt"),
    ({"report_ms": 4000.0}, "can end after report_ms"),
    ({"no_cue": 1.0}, "no_cue"),
    ({"duration_jitter_ms": 150.0}, "shortest pulse"),
])
def test_bad_settings_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_task("duration", **settings)


def test_task_defaults_build_system_a_and_train_like_the_original() -> None:
    task = make_task("duration", dt=10.0)
    rule_cls = get_rule(task.default_rule)
    rule = rule_cls.create(task)
    assert (rule.lr, rule.batch_size, rule.max_iters, rule.loss_reduction) == (1e-3, 32, 750, "mean")
    assert task.training_defaults["validate_every"] == 15
    cfg = network_for(rule_cls, task, n_rec=20)
    assert cfg.preset == "system-a" and cfg.alpha == pytest.approx(0.1)
    assert set(cfg.trainable) == {"W_in", "W_out"} and cfg.g == 1.5 and cfg.readout == "phi"
    assert network_for(rule_cls, task).n_rec == 500


def test_system_a_members_share_g_and_differ_in_i_and_w() -> None:
    task = make_task("duration", dt=10.0)
    cfg = network_for(get_rule("bptt"), task, n_rec=20)
    ensemble = Network.initialise(cfg, torch.Generator().manual_seed(1), members=3)
    other_seed = Network.initialise(cfg, torch.Generator().manual_seed(2))
    w_rec = ensemble.params["W_rec"]
    assert torch.equal(w_rec[0], w_rec[1]) and torch.equal(w_rec[0], other_seed.params["W_rec"][0])
    assert w_rec[0].std().item() == pytest.approx(1.5 / 20 ** 0.5, rel=0.2)
    for name in ("W_in", "W_out"):
        p = ensemble.params[name]
        assert not torch.equal(p[0], p[1]) and not torch.equal(p[0], other_seed.params[name][0])
    assert not ensemble.params["b"].any() and not ensemble.params["x0"].any()
    moved = Network.initialise(cfg.with_(cell_options={"rec_seed": 5}), torch.Generator().manual_seed(1))
    assert not torch.equal(moved.params["W_rec"][0], w_rec[0])
    assert torch.equal(moved.params["W_in"][0], ensemble.params["W_in"][0])


def test_experiment_b_trains_w_alone_and_the_files_say_g_is_shared(
        tmp_path, capsys: pytest.CaptureFixture) -> None:
    """``--train W_out`` (the study's Experiment B): I stays as drawn, w learns, G is shared."""
    import numpy as np
    from conftest import invoke

    from rnntool.engine.ensemble import initial_ensemble
    from rnntool.seeding import Seeds
    from rnntool.storage import read_model

    code, out, err = invoke(capsys, "train", "expb", "--task", "duration", "--dt", "50",
                            "--n-rec", "16", "--seeds", "1-2", "--train", "W_out",
                            "--max-iters", "3", "--opt", "batch_size=8",
                            "--validation-trials", "20", "--models-dir", str(tmp_path))
    assert code == 0, err
    task = make_task("duration", dt=50.0)
    cfg = network_for(get_rule("bptt"), task, n_rec=16).with_(trainable=("W_out",))
    start = initial_ensemble(cfg, [Seeds(1), Seeds(2)])
    models = [read_model(tmp_path / f"expb_s{s}.h5") for s in (1, 2)]
    for k, m in enumerate(models):
        assert m.network["trainable"] == ["W_out"]
        assert np.array_equal(m.weights["W_in"], start.to_numpy(k)["W_in"])
        assert not np.array_equal(m.weights["W_out"], start.to_numpy(k)["W_out"])
    assert np.array_equal(models[0].weights["W_rec"], models[1].weights["W_rec"])
    assert models[0].network["cell_options"]["rec_seed"] == 1
    group = (tmp_path / "expb.groups.txt").read_text()
    assert "share one frozen W_rec (G), drawn from rec_seed 1" in group
