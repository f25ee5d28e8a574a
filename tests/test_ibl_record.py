"""IBL session records (HDF5 columns, DataFrame), derived columns, evaluation and figures."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from rnntool.analysis.ibl_behaviour import metrics, session_columns, trial_columns
from rnntool.analysis.ibl_evaluation import evaluate_ibl
from rnntool.envs import IBLEnvironment
from rnntool.envs.agents import elman_agent
from rnntool.envs.rollout import rollout
from rnntool.envs.training import ClosedLoopSettings, train_agent
from rnntool.errors import ConfigError
from rnntool.plotting.ibl import behaviour_figure
from rnntool.storage.session_record import as_dataframe, read_session_record, write_session_record


@pytest.fixture(scope="module")
def recorded():
    env = IBLEnvironment(blocks_per_session=2, max_block_trials=25)
    net = elman_agent(3, 8, 2, torch.Generator().manual_seed(0))
    with torch.no_grad():
        run = rollout(net, env, 3, torch.Generator().manual_seed(1), record=True)
    return env, run, session_columns(run)


def test_session_table_rows_and_derived_columns(recorded):
    env, run, rows = recorded
    assert len(rows["step"]) == run.active_steps
    assert rows["hidden_state"].shape == (run.active_steps, 8)
    # sessions one after another, steps in order within each
    for s in range(3):
        assert np.array_equal(rows["step"][rows["session"] == s], np.arange((rows["session"] == s).sum()))
    np.testing.assert_allclose(rows["left_probability"] + rows["right_probability"], 1)
    np.testing.assert_array_equal(rows["signed_strength"], rows["strength"] * rows["trial_side"])
    np.testing.assert_array_equal(rows["concordant"], rows["trial_side"] == rows["block_side"])
    trials = trial_columns(rows)
    assert len(trials["correct"]) == int(env.plan.n_trials.sum())
    # 1-back correctness on the first step of trial n is the outcome of trial n − 1
    first = rows["trial_start"] & (rows["trial_index"] > 0)
    prev = {(s, t): c for s, t, c in zip(trials["session"], trials["trial_index"], trials["correct"])}
    expected = [prev[(s, t - 1)] for s, t in zip(rows["session"][first], rows["trial_index"][first])]
    np.testing.assert_array_equal(rows["correct_1_back"][first], expected)
    assert np.isnan(rows["correct_1_back"][rows["trial_index"] == 0]).all()
    block = rows["block_side"].astype(float)
    assert abs(rows["trial_side_orthogonal"] @ block) < 1e-8
    assert metrics(rows)["steps_per_trial"] == pytest.approx(run.active_steps / len(trials["correct"]))
    assert metrics(rows)["correct_per_trial"] == pytest.approx(env.metrics()["correct_per_trial"])


def test_session_record_round_trips_through_hdf5_and_pandas(recorded, tmp_path):
    _, _, rows = recorded
    with h5py.File(tmp_path / "r.h5", "w") as f:
        write_session_record(f.create_group("session"), rows, {"environment": "ibl"})
    with h5py.File(tmp_path / "r.h5", "r") as f:
        back = read_session_record(f["session"])
        assert f["session"].attrs["rows"] == len(rows["step"])
    assert set(back) == set(rows)
    for key, value in rows.items():
        np.testing.assert_array_equal(back[key], value)
        assert back[key].dtype == np.asarray(value).dtype
    frame = as_dataframe(back)
    assert len(frame) == len(rows["step"]) and "hidden_state_7" in frame
    assert frame["trial_side"].dtype.kind == "i"


def test_training_improves_reward_and_evaluation_scores_every_baseline_on_one_plan(tmp_path):
    env = IBLEnvironment(blocks_per_session=1, max_block_trials=30)
    net = elman_agent(3, 12, 2, torch.Generator().manual_seed(0))
    settings = ClosedLoopSettings(iterations=6, sessions=8, optimizer="adam", lr=1e-2,
                                  truncate=60, log_every=1)
    history = train_agent(net, env, settings, torch.Generator().manual_seed(0))
    assert history["feedback_per_step"][-1] > history["feedback_per_step"][0] + 0.05
    result = evaluate_ibl(net, env, 3, torch.Generator().manual_seed(4))
    trials = result["trials"]
    n = int(result["plan"].n_trials.sum())
    for name, table in trials.items():
        assert len(table["correct"]) == n, name
        np.testing.assert_array_equal(np.sort(table["trial_side"]), np.sort(trials["network"]["trial_side"]))
    assert result["metrics"]["bayesian_actor"]["correct_per_action"] > 0.85
    fig = behaviour_figure(trials, result["metrics"], "test",
                           result["ideal_blockless"]["best_reward_per_step"])
    fig.savefig(tmp_path / "b.png")
    assert (tmp_path / "b.png").stat().st_size > 10000


def test_bad_training_settings_raise_config_error():
    with pytest.raises(ConfigError, match="optimizer"):
        ClosedLoopSettings(optimizer="lbfgs")
    with pytest.raises(ConfigError, match="sessions"):
        ClosedLoopSettings(sessions=0)
