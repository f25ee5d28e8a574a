"""The closed-loop IBL task through the command line: train, evaluate, plot, bad input."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from rnntool.cli.main import main
from rnntool.envs import IBLEnvironment
from rnntool.envs.agents import NetworkAgent, elman_config, elman_network
from rnntool.models import load_model
from rnntool.storage.session_record import read_session_record

TINY = ["--task", "ibl", "--task-opt", "blocks_per_session=1", "--task-opt", "max_block_trials=22",
        "--n-rec", "6", "--max-iters", "2", "--opt", "sessions=2", "--opt", "optimizer=adam",
        "--opt", "lr=0.01", "--opt", "truncate=40", "--opt", "log_every=1"]


def invoke(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


def test_train_evaluate_plot_a_closed_loop_model(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, err = invoke(capsys, "train", "ibl_tiny", *TINY, "--models-dir", str(tmp_path), "-q")
    assert code == 0, err
    path = Path(out.strip())
    assert path == tmp_path / "ibl_tiny.h5"
    model = load_model(path)
    assert isinstance(model.task, IBLEnvironment) and model.task.max_block_trials == 22
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


def test_same_seed_trains_identical_closed_loop_models(tmp_path: Path, capsys) -> None:
    for name in ("a", "b"):
        code, _, err = invoke(capsys, "train", name, *TINY, "--seed", "3", "--models-dir", str(tmp_path),
                              "--opt", f"tensorboard={tmp_path / 'runs'}", "-q")
        assert code == 0, err
    events = list((tmp_path / "runs" / "a").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 200
    a, b = load_model(tmp_path / "a.h5"), load_model(tmp_path / "b.h5")
    for key in a.record.weights:
        np.testing.assert_array_equal(a.record.weights[key], b.record.weights[key])


def test_elman_network_equals_torch_rnn_step_by_step() -> None:
    config = elman_config(3, 7, 2)
    net = elman_network(config, torch.Generator().manual_seed(0))
    w = net.to_numpy()
    rnn = torch.nn.RNN(3, 7, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.as_tensor(w["W_in"]))
        rnn.weight_hh_l0.copy_(torch.as_tensor(w["W_rec"]))
        rnn.bias_ih_l0.copy_(torch.as_tensor(w["b"]))
        rnn.bias_hh_l0.zero_()
    u = torch.randn(4, 9, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    h_ref, _ = rnn(u)
    agent = NetworkAgent(net)
    x = agent.initial_state(4)
    for t in range(9):
        x, out = agent.step(x, u[:, t])
        torch.testing.assert_close(agent.activity(x), h_ref[:, t])
        torch.testing.assert_close(out, h_ref[:, t] @ torch.as_tensor(w["W_out"]).T + torch.as_tensor(w["b_out"]))
    bound = 7 ** -0.5
    assert np.abs(w["W_rec"]).max() <= bound and np.abs(w["b"]).max() <= 2 * bound


@pytest.mark.parametrize("args,message", [
    (["--task-opt", "concordance=2"], "concordance"),
    (["--task-opt", "min_block_trials=0"], "min_block_trials"),
    (["-v", "0.5"], "-v does not apply"),
    (["--opt", "optimizer=lbfgs"], "optimizer"),
    (["--opt", "objective=mse"], "objective"),
    (["--opt", "bogus=1"], "bogus"),
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
