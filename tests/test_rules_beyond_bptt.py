"""GA, full-FORCE, FORCE and Hebbian rules, the shared RLS code and the Miconi importer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import run_cli
from rnntool.errors import ConfigError
from rnntool.importers import export_miconi, import_miconi
from rnntool.models import load_model
from rnntool.network import CTRNN, preset_config
from rnntool.rules import PREFIXES, GeneticAlgorithm, get_rule, rule_from_model_name
from rnntool.rules.genetic import fitness
from rnntool.rules.hebbian import eligibility
from rnntool.rules.rls import RLS, rls_correct
from rnntool.seeding import Seeds
from rnntool.storage import read_model, write_model
from rnntool.tasks import make_task
from rnntool.training import TrainSettings, network_for, train


def tiny_task():
    """A short, easy RDM so every rule can learn it within seconds."""
    return make_task("rdm", steps=30, noise_std=0.1, coherence_max=0.5)


@pytest.mark.parametrize("rule_name, options, n_rec", [
    ("ga", {"population": 12, "batch_size": 64, "max_iters": 25}, 16),
    ("ff", {"update_from": 10, "alpha_rls": 10.0, "max_iters": 60}, 16),
    ("force", {"update_from": 10, "max_iters": 60}, 16),
    ("hebb", {"reward_window": 10, "eta": 10.0, "max_dw": 0.05, "batch_size": 64,
              "warmup_trials": 64, "perturb_prob": 0.05, "perturb_from": 2, "trace_from": 2,
              "max_iters": 50}, 16),
])
def test_each_rule_learns_a_tiny_task_above_chance(rule_name, options, n_rec):
    task = tiny_task()
    cls = get_rule(rule_name)
    rule = cls.create(task, **options)
    settings = TrainSettings(seed=1, validation_trials=100, validate_from=0.0, stop_window=5,
                             stop_threshold=0.95)
    net_config = network_for(cls, task, n_rec, **({"alpha": 0.3} if rule_name == "hebb" else {}))
    record = train("tiny", task, rule, net_config, settings)
    assert record.training["best_val_accuracy"] > 0.7
    assert record.rule["name"] == rule_name


def test_prefixes_select_the_rules():
    assert {PREFIXES[p] for p in ("ga", "ge")} == {"ga"}
    assert rule_from_model_name("force_0050") == "force"
    assert rule_from_model_name("ff_0050") == "ff"
    assert rule_from_model_name("hebb_0050") == rule_from_model_name("he_1") == "hebb"
    assert GeneticAlgorithm.create(make_task("rdm")).population == 50
    assert GeneticAlgorithm.create(make_task("cdi")).population == 20
    assert get_rule("ff").create(make_task("rdm")).alpha_rls == 5e4


def test_ga_best_fitness_never_worsens_under_elitism():
    task = tiny_task()
    rule = GeneticAlgorithm.create(task, population=8, elite=3, sigma=0.05, crossover=0.5)
    gen = torch.Generator().manual_seed(0)
    net = CTRNN.initialise(network_for(GeneticAlgorithm, task, 10), gen, members=8)
    batch = task.sample(50, gen)
    best = []
    for _ in range(12):
        losses, _ = fitness(net, task, batch, torch.Generator().manual_seed(3))
        best.append(float(losses.min()))
        elite_weights = net.params["W_rec"][int(torch.argmin(losses))].clone()
        net = rule.next_generation(net, losses, gen)
        assert torch.equal(net.params["W_rec"][0], elite_weights)
    assert all(b <= a + 1e-7 for a, b in zip(best, best[1:]))
    assert best[-1] < best[0]


def test_ga_mutates_only_the_chosen_weights():
    task = tiny_task()
    rule = GeneticAlgorithm.create(task, population=5, elite=1)
    gen = torch.Generator().manual_seed(0)
    net = CTRNN.initialise(network_for(GeneticAlgorithm, task, 6), gen, members=5)
    net.params["b"] += 1.0
    child = rule.next_generation(net, torch.arange(5.0), gen)
    assert torch.equal(child.params["b"], net.params["b"][[0] * 5])
    assert not torch.equal(child.params["W_rec"][1], net.params["W_rec"][0])


def test_rls_equals_the_ridge_solution():
    gen = torch.Generator().manual_seed(0)
    n, samples, alpha = 6, 40, 2.5
    rates = torch.randn(samples, n, generator=gen, dtype=torch.float64)
    targets = torch.randn(samples, 2, generator=gen, dtype=torch.float64)
    rls, w = RLS(n, alpha), torch.zeros(2, n, dtype=torch.float64)
    for r, y in zip(rates, targets):
        error = w @ r - y
        rls_correct(w, error, rls.gain(r))
    ridge = torch.linalg.solve(rates.T @ rates + alpha * torch.eye(n, dtype=torch.float64),
                               rates.T @ targets).T
    assert torch.allclose(w, ridge, atol=1e-10)
    assert torch.allclose(rls.P, torch.linalg.inv(rates.T @ rates + alpha * torch.eye(n, dtype=torch.float64)),
                          atol=1e-10)


def test_hebbian_eligibility_matches_a_hand_computation():
    gen = np.random.default_rng(0)
    steps, n, decay, trace_from = 6, 3, 0.05, 3
    x0 = gen.normal(size=n)
    xs = gen.normal(size=(steps, n))
    rates = np.tanh(xs)
    expected = np.zeros((n, n))
    expected_product = np.zeros((n, n))
    average, r_prev = x0.copy(), np.tanh(x0)
    for t in range(1, steps + 1):
        x = xs[t - 1]
        if t >= trace_from:
            for i in range(n):
                for j in range(n):
                    expected[i, j] += r_prev[j] * (x[i] - average[i]) ** 3
                    expected_product[i, j] += (r_prev[j] * (x[i] - average[i])) ** 3
        average = decay * average + (1 - decay) * x
        r_prev = rates[t - 1]
    as_t = lambda a: torch.from_numpy(a)  # noqa: E731
    args = (as_t(xs)[:, None, None], as_t(rates)[:, None, None], as_t(x0)[None, None],
            as_t(np.tanh(x0))[None, None], decay, trace_from)
    assert np.allclose(eligibility(*args)[0].numpy(), expected)
    assert np.allclose(eligibility(*args, cubic="product")[0].numpy(), expected_product)


def test_force_keeps_the_feedback_inside_w_rec():
    task = tiny_task()
    cls = get_rule("force")
    rule = cls.create(task, update_from=10, max_iters=5)
    settings = TrainSettings(seed=2, validation_trials=50, validate_from=0.0)
    net_config = network_for(cls, task, 12)
    initial = CTRNN.initialise(net_config, Seeds(2).generator("init")).to_numpy()
    record = train("f", task, rule, net_config, settings)
    w_out = record.weights["W_out"][0]
    change = record.weights["W_rec"] - initial["W_rec"]
    # W_rec = J + w_fb W_out: the change is an outer product whose rows are multiples of W_out
    assert np.abs(change).max() > 1e-4
    assert np.allclose(change, np.outer(change @ w_out / (w_out @ w_out), w_out), atol=1e-5)


def test_miconi_import_round_trip(tmp_path):
    task = make_task("cdi", contexts=2)
    gen = torch.Generator().manual_seed(0)
    net = CTRNN.initialise(preset_config("miconi", task.n_in, 14, dtype="float64"), gen)
    export_miconi(tmp_path / "net", net.to_numpy())
    record = import_miconi(tmp_path / "net", "heb", task)
    path = write_model(tmp_path / "heb.h5", record)
    model = load_model(path)
    for key in ("W_in", "W_rec"):
        assert np.allclose(model.network.to_numpy()[key], net.to_numpy()[key])
    assert model.network.config.clamp_units == (1, 10, 11)
    assert read_model(path).network["alpha"] == pytest.approx(1 / 30)


def test_bad_rule_options_are_config_errors():
    for rule, options in (("ga", {"population": 1}), ("hebb", {"cubic": "square"}),
                          ("ff", {"alpha_rls": 0}), ("force", {"lr": 1.0})):
        with pytest.raises(ConfigError):
            get_rule(rule).create(tiny_task(), **options)


def test_import_miconi_cli_and_bad_input(tmp_path):
    task = make_task("cdi", contexts=2)
    net = CTRNN.initialise(preset_config("miconi", task.n_in, 14), torch.Generator().manual_seed(1))
    export_miconi(tmp_path / "net", net.to_numpy())
    ok = run_cli("import-miconi", str(tmp_path / "net"), "hebb_x", "--N", "2", "--alpha", "0.1",
                 "--models-dir", str(tmp_path))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == str(tmp_path / "hebb_x.h5")
    before = (tmp_path / "hebb_x.h5").read_bytes()
    for args in ([str(tmp_path / "missing"), "y"], [str(tmp_path / "net"), "hebb_x"],
                 [str(tmp_path / "net"), "z", "--rdm"]):
        bad = run_cli("import-miconi", *args, "--models-dir", str(tmp_path))
        assert bad.returncode == 2, (args, bad.stderr)
        assert "Traceback" not in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1
        assert bad.stdout == ""
    assert (tmp_path / "hebb_x.h5").read_bytes() == before
    assert not (tmp_path / "z.h5").exists()
