"""Drawing the task suites' figure kinds of ``rnntool plot`` (listed in ``rnntool.plotting.kinds``):
psychometric-grid, attractors, attractor-map (traced attractors and fixed points in task axes,
2-D or 3-D with ``--dims``, chosen axes with ``--axes``), sweep (2-D or 3-D)."""

from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
import torch

from rnntool.analysis.attractor_store import has_traces, load_traces
from rnntool.analysis.fixedpoints import fixed_point_keys, load_fixed_points
from rnntool.analysis.task_analyses import SWEEPS, load_sweep
from rnntool.models import Model
from rnntool.plotting.task_figures import attractor_figure, psychometric_grid_figure, sweep_figure_of
from rnntool.plotting.task_projection import attractor_map_figure
from rnntool.seeding import Seeds
from rnntool.storage import list_groups

WHY = {"psychometric-grid": "no CDDM psychometric grid; run rnntool evaluate on a cddm model",
       "attractors": "no traced attractors; run rnntool fixedpoints --trace line|ring first",
       "attractor-map": "no traced attractors or fixed points of a period-based task; run rnntool "
                        "fixedpoints --trace line|ring, --inputs periods or --sweep A:B first",
       "sweep": "no fixed points along a sweep; run rnntool fixedpoints --sweep A:B first"}


def _sweep_keys(model: Model) -> list[str]:
    stored = set(fixed_point_keys(model.path))
    return [k for k in list_groups(model.path, SWEEPS) if k in stored]


def task_kinds(model: Model) -> list[str]:
    """The task-suite kinds a model's file has data for."""
    kinds = []
    if "psychometric_grid" in model.record.evaluation:
        kinds.append("psychometric-grid")
    traced = has_traces(model.path)
    if traced:
        kinds.append("attractors")
    if traced or (hasattr(model.task, "period_inputs") and fixed_point_keys(model.path)):
        kinds.append("attractor-map")
    if _sweep_keys(model):
        kinds.append("sweep")
    return kinds


def _readout(model: Model) -> np.ndarray:
    return np.asarray(model.record.weights["W_out"], dtype=float)


def _attractors(model: Model) -> plt.Figure:
    traces = [(f"{label} ({kind})", t) for kind, items in load_traces(model.path).items()
              for label, t in items]
    return attractor_figure(traces, _readout(model), f"{model.path.stem}: traced attractors")


def example_states(model: Model, trials: int = 12) -> np.ndarray | None:
    """States (B, T, N) of up to ``trials`` of the task's conditions, evenly spread over them
    (None when the task has no condition set)."""
    if not hasattr(model.task, "condition_batch"):
        return None
    gen = Seeds(model.record.seed).generator("analysis")
    batch = model.task.condition_batch(gen)
    pick = torch.from_numpy(np.unique(np.linspace(0, len(batch) - 1, trials).round().astype(int)))
    batch = batch.subset(pick)
    net = model.network
    with torch.no_grad():
        states = net.simulate(batch.inputs, net.initial_state(len(batch), gen), gen).states[0]
    return states.double().numpy()


def _attractor_map(model: Model, dims: int, key: str | None, axes: list[str] | None) -> plt.Figure:
    traces = ([(f"{label} ({kind})", t) for kind, items in load_traces(model.path).items()
               for label, t in items] if has_traces(model.path) else [])
    points = load_fixed_points(model.path, key) if key or fixed_point_keys(model.path) else None
    weights = {k: np.asarray(model.record.weights[k], dtype=float) for k in ("W_in", "W_out")}
    what = " and ".join(w for w, there in (("traced attractors", traces), ("fixed points", points))
                        if there is not None and len(there))
    return attractor_map_figure(traces, weights, model.task.name, example_states(model), dims,
                                f"{model.path.stem}: {what} in task axes ({dims}-D)", points, axes)


def _sweep(model: Model, key: str | None, dims: int) -> plt.Figure:
    keys = _sweep_keys(model)
    key = key if key in keys else keys[-1]
    figure = sweep_figure_of(load_fixed_points(model.path, key), load_sweep(model.path, key), dims)
    figure.suptitle(f"{model.path.stem}: fixed points along input sweeps ({key}; filled stable, "
                    "hollow unstable)")
    return figure


def task_draw(model: Model, key: str | None, dims: int = 2, axes: list[str] | None = None
              ) -> dict[str, Callable[[], plt.Figure]]:
    """The task-suite figures of ``model``, drawn on call (``axes``: names of
    :func:`rnntool.plotting.axis_names.parse_axes` for the attractor map)."""
    return {"psychometric-grid": lambda: psychometric_grid_figure(model.record.evaluation["psychometric_grid"]),
            "attractors": lambda: _attractors(model),
            "attractor-map": lambda: _attractor_map(model, dims, key, axes),
            "sweep": lambda: _sweep(model, key, dims)}
