"""The live training display on stderr (one small module, so its look can change in one place)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


class ProgressDisplay:
    """A progress bar with the loss, the training-batch score and the primary validation metric."""

    def __init__(self, console: Console, total: int, unit: str, primary: str) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(),
            TextColumn("{task.completed}/{task.total} {task.fields[unit]}s"),
            TextColumn("loss {task.fields[loss]:.4g}  train {task.fields[train]}  "
                       f"{primary} " "{task.fields[val]}  {task.fields[rate]:.1f} {task.fields[unit]}s/s"
                       "{task.fields[members]}"),
            TimeElapsedColumn(), console=console, transient=False)
        self._progress.start()
        self._bar = self._progress.add_task("training", total=total, loss=float("nan"),
                                            train="–", val="–", rate=0.0, unit=unit, members="")

    def update(self, iteration: int, loss: float, train: float, val: float, rate: float,
               active: int, members: int) -> None:
        fields: dict[str, Any] = dict(loss=loss, train=_fmt(train), val=_fmt(val), rate=rate,
                                      members=f"  {active}/{members} members training"
                                      if members > 1 else "")
        self._progress.update(self._bar, completed=iteration, **fields)

    def stop(self) -> None:
        self._progress.stop()


def _fmt(value: float) -> str:
    return "–" if value != value else f"{value:.4g}"
