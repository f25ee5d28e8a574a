"""Training progress that tells the truth: a live line on a terminal, plain log lines elsewhere.

What is shown for each unit of progress (iteration, generation, trial):
- loss, training-batch accuracy, the last validation accuracy ("–" until validation has run:
  it is skipped while the training accuracy is below ``validate_from``) and the best one;
- the stopping rule's progress: how many of the last ``window`` validations reached the
  threshold, i.e. how far the run is from stopping early;
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
    """Receives one call per unit of progress and reports it (see the module docstring)."""

    settings: ProgressSettings
    total: int
    unit: str = "iteration"
    window: int = 10
    threshold: float = 0.9
    done: int = 0
    streak: int = 0
    best: float = math.nan
    last_val: float = math.nan
    validated: bool = False
    _start: float = field(default_factory=time.perf_counter)
    _last_line: float = -math.inf
    _printed: int = 0
    _live: Any = None
    _bar: Any = None

    def __enter__(self) -> "TrainingProgress":
        self._start = time.perf_counter()
        if not self.settings.plain:
            from rich.progress import BarColumn, Progress, TextColumn

            self._live = Progress(TextColumn("[bold]{task.description}"), BarColumn(bar_width=24),
                                  TextColumn("{task.fields[status]}"),
                                  console=self.settings.console, transient=False)
            self._live.start()
            self._bar = self._live.add_task(self.settings.label or "training", total=self.total,
                                            status=self.status())
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.update(self._bar, status=self.status())
            self._live.stop()
        elif self.done and self._printed != self.done:
            self._line()

    def update(self, loss: float, train_accuracy: float, val_accuracy: float) -> None:
        """One unit of progress; ``val_accuracy`` is NaN when validation was skipped."""
        self.done += 1
        self.loss, self.train = loss, train_accuracy
        if math.isfinite(val_accuracy):
            self.last_val = val_accuracy
            self.best = val_accuracy if math.isnan(self.best) else max(self.best, val_accuracy)
        self.validated = math.isfinite(val_accuracy)
        self.streak = self.streak + 1 if val_accuracy >= self.threshold else 0
        if self._live is not None:
            self._live.update(self._bar, completed=self.done, status=self.status())
            return
        now = time.perf_counter()
        every = DEFAULT_LOG_EVERY if self.settings.log_every is None else self.settings.log_every
        if self.done == 1 or now - self._last_line >= every:
            self._line()

    @property
    def rate(self) -> float:
        return self.done / max(time.perf_counter() - self._start, 1e-9)

    def status(self) -> str:
        """The text after the bar: counts, metrics, stopping rule, times."""
        unit = self.unit + "s"
        if not self.done:
            return f"0/{self.total} {unit}"
        best = "–" if math.isnan(self.best) else f"{self.best:.3f}"
        if self.validated:
            val = f"{self.last_val:.3f} (best {best})"
        else:
            last = "" if math.isnan(self.last_val) else f"last {self.last_val:.3f}, "
            val = f"– (skipped, train < validate-from; {last}best {best})"
        elapsed = time.perf_counter() - self._start
        left = (self.total - self.done) / self.rate if self.done < self.total else 0.0
        return (f"{self.done}/{self.total} {unit}  loss {self.loss:.4g}  train {self.train:.3f}  "
                f"val {val}  stop rule {self.streak}/{self.window} ≥ "
                f"{self.threshold:g}  {self.rate:.3g} {unit}/s  {_clock(elapsed)} elapsed, "
                f"budget ends in ≤ {_clock(left)}")

    def _line(self) -> None:
        self._last_line = time.perf_counter()
        self._printed = self.done
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        label = f"{self.settings.label} " if self.settings.label else ""
        self.settings.console.print(f"{stamp} {label}{self.status()}", markup=False,
                                    highlight=False, soft_wrap=True)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def training_progress(where: Console | ProgressSettings | None, total: int, unit: str,
                      window: int, threshold: float) -> TrainingProgress | None:
    """The reporter for a training run (None: report nothing). ``where`` is a console
    (live on a terminal, plain lines elsewhere) or explicit :class:`ProgressSettings`."""
    if where is None:
        return None
    settings = where if isinstance(where, ProgressSettings) else ProgressSettings(where)
    return TrainingProgress(settings, total, unit, window, threshold)
