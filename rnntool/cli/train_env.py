"""``rnntool train NAME --task ibl``: the closed-loop branch of the train command.

Environment settings come from ``--task-opt KEY=VALUE``, training settings from
``--opt KEY=VALUE`` (iterations, sessions, objective, optimizer, lr, momentum, truncate,
clip, log_every, tensorboard) and ``--max-iters``; defaults are those of Schaeffer et al.
(2020). Everything is checked before the first model trains.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import click

from rnntool.cli.common import emit, stderr
from rnntool.cli.options import parse_assignments
from rnntool.envs import make_environment
from rnntool.envs.agents import agent_config
from rnntool.envs.experiment import train_env_model
from rnntool.envs.training import ClosedLoopSettings
from rnntool.errors import ConfigError
from rnntool.storage import output_path, write_model


def train_environment(jobs: list[tuple[str, int]], env_name: str, task_opt: tuple[str, ...],
                      rule_opts: tuple[str, ...], max_iters: int | None, n_rec: int,
                      models_dir: str | None, overwrite: bool, as_json: bool, quiet: bool,
                      unsupported: dict[str, Any], cell: str | None = None) -> None:
    """Train one closed-loop model per (name, seed) job and write its file."""
    given = [flag for flag, value in unsupported.items() if value not in (None, False)]
    if given:
        raise click.UsageError(f"{given[0]} does not apply to the closed-loop task {env_name!r}")
    env = make_environment(env_name, **parse_assignments(task_opt, "--task-opt"))
    opts = parse_assignments(rule_opts, "--opt")
    tensorboard = opts.pop("tensorboard", None)
    known = {f.name for f in fields(ClosedLoopSettings)}
    unknown = sorted(set(opts) - known)
    if unknown:
        raise ConfigError(f"--opt {unknown[0]} is not a closed-loop training setting "
                          f"(known: {', '.join(sorted(known))}, tensorboard)")
    if max_iters is not None:
        opts["iterations"] = max_iters
    try:
        settings = ClosedLoopSettings(**opts)
    except TypeError as err:
        raise ConfigError(f"bad closed-loop training setting: {err}") from None
    if n_rec < 1:
        raise ConfigError(f"--n-rec must be at least 1, got {n_rec}")
    env.policy.check_objective(settings.objective)
    cell = cell or "rnn"
    agent_config(env.n_obs, n_rec, env.n_actions, cell)
    paths = [output_path(name, models_dir) for name, _ in jobs]
    for path in paths:
        if path.exists() and not overwrite:
            raise ConfigError(f"{path} exists; pass --overwrite to replace it")
    summaries = []
    for path, (_, seed) in zip(paths, jobs):
        if not quiet:
            stderr.print(f"training [bold]{path.stem}[/]: closed loop in {env.name}, {cell} cell "
                         f"N={n_rec}, {settings.optimizer} lr {settings.lr:g}, "
                         f"{settings.sessions} sessions per step, seed {seed}")
        record = train_env_model(path.stem, env, n_rec, settings, seed,
                                 None if quiet else _progress, tensorboard, cell)
        write_model(path, record)
        last = {k: float(v[-1]) for k, v in record.training["history"].items()}
        if not quiet:
            stderr.print(f"{path.stem}: {settings.iterations} iterations, "
                         f"{record.training['seconds']:.1f} s, correct/trial "
                         f"{last['correct_per_trial']:.3f}, feedback/step {last['feedback_per_step']:.3f}")
        summaries.append({"path": str(path), "seconds": record.training["seconds"], **last})
        if not as_json:
            emit([Path(path)])
    if as_json:
        emit(paths, True, summaries)


def _progress(it: int, s: dict[str, float]) -> None:
    stderr.print(f"  {it:6d}  objective {s['objective']:+.4f}  correct/trial "
                 f"{s['correct_per_trial']:.3f}  steps/trial {s['steps_per_trial']:.2f}  "
                 f"feedback/step {s['feedback_per_step']:+.3f}  {s['env_steps_per_s']:.0f} steps/s")
