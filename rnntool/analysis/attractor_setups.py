"""Where each task's continuous attractors lie: the constant input and the anchor states.

A setup runs noise-free trials of every condition, takes each trial's state at the end of
a period (the memory the network holds there), and relaxes those states under the period's
constant input; the relaxed states are the anchors :func:`trace_attractor` traces through.

- CDDM (Mante et al. 2013): one line per context, at the zero-coherence input of the
  decision period, anchored by trials of every coherence of the cued modality (the other
  at 0), taken at the end of the trial.
- MemoryAntiNumber / MemoryAntiAngle: the memory held at the end of the delay (input 0)
  and the answer held at the end of recall (cue on), anchored by every stimulus value.
- Continuous delay tasks: the remembered direction at the end of the delay.
- A list of tasks (one network, task-ID inputs): each member task's attractors, its trials
  and constant input in the union channels with its task ID on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import singledispatch

import numpy as np
import torch
from torch import Tensor

from rnntool.analysis.attractors import MapView, Trace, relax, run, trace_attractor
from rnntool.errors import ConfigError
from rnntool.tasks.base import Task
from rnntool.tasks.delay import DelayGoContinuous
from rnntool.tasks.engellab import CDDM, MemoryTask
from rnntool.tasks.multitask import MultiTask
from rnntool.tasks.period_task import PeriodTask

TRACE_KINDS = ("line", "ring")


@dataclass
class TraceSetup:
    """Trials whose states at step ``at`` (B,), relaxed under ``u`` (n_in,), anchor one attractor."""

    label: str
    u: np.ndarray
    inputs: Tensor
    at: Tensor


def _end_of(task: PeriodTask, conditions: dict[str, Tensor], period: str, label: str) -> TraceSetup:
    batch = task.build(conditions, torch.Generator().manual_seed(0))
    timeline = task.timeline(batch)
    k = timeline.index(period)
    at = timeline.onsets[:, k] + timeline.durations[:, k] - 1
    u = task.input_of(period, {key: v[:1] for key, v in conditions.items()})[0].numpy()
    return TraceSetup(label, u, batch.inputs, at)


@singledispatch
def trace_setups(task: Task) -> list[TraceSetup]:
    """The attractors worth tracing in a network trained on ``task``."""
    raise ConfigError(f"task {task.name!r} defines no attractor to trace (tasks that do: cddm, "
                      "memory_anti_number, memory_anti_angle, delaygo_continuous, "
                      "delayanti_continuous)")


@trace_setups.register
def _cddm(task: CDDM) -> list[TraceSetup]:
    grid = task.coherences
    setups = []
    for context, name in enumerate(("motion", "colour")):
        other = "colour" if name == "motion" else "motion"
        conditions = {"context": torch.full((len(grid),), context), name: grid,
                      other: torch.zeros(len(grid))}
        setups.append(_end_of(task, conditions, "decision", f"{name} context"))
    return setups


@trace_setups.register
def _memory(task: MemoryTask) -> list[TraceSetup]:
    conditions = task.all_conditions()
    return [_end_of(task, conditions, "delay", "delay"), _end_of(task, conditions, "recall", "recall")]


@trace_setups.register
def _continuous(task: DelayGoContinuous) -> list[TraceSetup]:
    return [_end_of(replace(task, smoothing=0), task.all_conditions(), "delay", "delay")]


@trace_setups.register
def _multitask(task: MultiTask) -> list[TraceSetup]:
    setups = []
    for k, member in enumerate(task.tasks):
        try:
            own = trace_setups(member)
        except ConfigError:
            continue
        for setup in own:
            u = task.embed_inputs(k, torch.as_tensor(setup.u, dtype=torch.float64)).numpy()
            setups.append(TraceSetup(f"{member.name} {setup.label}", u,
                                     task.embed_inputs(k, setup.inputs), setup.at))
    if not setups:
        raise ConfigError(f"none of the tasks {task.name} defines an attractor to trace")
    return setups


def trace_task(view: MapView, task: Task, x0: np.ndarray, kind: str = "line", n_points: int = 31,
               eig_tol: float = 1e-2, relax_steps: int = 20, reach: float = 4.0
               ) -> list[tuple[str, Trace]]:
    """Trace every attractor of ``task``'s setups in the network ``view`` (initial state x0)."""
    if kind not in TRACE_KINDS:
        raise ConfigError(f"--trace must be one of {', '.join(TRACE_KINDS)}, got {kind!r}")
    if relax_steps < 0:
        raise ConfigError(f"relax steps must be ≥ 0, got {relax_steps}")
    out = []
    for setup in trace_setups(task):
        start = torch.as_tensor(np.asarray(x0, dtype=np.float64)).expand(setup.inputs.shape[0], -1)
        states = run(view, start, setup.inputs)
        held = states[torch.arange(states.shape[0]), setup.at]
        anchors = relax(view, held, torch.as_tensor(setup.u), relax_steps).numpy()
        out.append((setup.label, trace_attractor(view, anchors, setup.u, kind == "ring",
                                                 n_points, eig_tol, reach=reach)))
    return out
