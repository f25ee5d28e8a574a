"""Metrics, stopping rules, the monitor and best-model tracking of the training engine."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from echo_tasks import Echo
from rnntool.analysis.evaluation import evaluate
from rnntool.engine.metrics import Tally, direction, improves, masked_mse
from rnntool.engine.stopping import Budget, Plateau, StopCriteria, Threshold, parse_stop
from rnntool.engine.validation import ValidationSet, output_trace
from rnntool.errors import ConfigError
from rnntool.network import CTRNN, preset_config
from rnntool.network.ctrnn import final_outputs
from rnntool.rules import BPTT
from rnntool.seeding import Seeds
from rnntool.tasks import make_task
from rnntool.training import TrainSettings, make_monitor, network_for, rule_for, train


def test_stopping_rule_parsing_and_errors() -> None:
    rule = parse_stop("val_accuracy >= 0.9 for 10")
    assert isinstance(rule, Threshold) and (rule.op, rule.value, rule.window) == (">=", 0.9, 10)
    assert isinstance(parse_stop("val_mse plateau 20 1e-4"), Plateau)
    assert parse_stop("iterations 7").limit == 7
    for bad in ("val_mse ~ 3", "plateau", "val_accuracy>=0.9 for 0"):
        with pytest.raises(ConfigError):
            parse_stop(bad)


def test_threshold_needs_consecutive_checks_and_skipped_checks_fail() -> None:
    rule = Threshold("val_accuracy", ">=", 0.9, 3)
    seq = [0.95, 0.95, float("nan"), 0.91, 0.99]
    fired = [rule.update({"val_accuracy": v}) for v in seq]
    assert fired == [False, False, False, False, False]
    assert rule.update({"val_accuracy": 0.9}) is True
    rule.update({"loss": 1.0})  # an iteration without a check leaves the streak alone
    assert rule.streak == 3
    low = Threshold("val_mse", "<=", 0.03, 1)
    assert not low.update({"val_mse": 0.031}) and low.update({"val_mse": 0.03})


def test_plateau_counts_checks_without_improvement_in_the_metric_direction() -> None:
    rule = Plateau("val_mse", patience=2, min_delta=0.01)
    assert [rule.update({"val_mse": v}) for v in (1.0, 0.5, 0.495, 0.2, 0.3, 0.25)] == \
        [False, False, False, False, False, True]
    up = Plateau("val_accuracy", patience=1)
    assert not up.update({"val_accuracy": 0.5}) and not up.update({"val_accuracy": 0.6})
    assert up.update({"val_accuracy": 0.6})


def test_criteria_report_what_fired_and_budget_is_not_convergence() -> None:
    crit = StopCriteria.from_specs(["val_mse<=0.1"], max_iters=3)
    assert not crit.update({"iteration": 1, "val_mse": 0.5})
    assert crit.update({"iteration": 2, "val_mse": 0.05}) and crit.converged
    budget = crit.fresh()
    assert budget.fired == "" and isinstance(budget.budget, Budget)
    assert not budget.update({"iteration": 2, "val_mse": 0.5})
    assert budget.update({"iteration": 3, "val_mse": 0.5}) and not budget.converged
    assert budget.fired == "iterations 3"


def test_metric_directions_and_tally_combination() -> None:
    assert direction("val_accuracy") == "max" and direction("val_mse") == "min"
    assert improves("val_mse", 0.1, 0.2) and not improves("val_accuracy", 0.1, 0.2)
    assert improves("val_mse", 0.1, float("nan")) and not improves("val_mse", float("nan"), 0.1)
    a = Tally(torch.tensor([1.0, 4.0]), torch.tensor([2.0, 2.0]))
    b = Tally(torch.tensor([3.0, 0.0]), torch.tensor([2.0, 0.0]))
    np.testing.assert_allclose((a + b).value(), [1.0, 2.0])
    assert np.isnan(Tally(torch.tensor([0.0]), torch.tensor([0.0])).value()[0])


def test_masked_mse_is_normalised_by_evaluated_elements_and_chunks_sum_exactly() -> None:
    batch = Echo().sample(6, torch.Generator().manual_seed(1))
    outputs = torch.zeros((2, 6, 12, 1))
    outputs[1] += 1.0
    mse = masked_mse(outputs, batch).value()
    expected = [float((batch.targets[:, 6:] ** 2).mean()), float(((batch.targets[:, 6:] - 1) ** 2).mean())]
    np.testing.assert_allclose(mse, expected, rtol=1e-6)
    halves = masked_mse(outputs[:, :3], batch.subset(slice(0, 3))) + masked_mse(
        outputs[:, 3:], batch.subset(slice(3, 6)))
    np.testing.assert_allclose(halves.value(), mse, rtol=1e-6)


def test_tasks_report_mse_always_and_accuracy_only_with_a_correct_answer() -> None:
    cdi, echo = make_task("cdi", steps=20), Echo()
    assert cdi.primary == "accuracy" and echo.primary == "mse"
    assert cdi.stop_specs == ("val_accuracy>=0.9 for 10",) and echo.stop_specs == ()
    batch = cdi.sample(8, torch.Generator().manual_seed(0))
    assert set(cdi.metric_sums(torch.zeros((1, 8, 20, 1)), batch)) == {"mse", "accuracy"}
    assert set(echo.metric_sums(torch.zeros((1, 4, 12, 1)), echo.sample(4, torch.Generator()))) == {"mse"}


def _net(n_in: int = 1, n_rec: int = 8, members: int = 1, seed: int = 0) -> CTRNN:
    cfg = preset_config("ctrnn", n_in, n_rec, 1, trainable=("W_rec", "W_out"))
    return CTRNN.initialise(cfg, torch.Generator().manual_seed(seed), members)


def test_output_trace_and_final_outputs_equal_a_full_simulate() -> None:
    net = _net(members=3)
    inputs = torch.randn((5, 23, 1), generator=torch.Generator().manual_seed(2))
    x0 = net.initial_state(5, torch.Generator().manual_seed(3))
    full = net.simulate(inputs, x0).outputs
    torch.testing.assert_close(output_trace(net, inputs, x0, time_chunk=4), full, rtol=1e-5, atol=1e-6)
    first, last = final_outputs(net, inputs, x0, time_chunk=5)
    torch.testing.assert_close(first, full[:, :, 0], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(last, full[:, :, -1], rtol=1e-5, atol=1e-6)


def test_evaluate_on_a_task_without_a_correct_answer_reports_mse() -> None:
    result = evaluate(_net(), Echo(), seed=1, trials=50)
    assert "accuracy" not in result and result["primary_metric"] == "mse"
    assert np.isfinite(result["metrics"]["mse"]) and result["metrics"]["mse"] > 0


def test_monitor_keeps_the_best_network_per_member_by_the_primary_metric() -> None:
    task = Echo()
    seeds = [Seeds(1), Seeds(2)]
    net = _net(members=2)
    settings = TrainSettings(validation_trials=40, stop=())
    rule = BPTT.create(task, max_iters=4)
    with make_monitor(task, rule, settings, seeds, 8) as monitor:
        targets = {0: [0.0, 2.0, 0.0, 0.0], 1: [0.0, 0.0, 0.0, 1.0]}  # how much to spoil each member
        clean = {n: v.clone() for n, v in net.params.items()}
        for it in range(4):
            for k in (0, 1):
                net.params["W_out"][k] = clean["W_out"][k] * (1 + targets[k][it])
                net.params["b_out"][k] = clean["b_out"][k] + targets[k][it]
            stopped = monitor.record_all(net, np.zeros(2), np.full(2, np.nan))
        assert stopped.all()
    mse = [monitor.history_arrays(k)["val_mse"] for k in (0, 1)]
    for k in (0, 1):
        assert monitor.tracks[k].best_iteration == int(np.argmin(mse[k]))
        assert monitor.tracks[k].best_value == pytest.approx(mse[k].min())
        assert set(monitor.history_arrays(k)) >= {"loss", "val_mse", "seconds"}
    best = monitor.best_networks(net)
    assert mse[0][1] > mse[0][0] and mse[1][3] > mse[1][0]
    assert float(ValidationSet.metrics(monitor.validation, best, task)["mse"][0]) == pytest.approx(mse[0].min())


def test_training_stops_on_a_regression_metric() -> None:
    task = Echo()
    rule = BPTT.create(task, lr=0.05, batch_size=16, max_iters=300, loss="mse")
    cfg = network_for(BPTT, task, 8, "ctrnn", trainable=("W_in", "W_rec", "W_out", "b_out"))
    record = train("echo", task, rule, cfg, TrainSettings(validation_trials=50,
                                                          stop=("val_mse<=0.002 for 2",)))
    t = record.training
    assert t["converged"] and t["stopped_by"] == "val_mse<=0.002 for 2"
    assert t["iterations"] < 300 and t["best_val_mse"] <= 0.002
    assert t["final_val_mse"] == pytest.approx(t["best_val_mse"], rel=1e-5)


def test_old_stop_flags_still_set_the_accuracy_rule_and_task_defaults_pick_the_rule() -> None:
    cdi = make_task("cdi")
    assert TrainSettings().stop_specs(cdi) == ["val_accuracy>=0.9 for 10"]
    assert TrainSettings(stop_threshold=0.95, stop_window=5).stop_specs(cdi) == ["val_accuracy>=0.95 for 5"]
    assert TrainSettings(stop=("val_mse plateau 3",), stop_window=4).stop_specs(cdi) == \
        ["val_mse plateau 3", "val_accuracy>=0.9 for 4"]
    flipflop = make_task("flipflop")
    assert rule_for("mt_1", flipflop) is BPTT
    assert BPTT.create(flipflop).lr == 1e-2 and BPTT.create(flipflop, lr=1e-3).lr == 1e-3
    assert rule_for("mt_1", cdi) is BPTT and rule_for("ga_1", flipflop).name == "ga"
    with pytest.raises(ConfigError):
        rule_for("mt_1", Echo())
