"""Entry points of the task-suite analyses for the command line, on model files.

- :func:`period_input_set`: the constant inputs of every period (``--inputs periods``) or
  inputs along sweeps between periods (``--sweep A:B --interp N``), with labels and a
  storage-key stem; a sweep's layout is stored under ``analyses/sweeps/<key>`` so the
  fixed points found along it can be drawn by segment and position.
- :func:`trace_and_store`: trace the task's line or ring attractors (``--trace``) and store
  them under ``analyses/attractors/<kind>``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from rnntool.analysis.attractor_setups import trace_task
from rnntool.analysis.attractor_store import store_traces
from rnntool.analysis.attractors import Trace, view_of
from rnntool.errors import ConfigError
from rnntool.storage import read_group, update_model
from rnntool.tasks.base import Task
from rnntool.tasks.sweeps import Sweep, sweep_inputs

SWEEPS = "analyses/sweeps"


def period_input_set(task: Task, inputs: str | None = None, sweep: str | None = None,
                     interp: int = 20) -> tuple[np.ndarray, list[str], str] | None:
    """Inputs for ``--inputs periods`` or ``--sweep``; None when neither is asked for."""
    if sweep is not None:
        if inputs is not None:
            raise ConfigError("give only one of --inputs and --sweep")
        arr, labels = sweep_inputs(task, sweep, interp).flat()
        return arr, labels, f"sweep{interp}-" + sweep.replace(":", "-").replace(",", "+")
    if inputs == "periods":
        if not hasattr(task, "period_inputs"):
            raise ConfigError(f"task {task.name!r} is not made of periods; --inputs periods "
                              "needs a period-based task")
        arr, labels = task.period_inputs()
        return arr, labels, "periods"
    return None


def store_sweep(path: str | os.PathLike, key: str, task: Task, spec: str, interp: int) -> Path:
    """Record the layout of a sweep next to the fixed points found along it."""
    sweep = sweep_inputs(task, spec, interp)
    return update_model(path, f"{SWEEPS}/{key}", {"inputs": sweep.inputs, "labels": np.array(sweep.labels, dtype=object),
                                                  "positions": sweep.positions, "spec": spec})


def load_sweep(path: str | os.PathLike, key: str) -> Sweep | None:
    tree = read_group(path, f"{SWEEPS}/{key}")
    if tree is None:
        return None
    return Sweep(np.asarray(tree["inputs"]), [str(s) for s in tree["labels"]], np.asarray(tree["positions"]))


def find_at_task_inputs(path: str | os.PathLike, inputs: str | None, sweep: str | None,
                        interp: int, settings: Any, device: str = "cpu") -> tuple[Any, Path] | None:
    """Fixed points of a stored model at its task's period inputs or along sweeps, stored
    like every fixed-point result (with the sweep's layout); None when neither is asked for."""
    from rnntool.analysis.fixedpoints import (FinderSettings, find_fixed_points, result_key,
                                              store_fixed_points)
    from rnntool.models import load_model

    if inputs != "periods" and sweep is None:
        return None
    model = load_model(path, device)
    arr, labels, stem = period_input_set(model.task, inputs, sweep, interp)
    settings = settings or FinderSettings()
    if settings.seed is None:
        settings = replace(settings, seed=model.record.seed)
    key = result_key(stem, settings.method)
    # initial states from trials of every task of a list, not one task per batch
    task = replace(model.task, mix="trial") if getattr(model.task, "tasks", None) else model.task
    points = find_fixed_points(model.network, arr, task, settings, labels, key)
    written = store_fixed_points(path, points)
    if sweep is not None:
        store_sweep(path, key, model.task, sweep, interp)
    return points, written


def trace_and_store(path: str | os.PathLike, kind: str, n_points: int = 31, eig_tol: float = 1e-2,
                    relax_steps: int = 20, device: str = "cpu", reach: float = 4.0
                    ) -> tuple[list[tuple[str, Trace]], Path]:
    """Trace ``kind`` (line or ring) attractors of a stored model and store them (``reach``:
    how far a point may move from the anchors' curve in one pass, in point spacings)."""
    from rnntool.models import load_model

    model = load_model(path, device)
    net = model.network
    x0 = net.params["x0"][0].detach().double().cpu().numpy()
    traces = trace_task(view_of(net), model.task, x0, kind, n_points, eig_tol, relax_steps, reach)
    settings: dict[str, Any] = {"kind": kind, "n_points": n_points, "eig_tol": eig_tol,
                                "relax_steps": relax_steps, "reach": reach}
    return traces, store_traces(path, kind, traces, settings)
