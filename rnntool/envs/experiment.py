"""Closed-loop models end to end: train into a model record, evaluate into the model file.

A closed-loop model file is an ordinary rnntool model file whose stored task is an
environment's configuration (``config/task`` names ``ibl``). Evaluation writes the metrics
and per-trial tables of the network and every baseline under ``evaluation`` and the
network's full session table as a session record under ``evaluation/session``.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

import h5py
import numpy as np

from rnntool import __version__
from rnntool.engine.checkpoint import Checkpointer
from rnntool.envs.agents import NetworkAgent, agent_config, agent_network
from rnntool.envs.base import Environment
from rnntool.envs.ibl import IBLEnvironment
from rnntool.envs.training import ClosedLoopSettings, ScalarLogger, train_agent
from rnntool.errors import ConfigError
from rnntool.network import Network
from rnntool.seeding import Seeds
from rnntool.storage import ModelRecord, atomic_path, update_model
from rnntool.storage.session_record import RECORD_VERSION, write_session_record

#: Per-trial columns kept in the model file for every agent, with compact types.
TRIAL_COLUMNS = {"session": np.int32, "trial_index": np.int32, "trial_side": np.int8,
                 "block_side": np.int8, "strength": np.float32, "signed_strength": np.float32,
                 "concordant": np.bool_, "trial_in_block": np.int16, "action_side": np.int8,
                 "action_taken": np.bool_, "timeout": np.bool_, "correct": np.bool_,
                 "steps": np.int16}


def train_env_model(name: str, env: Environment, n_rec: int, settings: ClosedLoopSettings,
                    seed: int, log: Callable[[int, dict[str, float]], None] | None = None,
                    cell: str = "rnn", checkpointer: Checkpointer | None = None,
                    logger: ScalarLogger | None = None, device: str = "cpu") -> ModelRecord:
    """Train an agent of ``cell`` (default: the tanh RNN of Schaeffer et al. 2020) in
    ``env``; returns its record. ``checkpointer`` and ``logger`` as for
    :func:`rnntool.envs.training.train_agent`; the network runs on ``device`` (drawn on
    the CPU first, so every device starts from the same weights)."""
    seeds = Seeds(seed)
    config = agent_config(env.n_obs, n_rec, env.n_actions, cell)
    net = agent_network(config, seeds.generator("init"))
    if device != "cpu":
        net = Network.from_numpy(config, net.to_numpy(), device)
    agent = NetworkAgent(net)
    tic = time.perf_counter()
    history = train_agent(agent, env, settings, seeds.generator("data"), log, checkpointer, logger)
    seconds = time.perf_counter() - tic
    if checkpointer is not None and checkpointer.resume_from is not None:
        seconds += float(checkpointer.resume_from["monitor"].get("seconds", 0.0))
    training = {"history": history, "seconds": seconds, "iterations": settings.iterations,
                "unit": "iteration", "settings": settings.config()}
    return ModelRecord(name=name, task=env.config(), network=config.to_dict(),
                       rule={"name": "bptt_closed_loop", **settings.config()}, seed=seed,
                       weights=net.to_numpy(), training=training, version=__version__)


def evaluate_env_model(path: str | os.PathLike, network: Network, env: Environment,
                       seed: int, sessions: int = 16, blocks: int = 10,
                       block_model: str = "markov") -> dict[str, Any]:
    """Evaluate a closed-loop model beside the baselines and store the results in its file."""
    if not isinstance(env, IBLEnvironment):
        raise ConfigError(f"no closed-loop evaluation for environment {env.name!r}")
    if sessions < 1 or blocks < 1:
        raise ConfigError("--sessions and --blocks must be at least 1")
    from rnntool.analysis.ibl_evaluation import evaluate_ibl

    result = evaluate_ibl(NetworkAgent(network), env, sessions,
                          Seeds(seed).generator("evaluation"), blocks, block_model)
    tree = {"metrics": result["metrics"],
            "trials": {name: {k: np.asarray(t[k]).astype(dtype) for k, dtype in TRIAL_COLUMNS.items()}
                       for name, t in result["trials"].items()},
            "ideal_blockless": result["ideal_blockless"],
            "settings": {"seed": seed, "sessions": sessions, "blocks_per_session": blocks,
                         "block_model": block_model}}
    rows = {k: (v.astype(np.float32) if k == "hidden_state" else v)
            for k, v in result["rows"].items()}
    update_model(path, "evaluation", tree)
    store_session_record(path, "evaluation/session", rows,
                         {"environment": env.name, "sessions": sessions})
    return result


def store_session_record(path: str | os.PathLike, group: str, columns: dict[str, np.ndarray],
                         attrs: dict[str, Any]) -> None:
    """Write a session record into an existing model file, atomically."""
    with atomic_path(path, copy_existing=True) as tmp:
        with h5py.File(tmp, "a") as f:
            if group in f:
                del f[group]
            write_session_record(f.create_group(group), columns,
                                 {**attrs, "record_version": RECORD_VERSION})
