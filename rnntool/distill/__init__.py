"""Distillation of a closed-loop agent into small agents that are model files like any other.

Two methods (Schaeffer et al. 2020):

- ``radd`` (:mod:`rnntool.distill.radd`): a 2-unit tanh system fitted to the network's
  task-aligned states; written as ``<teacher>.radd.h5``.
- ``soft`` (:mod:`rnntool.distill.soft`): a small RNN trained on the teacher's action
  probabilities; written as ``<teacher>.soft.h5``.

The distilled file stores the distillation's results under ``training`` (history, R²,
error accumulation, the teacher's path) and its rule records the method, so
``rnntool evaluate``, ``plot``, ``statespace`` and ``report`` treat it as any agent.
:func:`compare_agents` scores several agents on exactly the same sessions and
:func:`store_comparison` keeps the scores in the distilled file (its distillation figure
shows them).
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

from rnntool import __version__
from rnntool.errors import ConfigError

METHODS = ("radd", "soft")


def distilled_path(teacher: str | os.PathLike, method: str,
                   directory: str | os.PathLike | None = None) -> Path:
    """Where the ``method`` distillate of ``teacher`` is written: ``<stem>.<method>.h5``
    beside the teacher (in the models folder for a shipped sample model)."""
    from rnntool.storage.names import is_shipped, models_dir

    folder = models_dir(directory) if is_shipped(teacher, directory) else Path(teacher).parent
    return folder / f"{Path(teacher).stem}.{method}.h5"


def distill_radd(path: str | os.PathLike, settings: Any = None, seed: int | None = None
                 ) -> tuple[Any, Any]:
    """Fit RADD to the closed-loop model at ``path`` (its state space computed with
    ``settings``, a :class:`StateSpaceSettings`); returns the fit and the distilled record."""
    from rnntool.analysis.ibl_statespace import (StateSpaceSettings, initial_activity,
                                                 session_data, state_space)
    from rnntool.distill.radd import fit_radd, radd_weights
    from rnntool.envs.agents import elman_config
    from rnntool.models import load_model
    from rnntool.storage import ModelRecord

    settings = settings or StateSpaceSettings()
    settings.check()
    teacher = load_model(path)
    tic = time.perf_counter()
    rows = session_data(teacher.network, teacher.task, settings.sessions, settings.blocks,
                        settings.seed)
    h0 = initial_activity(teacher.network)
    w = teacher.record.weights
    space = state_space(rows, w["W_out"], h0, settings)
    fit = fit_radd(rows, space, np.asarray(w["W_out"], float), np.asarray(w["b_out"], float),
                   h0, settings.test_fraction, settings.seed)
    env = teacher.task
    config = elman_config(env.n_obs, 2, env.n_actions)
    training = {"method": "radd", "teacher": str(Path(path)), "teacher_name": teacher.record.name,
                "seconds": time.perf_counter() - tic, "fit": fit.to_tree(),
                "statespace": asdict(settings), "unit": "iteration", "iterations": 0}
    record = ModelRecord(name=f"{teacher.record.name}.radd", task=env.config(),
                         network=config.to_dict(),
                         rule={"name": "radd", "teacher": teacher.record.name},
                         seed=settings.seed if seed is None else seed,
                         weights=radd_weights(fit), training=training, version=__version__)
    return fit, record


def distill_soft(path: str | os.PathLike, settings: Any = None, seed: int = 0,
                 log: Callable[[int, float], None] | None = None) -> tuple[dict[str, np.ndarray], Any]:
    """Soft-target distillation of the closed-loop model at ``path`` (``settings``: a
    :class:`rnntool.distill.soft.SoftSettings`); returns the history and the record."""
    from rnntool.distill.soft import SoftSettings, soft_distill
    from rnntool.models import load_model
    from rnntool.seeding import Seeds
    from rnntool.storage import ModelRecord

    settings = settings or SoftSettings()
    settings.check()
    teacher = load_model(path)
    _require_env(teacher)
    tic = time.perf_counter()
    student, history = soft_distill(teacher.network, teacher.task, settings,
                                    Seeds(seed).generator("analysis"), log)
    training = {"method": "soft", "teacher": str(Path(path)), "teacher_name": teacher.record.name,
                "history": history, "seconds": time.perf_counter() - tic,
                "settings": asdict(settings), "unit": "iteration",
                "iterations": settings.iterations}
    record = ModelRecord(name=f"{teacher.record.name}.soft", task=teacher.task.config(),
                         network=student.config.to_dict(),
                         rule={"name": "soft_distillation", "teacher": teacher.record.name,
                               **asdict(settings)},
                         seed=seed, weights=student.to_numpy(), training=training,
                         version=__version__)
    return history, record


def _require_env(model: Any) -> None:
    from rnntool.envs.ibl import IBLEnvironment

    if not isinstance(model.task, IBLEnvironment):
        raise ConfigError(f"{model.path}: distillation needs a model of the IBL environment "
                          f"(this one was trained on {model.record.task.get('name')!r})")


def compare_agents(paths: list[str | os.PathLike], sessions: int = 16, blocks: int = 10,
                   seed: int = 0) -> dict[str, dict[str, float]]:
    """Accuracy metrics of every model at ``paths`` on exactly the same sessions (the plan
    ``rnntool evaluate --seed SEED --sessions S --blocks B`` draws), by model name."""
    from dataclasses import replace

    import torch

    from rnntool.analysis.ibl_behaviour import session_columns, trial_columns
    from rnntool.analysis.ibl_evaluation import trial_metrics
    from rnntool.envs.agents import NetworkAgent
    from rnntool.envs.rollout import rollout
    from rnntool.models import load_model
    from rnntool.seeding import Seeds

    out: dict[str, dict[str, float]] = {}
    for path in paths:
        model = load_model(path)
        _require_env(model)
        env = replace(model.task, blocks_per_session=blocks)
        plan = env.draw_plan(sessions, Seeds(seed).generator("evaluation"))
        with torch.no_grad():
            run = rollout(NetworkAgent(model.network), env, sessions, None, record=True, plan=plan)
        rows = session_columns(run)
        trials = trial_columns(rows)
        out[model.record.name] = {**trial_metrics(trials, float(len(rows["step"])),
                                                  float(rows["reward"].sum())),
                                  "trials": float(len(trials["correct"])),
                                  "units": float(model.network.config.n_rec)}
    return out


COMPARISON = "analyses/comparison"


def store_comparison(path: str | os.PathLike, scores: dict[str, dict[str, float]],
                     settings: dict[str, Any]) -> Path:
    """Keep the metrics of :func:`compare_agents` under ``analyses/comparison`` of ``path``
    (one attribute group per agent, in the order compared; ``settings`` says which sessions)."""
    from rnntool.storage import update_model

    return update_model(path, COMPARISON, {"agents": np.array(list(scores), dtype=object),
                                           **{name.replace("/", "_"): m for name, m in scores.items()}},
                        {"settings": settings})


def load_comparison(path: str | os.PathLike) -> dict[str, dict[str, float]] | None:
    """The stored comparison of a distilled model (None when there is none)."""
    from rnntool.storage import read_group

    tree = read_group(path, COMPARISON)
    if tree is None:
        return None
    return {str(name): tree[str(name).replace("/", "_")] for name in tree["agents"]}
