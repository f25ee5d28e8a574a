"""``rnntool train NAME --task ibl``: the closed-loop branch of the train command.

Environment settings come from ``--task-opt KEY=VALUE``, training settings from
``--opt KEY=VALUE`` (preset, iterations, sessions, objective, optimizer, lr, momentum,
weight_decay, truncate, clip, log_every) and ``--max-iters``. ``--opt preset=paper`` is
Schaeffer et al. (2020)'s optimiser exactly; the default preset is the one that learns
within minutes (see :mod:`rnntool.envs.training`). ``--checkpoint-every``, ``--resume``
and ``--tensorboard`` are the engine's. Everything is checked before the first model trains.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from rnntool.cli.common import emit, stderr
from rnntool.cli.existing import must_compute
from rnntool.cli.options import parse_assignments
from rnntool.engine.checkpoint import Checkpointer, checkpoint_path, read_checkpoint
from rnntool.envs import make_environment
from rnntool.envs.agents import agent_config
from rnntool.envs.base import Environment
from rnntool.envs.experiment import train_env_model
from rnntool.envs.registry import task_or_environment
from rnntool.envs.training import ClosedLoopSettings
from rnntool.errors import ConfigError
from rnntool.storage import output_path, write_model


@dataclass
class _EnvRun:
    """One closed-loop model to train, fully resolved."""

    path: Path
    seed: int
    env: Environment
    settings: ClosedLoopSettings
    n_rec: int
    cell: str
    checkpointer: Checkpointer | None


def train_environment(jobs: list[tuple[str, int]], env_name: str, task_opt: tuple[str, ...],
                      rule_opts: tuple[str, ...], max_iters: int | None, n_rec: int,
                      models_dir: str | None, overwrite: bool, as_json: bool, quiet: bool,
                      unsupported: dict[str, Any], cell: str | None = None, keep: bool = False,
                      checkpoint_every: int = 0, resume: bool = False,
                      tensorboard: str | None = None, device: str = "cpu") -> None:
    """Train one closed-loop model per (name, seed) job and write its file; the agent's
    network runs on ``device``, the environment on the CPU."""
    given = [flag for flag, value in unsupported.items() if value not in (None, False)]
    if given:
        raise click.UsageError(f"{given[0]} does not apply to the closed-loop task {env_name!r}")
    env = make_environment(env_name, **parse_assignments(task_opt, "--task-opt"))
    opts = parse_assignments(rule_opts, "--opt")
    if max_iters is not None:
        opts["iterations"] = max_iters
    try:
        settings = ClosedLoopSettings.from_options(**opts)
    except ConfigError as err:
        raise ConfigError(f"--opt: {err}") from None
    if n_rec < 1:
        raise ConfigError(f"--n-rec must be at least 1, got {n_rec}")
    env.policy.check_objective(settings.objective)
    cell = cell or "rnn"
    agent_config(env.n_obs, n_rec, env.n_actions, cell)
    if tensorboard:
        from rnntool.engine.tensorboard_log import require_tensorboard

        require_tensorboard()
    runs = []
    for name, seed in jobs:
        path = output_path(name, models_dir)
        run = _plan(path, seed, env, settings, n_rec, cell, checkpoint_every, resume)
        resuming = run.checkpointer is not None and run.checkpointer.resume_from is not None
        runs.append((run, resuming or must_compute(path.exists(), str(path), overwrite, keep)))
    summaries = []
    for run, compute in runs:
        if not compute:
            if not quiet:
                stderr.print(f"{run.path.stem}: kept the existing model file")
            summaries.append({"path": str(run.path), "kept": True})
            if not as_json:
                emit([run.path])
            continue
        summaries.append(_train(run, tensorboard, quiet, device))
        if not as_json:
            emit([run.path])
    if as_json:
        emit([r.path for r, _ in runs], True, summaries)


def _plan(path: Path, seed: int, env: Environment, settings: ClosedLoopSettings, n_rec: int,
          cell: str, checkpoint_every: int, resume: bool) -> _EnvRun:
    """The run of one model; with ``resume`` and a checkpoint, the checkpoint's settings."""
    ckpt = checkpoint_path(path)
    state = read_checkpoint(ckpt) if resume and ckpt.exists() else None
    if state is not None:
        cfg = state["config"]
        env = task_or_environment(cfg["task"])
        settings = ClosedLoopSettings(**cfg["settings"])
        seed, n_rec, cell = int(cfg["seed"]), int(cfg["n_rec"]), str(cfg["cell"])
        checkpoint_every = checkpoint_every or int(cfg["checkpoint_every"])
    checkpointer = None
    if checkpoint_every or resume:
        config = {"seed": seed, "task": env.config(), "settings": settings.config(),
                  "n_rec": n_rec, "cell": cell, "checkpoint_every": checkpoint_every}
        checkpointer = Checkpointer(ckpt, checkpoint_every, config, state)
    return _EnvRun(path, seed, env, settings, n_rec, cell, checkpointer)


def _train(run: _EnvRun, tensorboard: str | None, quiet: bool, device: str) -> dict[str, Any]:
    """Train, write the model, remove the checkpoint; returns the run's summary."""
    from rnntool.engine.tensorboard_log import TensorBoardLogger

    s, name = run.settings, run.path.stem
    if not quiet:
        resumed = run.checkpointer is not None and run.checkpointer.resume_from is not None
        stderr.print(f"{'resuming' if resumed else 'training'} [bold]{name}[/]: closed loop in "
                     f"{run.env.name}, {run.cell} cell N={run.n_rec}, preset {s.preset}: "
                     f"{s.optimizer} lr {s.lr:g}"
                     f"{f' momentum {s.momentum:g}' if s.optimizer == 'sgd' else ''}, "
                     f"{'BPTT through whole sessions' if not s.truncate else f'truncated BPTT every {s.truncate} steps'}, "
                     f"{s.sessions} session{'s' if s.sessions != 1 else ''} per iteration, "
                     f"{s.iterations} iterations, seed {run.seed}")
    logger = TensorBoardLogger(Path(tensorboard) / name) if tensorboard else None
    try:
        record = train_env_model(name, run.env, run.n_rec, s, run.seed,
                                 None if quiet else _progress, run.cell, run.checkpointer, logger,
                                 device)
    finally:
        if logger is not None:
            logger.close()
    write_model(run.path, record)
    if run.checkpointer is not None:
        run.checkpointer.discard()
    last = {k: float(v[-1]) for k, v in record.training["history"].items()}
    if not quiet:
        stderr.print(f"{name}: {s.iterations} iterations, {record.training['seconds']:.1f} s, "
                     f"correct/trial {last['correct_per_trial']:.3f}, feedback/step "
                     f"{last['feedback_per_step']:.3f}")
    return {"path": str(run.path), "kept": False, "seconds": record.training["seconds"], **last}


def _progress(it: int, s: dict[str, float]) -> None:
    stderr.print(f"  {it:6d}  objective {s['objective']:+.4f}  correct/trial "
                 f"{s['correct_per_trial']:.3f}  steps/trial {s['steps_per_trial']:.2f}  "
                 f"feedback/step {s['feedback_per_step']:+.3f}  {s['env_steps_per_s']:.0f} steps/s")
