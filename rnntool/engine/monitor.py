"""The monitor every learning rule reports to: history, validation, stopping, best network.

A monitor follows K network members (K = 1 for a single run; K seeds for a batched
ensemble). Each member has its own history, stopping rules and best network, and a member
that has stopped is no longer recorded. Rules call :meth:`Monitor.record` (one member) or
:meth:`Monitor.record_all` (every member of an ensemble) once per unit of progress.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
from rich.console import Console

from rnntool.engine.metrics import available_metrics, improves
from rnntool.engine.progress import ProgressDisplay
from rnntool.engine.stopping import StopCriteria
from rnntool.engine.validation import ValidationSet
from rnntool.network.ctrnn import CTRNN
from rnntool.tasks.base import Task


def recorded_keys(task: Task) -> list[str]:
    """History keys every rule records for ``task`` (rules may add more)."""
    keys = ["loss", "iteration", "seconds"] + [f"val_{m}" for m in available_metrics(task)]
    return keys + (["train_accuracy"] if task.has_correct_answer else [])


class ScalarLogger(Protocol):
    """Where per-iteration scalars go besides the history (TensorBoard)."""

    def log(self, member: int, iteration: int, values: dict[str, float]) -> None: ...

    def close(self) -> None: ...


@dataclass
class MemberTrack:
    """What the monitor knows about one member."""

    stopping: StopCriteria
    history: dict[str, list[float]] = field(default_factory=dict)
    iterations: int = 0
    stopped: bool = False
    best_value: float = float("nan")
    best_iteration: int = -1
    best_params: dict[str, torch.Tensor] | None = None


@dataclass
class Monitor:
    """Collects the history, validates, applies the stopping rules and keeps the best networks.

    Validation runs every ``validate_every`` units (a *check*); the best network of each
    member is the one with the best validation value of the task's primary metric.
    """

    task: Task
    validation: ValidationSet
    stopping: StopCriteria
    unit: str = "iteration"
    console: Console | None = None
    members: int = 1
    validate_every: int = 1
    logger: ScalarLogger | None = None
    checkpointer: Any = None
    tracks: list[MemberTrack] = field(init=False)
    metric_names: list[str] = field(init=False)
    _elapsed: float = 0.0
    _start: float = field(default_factory=time.perf_counter)
    _display: ProgressDisplay | None = None

    def __post_init__(self) -> None:
        self.metric_names = available_metrics(self.task)
        self.stopping.check_metrics(recorded_keys(self.task))
        self.tracks = [MemberTrack(self.stopping.fresh()) for _ in range(self.members)]

    @property
    def primary(self) -> str:
        return f"val_{self.task.primary}"

    def __enter__(self) -> "Monitor":
        if self.console is not None:
            self._display = ProgressDisplay(self.console, self.stopping.max_iters, self.unit,
                                            self.primary)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._display is not None:
            self._display.stop()
        if self.logger is not None:
            self.logger.close()

    # properties of member 0 (single runs) -------------------------------------------------
    @property
    def iterations(self) -> int:
        return self.tracks[0].iterations

    @property
    def seconds(self) -> float:
        return self._elapsed + time.perf_counter() - self._start

    @property
    def history(self) -> dict[str, list[float]]:
        return self.tracks[0].history

    @property
    def converged(self) -> bool:
        return self.tracks[0].stopping.converged

    @property
    def stopped(self) -> np.ndarray:
        return np.array([t.stopped for t in self.tracks])

    # recording ----------------------------------------------------------------------------
    def record(self, net: CTRNN, loss: float, train_accuracy: float = float("nan"),
               member: int = 0, validate: bool | None = None, **extra: float) -> bool:
        """Log one unit of progress of a single run, scored on member ``member`` of ``net``
        (a population's best); True means stop."""
        view = net.member(member) if net.members > 1 else net
        stopped = self.record_all(view, np.array([loss]), np.array([train_accuracy]),
                                  None if validate is None else np.array([validate]),
                                  **{k: np.array([v]) for k, v in extra.items()})
        return bool(stopped[0])

    def record_all(self, net: CTRNN, losses: np.ndarray, train_accuracy: np.ndarray,
                   validate: np.ndarray | None = None, **extra: np.ndarray) -> np.ndarray:
        """Log one unit of progress of every member still training: arrays of shape (K,),
        member k of ``net`` being member k of the monitor. Returns which members have stopped."""
        active = [k for k, t in enumerate(self.tracks) if not t.stopped]
        if not active:
            return self.stopped
        iteration = self.tracks[active[0]].iterations + 1
        check = iteration % self.validate_every == 0
        gate = np.array([bool(validate[k]) if validate is not None else
                         not (train_accuracy[k] < self.validation.validate_from)
                         for k in range(self.members)])
        scores = (self.validation.metrics(net, self.task)
                  if check and any(gate[k] for k in active) else {})
        seconds = self.seconds
        for k in active:
            values = {"loss": float(losses[k]), "iteration": float(iteration), "seconds": seconds,
                      **{key: float(v[k]) for key, v in extra.items()}}
            if self.task.has_correct_answer:
                values["train_accuracy"] = float(train_accuracy[k])
            for name in self.metric_names:
                values[f"val_{name}"] = (float(scores[name][k]) if check and gate[k]
                                         else float("nan"))
            self._update(k, net, values, check and bool(gate[k]), check)
        self._show(active, iteration)
        return self.stopped

    def _update(self, k: int, net: CTRNN, values: dict[str, float], validated: bool,
                check: bool) -> None:
        track = self.tracks[k]
        track.iterations += 1
        for key, value in values.items():
            if key != "iteration":
                track.history.setdefault(key, []).append(value)
        if validated and improves(self.primary, values[self.primary], track.best_value):
            track.best_value, track.best_iteration = values[self.primary], track.iterations - 1
            track.best_params = {n: v[k:k + 1].detach().clone() for n, v in net.params.items()}
        seen = values if check else {key: v for key, v in values.items() if not key.startswith("val_")}
        track.stopped = track.stopping.update(seen)
        if self.logger is not None:
            self.logger.log(k, track.iterations, values)

    def _show(self, active: list[int], iteration: int) -> None:
        if self._display is None:
            return
        h = self.tracks[active[0]].history
        self._display.update(iteration, h["loss"][-1], h.get("train_accuracy", [float("nan")])[-1],
                             self.tracks[active[0]].best_value,
                             iteration / max(self.seconds, 1e-9),
                             int((~self.stopped).sum()), self.members)

    # results --------------------------------------------------------------------------------
    def best_network(self, net: CTRNN, member: int = 0, track: int = 0) -> CTRNN:
        """The best validated network of monitor member ``track``, or member ``member`` of
        ``net`` if it was never validated."""
        best = self.tracks[track].best_params
        if best is None:
            return net.member(member)
        return CTRNN(net.config, best, net.device)

    def best_networks(self, net: CTRNN) -> CTRNN:
        """Every member's best validated network (its current one if never validated), stacked."""
        parts = [t.best_params if t.best_params is not None
                 else {n: v[k:k + 1].detach().clone() for n, v in net.params.items()}
                 for k, t in enumerate(self.tracks)]
        return CTRNN(net.config, {n: torch.cat([p[n] for p in parts]) for n in parts[0]}, net.device)

    def summary(self, member: int = 0) -> dict[str, Any]:
        t = self.tracks[member]
        return {"iterations": t.iterations, "unit": self.unit,
                "converged": t.stopping.converged, "stopped_by": t.stopping.fired,
                "primary_metric": self.primary, "best_iteration": t.best_iteration,
                f"best_{self.primary}": t.best_value, "seconds": self.seconds}

    def history_arrays(self, member: int = 0) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in self.tracks[member].history.items()}

    # checkpoints ------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything needed to continue exactly: arrays, numbers and JSON strings."""
        out: dict[str, Any] = {"seconds": self.seconds}
        for k, t in enumerate(self.tracks):
            member: dict[str, Any] = {
                "history": {key: np.asarray(v, dtype=np.float64) for key, v in t.history.items()},
                "iterations": t.iterations, "stopped": int(t.stopped),
                "best_value": float(t.best_value), "best_iteration": t.best_iteration,
                "stopping": json.dumps(t.stopping.state())}
            if t.best_params is not None:
                member["best_params"] = {n: v.detach().cpu().numpy() for n, v in t.best_params.items()}
            out[f"member{k}"] = member
        return out

    def load_state(self, state: dict[str, Any], device: torch.device) -> None:
        for k, t in enumerate(self.tracks):
            m = state[f"member{k}"]
            t.history = {key: [float(x) for x in np.asarray(v)] for key, v in m["history"].items()}
            t.iterations, t.stopped = int(m["iterations"]), bool(m["stopped"])
            t.best_value, t.best_iteration = float(m["best_value"]), int(m["best_iteration"])
            t.stopping.load_state(json.loads(m["stopping"]))
            t.best_params = ({n: torch.from_numpy(np.array(v)).to(device) for n, v in m["best_params"].items()}
                             if "best_params" in m else None)
        self._elapsed, self._start = float(state["seconds"]), time.perf_counter()
