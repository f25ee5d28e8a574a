"""Evidence tasks: statistics, masks, validation design, determinism; one test per registered task."""

from __future__ import annotations

import pytest
import torch

from rnntool.errors import ConfigError
from rnntool.tasks import TASKS, make_task
from rnntool.tasks.evidence import COHERENCE_MAX


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_registered_task_yields_consistent_batches(name: str) -> None:
    task = make_task(name)
    batch = task.sample(16, _gen())
    assert batch.inputs.shape == (16, task.n_steps, task.n_in)
    assert batch.targets.shape == batch.mask.shape == (16, task.n_steps, task.n_out)
    assert torch.isfinite(batch.inputs).all() and float(batch.mask.sum()) > 0
    assert all(v.shape[0] == 16 for v in batch.conditions.values())
    again = task.sample(16, _gen())
    assert torch.equal(batch.inputs, again.inputs) and torch.equal(batch.targets, again.targets)
    assert task.correct(batch.targets[None], batch).shape == (1, 16)
    assert make_task(name, **{k: v for k, v in task.config().items() if k != "name"}) == task


def test_cdi_statistics_and_targets() -> None:
    task = make_task("cdi", contexts=3, noise_std=0.5)
    batch = task.sample(4000, _gen())
    coh, signs, ctx = (batch.conditions[k] for k in ("coherence", "signs", "context"))
    assert float(coh.min()) >= 0 and float(coh.max()) < COHERENCE_MAX
    sensory = batch.inputs[..., :3]
    residual = sensory - (signs * coh[:, None])[:, None, :]
    assert float(residual.std()) == pytest.approx(0.5, rel=0.01)
    assert float(residual.mean()) == pytest.approx(0.0, abs=0.005)
    cue = batch.inputs[..., 3:]
    assert torch.equal(cue, torch.nn.functional.one_hot(ctx, 3).float()[:, None].expand_as(cue))
    want = signs.gather(1, ctx[:, None])[:, 0]
    assert torch.equal(batch.conditions["target"], want)
    assert torch.equal(batch.targets[:, -1, 0], want) and float(batch.targets[:, 0].abs().max()) == 0
    counts = torch.bincount(ctx, minlength=3).float() / 4000
    assert float((counts - 1 / 3).abs().max()) < 0.03


def test_first_last_loss_mask_and_response_window() -> None:
    task = make_task("rdm", steps=50)
    mask = task.sample(3, _gen()).mask[0, :, 0]
    assert mask.nonzero().flatten().tolist() == [0, 49]
    window = make_task("rdm", steps=50, loss_window="response", response_start=20).sample(3, _gen())
    assert window.mask[0, :, 0].nonzero().flatten().tolist() == list(range(20, 50))


def test_validation_design_cycles_twenty_levels_and_excludes_zero_coherence() -> None:
    task = make_task("cdi", contexts=2)
    val = task.validation_batch(_gen(), 2000)
    levels = torch.linspace(0, COHERENCE_MAX, 20)
    assert torch.equal(val.conditions["coherence"], levels[torch.arange(2000) % 20])
    scored = task.scored(val)
    assert int((~scored).sum()) == 100 and bool((val.conditions["coherence"][~scored] == 0).all())
    assert torch.equal(task.validation_batch(_gen(), 2000).inputs, val.inputs)


def test_psychometric_batch_sets_probed_channel_and_context() -> None:
    task = make_task("cdi", contexts=2, noise_std=0.0)
    batch = task.psychometric_batch(-0.072, 1, 50, _gen())
    assert torch.allclose(batch.inputs[..., 0], torch.full((50, 750), -0.072))
    assert bool((batch.inputs[..., 3] == 1).all()) and bool((batch.inputs[..., 2] == 0).all())


@pytest.mark.parametrize("settings", [{"noise_std": -0.1}, {"contexts": 0}, {"steps": 0},
                                      {"bogus": 1}, {"loss_window": "all"}])
def test_bad_task_settings_raise_config_errors(settings: dict) -> None:
    with pytest.raises(ConfigError):
        make_task("cdi", **settings)
    with pytest.raises(ConfigError):
        make_task("no-such-task")
