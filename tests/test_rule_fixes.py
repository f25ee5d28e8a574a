"""Bugs found in review of the rules and presets, each pinned by a test."""

from __future__ import annotations

import pytest
import torch

from rnntool.network import Network, preset_config
from rnntool.rules import get_rule
from rnntool.tasks import make_task
from rnntool.training import TrainSettings, network_for, train


@pytest.mark.parametrize("rule", ["force", "ff"])
def test_rls_rules_train_tasks_that_score_the_whole_trace(rule: str) -> None:
    """FORCE and full-FORCE used to crash with a raw RuntimeError on the flip-flop task."""
    task = make_task("flipflop", bits=1, steps=30)
    assert not task.decision_at_end
    cls = get_rule(rule)
    record = train("f", task, cls.create(task, update_from=5, max_iters=4), network_for(cls, task, 16),
                   TrainSettings(seed=0, validation_trials=20, validate_from=0.0))
    history = record.training["history"]
    assert record.training["iterations"] == 4 and len(history["loss"]) == 4
    assert all(v == v for v in history["loss"])  # the loss reads the whole trace


def test_rls_rules_stop_after_max_attempts() -> None:
    task = make_task("rdm", steps=20)
    cls = get_rule("force")
    rule = cls.create(task, update_from=5, trials_per_attempt=3, max_attempts=2, max_iters=100)
    record = train("f", task, rule, network_for(cls, task, 12),
                   TrainSettings(seed=0, validation_trials=20, stop_threshold=1.1))
    assert record.training["iterations"] == 6
    assert max(record.training["history"]["attempt"]) == 2


def test_miconi_outputs_read_unclamped_units() -> None:
    """With two outputs the second one used to read bias unit 1, clamped at 1 (std 0)."""
    cfg = preset_config("miconi", 3, 16, 2, dtype="float64")
    net = Network.initialise(cfg, torch.Generator().manual_seed(0))
    read = net.params["W_out"][0].nonzero()[:, 1].tolist()
    assert read == [0, 2] and not set(read) & set(cfg.clamp_units)
    assert torch.all(net.params["W_in"][0, read] == 0)
    out = net.simulate(torch.randn(4, 50, 3, dtype=torch.float64), net.initial_state(4)).outputs
    assert torch.all(out.std(dim=(0, 1, 2)) > 1e-3)
