"""The closed-loop IBL task through the command line: train, evaluate, plot, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import torch

from rnntool.cli.main import main
from rnntool.envs import IBLEnvironment
from rnntool.envs.agents import NetworkAgent, agent_config, agent_network, elman_config, elman_network
from rnntool.envs.training import ClosedLoopSettings
from rnntool.models import load_model
from rnntool.storage.session_record import read_session_record

TINY = ["--task", "ibl", "--task-opt", "blocks_per_session=1", "--task-opt", "max_block_trials=22",
        "--n-rec", "6", "--max-iters", "2", "--opt", "sessions=2", "--opt", "lr=0.01",
        "--opt", "truncate=40", "--opt", "log_every=1"]


def invoke(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_train_evaluate_plot_a_closed_loop_model(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                 cell: str) -> None:
    code, out, err = invoke(capsys, "train", "ibl_tiny", *TINY, "--cell", cell,
                            "--models-dir", str(tmp_path), "-q")
    assert code == 0, err
    path = Path(out.strip())
    assert path == tmp_path / "ibl_tiny.h5"
    model = load_model(path)
    assert isinstance(model.task, IBLEnvironment) and model.task.max_block_trials == 22
    assert model.network.config.cell == cell and model.network.cell.name == cell
    assert model.record.rule["optimizer"] == "adam" and model.record.rule["preset"] == "default"
    assert len(model.record.training["history"]["correct_per_trial"]) == 2
    code, out, err = invoke(capsys, "evaluate", str(path), "--sessions", "2", "--blocks", "1", "-q")
    assert code == 0, err
    evaluation = load_model(path).record.evaluation
    assert set(evaluation["metrics"]) >= {"network", "bayesian_actor", "blockless_actor",
                                          "exponential_actor", "observer_at_network_decisions"}
    with h5py.File(path, "r") as f:
        rows = read_session_record(f["evaluation/session"])
    assert rows["hidden_state"].shape[1] == 6
    assert len(rows["step"]) == int(rows["trial_end"].sum() * evaluation["metrics"]["network"]["steps_per_trial"] + 0.5)
    code, out, err = invoke(capsys, "plot", str(path), "--kind", "behaviour", "--out",
                            str(tmp_path / "fig"), "-q")
    assert code == 0, err
    assert Path(out.strip()).stat().st_size > 20000


def test_same_seed_trains_identical_closed_loop_models_and_logs_tensorboard_scalars(
        tmp_path: Path, capsys) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    for name in ("a", "b"):
        code, _, err = invoke(capsys, "train", name, *TINY, "--seed", "3", "--models-dir", str(tmp_path),
                              "--tensorboard", str(tmp_path / "runs"), "-q")
        assert code == 0, err
    events = EventAccumulator(str(tmp_path / "runs" / "a"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    # the scalars of Schaeffer et al. 2020 (their §5.4 metrics, block statistics, hidden-state PCs)
    assert tags >= {"objective", "action_taken_per_trial", "correct_per_action", "correct_per_trial",
                    "correct_per_step", "steps_per_trial", "feedback_per_step", "block_length_min",
                    "block_length_max", "trial_side_left_blocks", "trial_side_right_blocks",
                    "hidden_pc1_variance", "hidden_pc4_variance", "grad_norm", "lr"}
    history = load_model(tmp_path / "a.h5").record.training["history"]
    assert [e.value for e in events.Scalars("correct_per_trial")] == pytest.approx(
        history["correct_per_trial"].tolist())
    assert [e.step for e in events.Scalars("objective")] == [1, 2]
    a, b = load_model(tmp_path / "a.h5"), load_model(tmp_path / "b.h5")
    for key in a.record.weights:
        np.testing.assert_array_equal(a.record.weights[key], b.record.weights[key])


def _assert_steps_like_torch_rnn(net: Any, bias_hh: np.ndarray) -> None:
    """Step a 3-input, 7-unit agent network over random inputs beside a torch.nn.RNN holding
    its weights (and ``bias_hh``): the same activity and readout at every step."""
    w = net.to_numpy()
    rnn = torch.nn.RNN(3, 7, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for theirs, value in (("weight_ih_l0", w["W_in"]), ("weight_hh_l0", w["W_rec"]),
                              ("bias_ih_l0", w["b"]), ("bias_hh_l0", bias_hh)):
            getattr(rnn, theirs).copy_(torch.as_tensor(value))
    u = torch.randn(4, 9, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    h_ref, _ = rnn(u)
    agent = NetworkAgent(net)
    x = agent.initial_state(4)
    for t in range(9):
        x, out = agent.step(x, u[:, t])
        torch.testing.assert_close(agent.activity(x), h_ref[:, t])
        torch.testing.assert_close(out, h_ref[:, t] @ torch.as_tensor(w["W_out"]).T + torch.as_tensor(w["b_out"]))


def test_the_rnn_agent_is_the_registered_rnn_cell_and_equals_torch_rnn() -> None:
    config = agent_config(3, 7, 2, "rnn")
    assert config.cell == "rnn" and set(config.trainable) >= {"W_in", "W_rec", "b", "b_rec", "W_out", "b_out"}
    net = agent_network(config, torch.Generator().manual_seed(0))
    assert net.cell.name == "rnn"
    _assert_steps_like_torch_rnn(net, net.to_numpy()["b_rec"])


def test_paper_preset_is_schaeffer_et_al_sgd_and_explicit_settings_override_it() -> None:
    default = ClosedLoopSettings.from_options()
    assert (default.optimizer, default.lr, default.truncate, default.preset) == ("adam", 3e-3, 100, "default")
    assert ClosedLoopSettings() == default
    paper = ClosedLoopSettings.from_options(preset="paper")
    assert (paper.optimizer, paper.lr, paper.momentum, paper.truncate, paper.sessions) == ("sgd", 1e-3, 0.1, 0, 1)
    mine = ClosedLoopSettings.from_options(preset="paper", sessions=8, iterations=5)
    assert (mine.optimizer, mine.sessions, mine.iterations) == ("sgd", 8, 5)


def test_elman_network_equals_torch_rnn_step_by_step() -> None:
    config = elman_config(3, 7, 2)
    net = elman_network(config, torch.Generator().manual_seed(0))
    w = net.to_numpy()
    _assert_steps_like_torch_rnn(net, np.zeros(7))
    bound = 7 ** -0.5
    assert np.abs(w["W_rec"]).max() <= bound and np.abs(w["b"]).max() <= 2 * bound


@pytest.mark.parametrize("args,message", [
    (["--task-opt", "concordance=2"], "concordance"),
    (["--task-opt", "min_block_trials=0"], "min_block_trials"),
    (["-v", "0.5"], "-v does not apply"),
    (["--opt", "optimizer=lbfgs"], "optimizer"),
    (["--opt", "objective=mse"], "objective"),
    (["--opt", "bogus=1"], "bogus"),
    (["--opt", "preset=fast"], "preset"),
    (["--cell", "ctrnn"], "discrete cell"),
    (["--stop-threshold", "0.9"], "--stop-threshold does not apply"),
    (["--task-opt", "bogus=1"], "bogus")])
def test_bad_closed_loop_settings_give_one_line_errors(tmp_path: Path, capsys, args, message) -> None:
    code, out, err = invoke(capsys, "train", "x", "--task", "ibl", *args, "--models-dir", str(tmp_path))
    assert code == 2 and out == ""
    assert err.startswith("rnntool: error: ") and err.count("\n") == 1 and message in err
    assert not (tmp_path / "x.h5").exists()


def test_open_loop_analyses_refuse_a_closed_loop_model_in_one_line(tmp_path: Path, capsys) -> None:
    code, out, err = invoke(capsys, "train", "m", *TINY, "--max-iters", "1", "--models-dir", str(tmp_path), "-q")
    assert code == 0, err
    code, out, err = invoke(capsys, "fixedpoints", str(tmp_path / "m.h5"), "--inputs", "zeros", "-q")
    assert code == 2 and err.count("\n") == 1 and "closed-loop environment 'ibl'" in err
