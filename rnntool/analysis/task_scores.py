"""Scores of period-based tasks: MSE and correct rate per task, and the CDDM psychometric grid.

- :func:`score_outputs`: masked MSE (normalised by the number of scored elements) and the
  fraction correct of scored trials, for a single task or for each task of a task list,
  scored on the very trials (and outputs) of ``evaluate``'s summary metrics.
- :func:`psychometric_grid`: for CDDM (Mante et al. 2013), every (motion, colour) coherence
  pair of each context is run ``repeats`` times with the network's noise; the choice is the
  sign of right − left over the decision period. Stored: % "right" choices and the MSE on
  the grid, per context (the engellab pipeline's psychometric maps).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from rnntool.errors import ConfigError
from rnntool.tasks.base import Batch, Task
from rnntool.tasks.engellab import CDDM


@torch.no_grad()
def network_outputs(net: Any, batch: Batch, generator: torch.Generator) -> torch.Tensor:
    """Member-0 outputs (B, T, n_out) of ``batch``, with the network's own noise."""
    x_init = net.initial_state(len(batch), generator)
    return net.simulate(batch.inputs, x_init, generator).outputs[0].cpu()


def _mse(outputs: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Per-trial masked MSE over scored elements (B,)."""
    mask = batch.mask
    return (mask * (outputs - batch.targets) ** 2).sum((-1, -2)) / mask.sum((-1, -2)).clamp(min=1)


def _scores(task: Task, outputs: torch.Tensor, batch: Batch) -> dict[str, float]:
    mask = batch.mask
    result = {"mse": float((mask * (outputs - batch.targets) ** 2).sum() / mask.sum().clamp(min=1)),
              "trials": len(batch)}
    try:
        correct = task.correct(outputs, batch)
    except NotImplementedError:
        return result
    scored = task.scored(batch)
    result["accuracy"] = float(correct[scored].float().mean()) if bool(scored.any()) else float("nan")
    return result


def score_outputs(task: Task, outputs: torch.Tensor, batch: Batch) -> dict[str, dict[str, float]]:
    """``{task name: {"mse", "accuracy" (where defined), "trials"}}`` of outputs (B, T, n_out)
    on ``batch``, per task of a task list."""
    subtasks = getattr(task, "tasks", None)
    if not subtasks:
        return {task.name: _scores(task, outputs, batch)}
    result = {}
    for k, sub in enumerate(subtasks):
        rows = task.rows(batch, k)
        if len(rows):
            result[sub.name] = _scores(sub, task.outputs_of(outputs, k, rows), task.part(batch, k, rows))
    return result


def psychometric_grid(net: Any, task: CDDM, generator: torch.Generator, repeats: int = 31
                      ) -> dict[str, Any]:
    """% right choices and MSE on the motion × colour coherence grid of each context."""
    if not isinstance(task, CDDM):
        raise ConfigError(f"the psychometric grid needs the cddm task, not {task.name!r}")
    if repeats < 1:
        raise ConfigError(f"repeats must be ≥ 1, got {repeats}")
    right = torch.zeros(2 * len(task.coherences) ** 2, dtype=torch.float64)
    mse = torch.zeros_like(right)
    for _ in range(repeats):  # one pass per repeat keeps memory bounded
        batch = grid_batch(task, 1, generator)
        outputs = network_outputs(net, batch, generator)
        right += (task.choice(outputs, batch) == 1).double()
        mse += _mse(outputs, batch).double()
    return _grid(task, right / repeats, mse / repeats, repeats)


def grid_batch(task: CDDM, repeats: int, generator: torch.Generator) -> Batch:
    """Every grid condition, ``repeats`` times (repeat slowest)."""
    conditions = task.all_conditions()
    index = torch.arange(len(conditions["context"])).repeat(repeats)
    return task.build({k: v[index] for k, v in conditions.items()}, generator)


def grid_from_outputs(task: CDDM, outputs: torch.Tensor, batch: Batch, repeats: int) -> dict[str, Any]:
    """The psychometric grid of outputs (B, T, n_out) on :func:`grid_batch`'s trials."""
    count = len(batch) // repeats
    right = (task.choice(outputs, batch) == 1).double().reshape(repeats, count).mean(0)
    mse = _mse(outputs, batch).double().reshape(repeats, count).mean(0)
    return _grid(task, right, mse, repeats)


def _grid(task: CDDM, right: torch.Tensor, mse: torch.Tensor, repeats: int) -> dict[str, Any]:
    n = len(task.coherences)
    return {"coherences": task.coherences.numpy().astype(float), "contexts": np.array(["motion", "colour"]),
            "fraction_right": right.reshape(2, n, n).numpy(), "mse": mse.reshape(2, n, n).numpy(),
            "repeats": int(repeats), "axes": np.array(["context", "motion", "colour"])}


def task_evaluation(net: Any, task: Task, generator: torch.Generator, outputs: torch.Tensor,
                    batch: Batch, repeats: int = 31) -> dict[str, Any]:
    """What ``rnntool evaluate`` adds for the task suites: scores per task of a period-based
    task or task list on the test trials ``batch`` and the network's ``outputs`` (B, T, n_out)
    behind the summary metrics (one draw, so both agree), and the psychometric grid of CDDM
    ({} for other tasks)."""
    from rnntool.tasks.period_task import PeriodTask

    subtasks = getattr(task, "tasks", None)
    if not isinstance(task, PeriodTask) and not subtasks:
        return {}
    result: dict[str, Any] = {"per_task": score_outputs(task, outputs, batch)}
    if isinstance(task, CDDM):
        result["psychometric_grid"] = psychometric_grid(net, task, generator, repeats)
    return result
