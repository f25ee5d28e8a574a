"""Training progress that tells the truth: a live line on a terminal, plain log lines elsewhere.

What is shown for each unit of progress (iteration, generation, trial):
- loss, training-batch accuracy, this unit's validation value of the primary metric ("–"
  when validation was skipped: while the training accuracy is below ``validate_from``, or
  between ``validate_every`` checks) and the best one;
- each stopping rule's progress: a threshold rule's streak out of its window (e.g.
  ``val_accuracy>=0.9 for 10: 3/10``), a plateau rule's checks without improvement, i.e.
  how far the run is from stopping early;
- the time left until the budget (``--max-iters``) is spent at the current rate: an upper
  bound, since the stopping rule usually fires earlier.

On a terminal this is a live progress line (rich). When stderr is not a terminal (cluster
jobs, ``tail -f`` on a log file), or when an interval is asked for explicitly, one plain
line is written every ``log_every`` seconds, plus the first and the last unit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from rich.console import Console

#: Seconds between plain log lines when stderr is not a terminal.
DEFAULT_LOG_EVERY = 30.0


@dataclass
class ProgressSettings:
    """How training progress is reported: where, and how often as plain lines."""

    console: Console
    log_every: float | None = None
    label: str = ""

    @property
    def plain(self) -> bool:
        return self.log_every is not None or not self.console.is_terminal


@dataclass
class TrainingProgress:
    """Receives one call per unit of progress and reports it (see the module docstring).

    Same interface as the engine's live display (``update``/``stop``), so the monitor
    switches between them at one call site."""

    settings: ProgressSettings
    total: int
    unit: str = "iteration"
    primary: str = "val_accuracy"
    done: int = 0
    stop_text: str = ""
    members_text: str = ""
    val: float = math.nan
    best: float = math.nan
    last_val: float = math.nan
    loss: float = math.nan
    train: float = math.nan
    _start: float = field(default_factory=time.perf_counter)
    _last_line: float = -math.inf
    _printed: int = 0
    _live: Any = None
    _bar: Any = None

    def __post_init__(self) -> None:
        self._start = time.perf_counter()
        if not self.settings.plain:
            from rich.progress import BarColumn, Progress, TextColumn

            self._live = Progress(TextColumn("[bold]{task.description}"), BarColumn(bar_width=24),
                                  TextColumn("{task.fields[status]}"),
                                  console=self.settings.console, transient=False)
            self._live.start()
            self._bar = self._live.add_task(self.settings.label or "training", total=self.total,
                                            status=self.status())

    def update(self, iteration: int, loss: float, train: float, val: float, best: float,
               stopping: Any = None, active: int = 1, members: int = 1) -> None:
        """One unit of progress; ``val`` is NaN when validation was skipped this unit."""
        self.done, self.loss, self.train, self.val = iteration, loss, train, val
        if val == val:
            self.last_val = val
        self.best = best if best is not None else math.nan
        self.stop_text = stop_progress(stopping)
        self.members_text = f"  {active}/{members} members training" if members > 1 else ""
        if self._live is not None:
            self._live.update(self._bar, completed=self.done, status=self.status())
            return
        every = DEFAULT_LOG_EVERY if self.settings.log_every is None else self.settings.log_every
        if self._printed == 0 or time.perf_counter() - self._last_line >= every:
            self._line()

    def stop(self) -> None:
        if self._live is not None:
            self._live.update(self._bar, status=self.status())
            self._live.stop()
        elif self.done and self._printed != self.done:
            self._line()

    @property
    def rate(self) -> float:
        return self.done / max(time.perf_counter() - self._start, 1e-9)

    def status(self) -> str:
        """The text after the bar: counts, metrics, stopping rules, times."""
        unit = self.unit + "s"
        if not self.done:
            return f"0/{self.total} {unit}"
        best = "–" if not math.isfinite(self.best) else f"{self.best:.4g}"
        if self.val == self.val:
            val = f"{self.val:.4g} (best {best})"
        else:
            last = "" if math.isnan(self.last_val) else f"last {self.last_val:.4g}, "
            val = f"– (not validated this {self.unit}; {last}best {best})"
        train = "–" if self.train != self.train else f"{self.train:.3f}"
        elapsed = time.perf_counter() - self._start
        left = (self.total - self.done) / self.rate if self.done < self.total else 0.0
        stop = f"  stop: {self.stop_text}" if self.stop_text else ""
        return (f"{self.done}/{self.total} {unit}  loss {self.loss:.4g}  train {train}  "
                f"{self.primary} {val}{stop}  {self.rate:.3g} {unit}/s  {_clock(elapsed)} "
                f"elapsed, budget ends in ≤ {_clock(left)}{self.members_text}")

    def _line(self) -> None:
        self._last_line = time.perf_counter()
        self._printed = self.done
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        label = f"{self.settings.label} " if self.settings.label else ""
        self.settings.console.print(f"{stamp} {label}{self.status()}", markup=False,
                                    highlight=False, soft_wrap=True)


def stop_progress(stopping: Any) -> str:
    """How far each stopping rule is from firing, e.g. ``val_accuracy>=0.9 for 10: 3/10``."""
    parts = []
    for rule in getattr(stopping, "rules", []) or []:
        if hasattr(rule, "streak") and hasattr(rule, "window"):
            parts.append(f"{rule.spec}: {rule.streak}/{rule.window}")
        elif hasattr(rule, "waited") and hasattr(rule, "patience"):
            parts.append(f"{rule.spec}: {rule.waited}/{rule.patience} without improvement")
    return "; ".join(parts)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def training_progress(where: Console | ProgressSettings, total: int, unit: str,
                      primary: str) -> TrainingProgress:
    """The reporter for a training run: ``where`` is a console (live on a terminal, plain
    lines elsewhere) or explicit :class:`ProgressSettings`."""
    settings = where if isinstance(where, ProgressSettings) else ProgressSettings(where)
    return TrainingProgress(settings, total, unit, primary)
