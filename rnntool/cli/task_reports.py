"""Reports of the task suites: evaluate's scores per task, fixedpoints --trace."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from rnntool.analysis.attractors import Trace
from rnntool.cli.common import stderr
from rnntool.errors import ConfigError


def check_task_options(mode: str | None, inputs: str | None, interpolate: Any, sweep: str | None,
                       trace: str | None) -> None:
    """One input specification at most; ``--trace`` takes none (it finds its own inputs)."""
    given = [name for name, value in (("--mode", mode), ("--inputs", inputs),
                                      ("--interpolate", interpolate), ("--sweep", sweep))
             if value]
    if trace and given:
        raise ConfigError(f"--trace finds its inputs from the task; drop {given[0]}")
    if len(given) > 1:
        raise ConfigError(f"give only one of {', '.join(given)}")


def show_traces(name: str, kind: str, traces: list[tuple[str, Trace]]) -> None:
    table = Table(title=f"{name}: traced {kind} attractors")
    for col in ("attractor", "points", "stable", "marginal", "unstable", "max q", "length",
                "slow mode along it"):
        table.add_column(col, justify="left" if col == "attractor" else "right")
    for label, trace in traces:
        c = trace.counts()
        table.add_row(label, str(len(trace.q)), str(c["stable"]), str(c["marginal"]),
                      str(c["unstable"]), f"{trace.q.max():.1e}",
                      f"{trace.arc[-1]:.3g}", f"{trace.alignment.mean():.2f}")
    stderr.print(table)


def trace_summary(traces: list[tuple[str, Trace]]) -> dict[str, Any]:
    return {label: {**trace.counts(), "points": int(len(trace.q)), "max_q": float(trace.q.max())}
            for label, trace in traces}


def show_per_task(name: str, result: dict[str, Any]) -> None:
    """Validation MSE and correct rate of each task (evaluate on period-based tasks)."""
    per_task = result.get("per_task")
    if not per_task:
        return
    table = Table(title=f"{name}: per task")
    for col in ("task", "MSE", "correct", "trials"):
        table.add_column(col, justify="left" if col == "task" else "right")
    for task, scores in per_task.items():
        acc = scores.get("accuracy")
        table.add_row(task, f"{scores['mse']:.4g}", "-" if acc is None else f"{acc:.3f}",
                      str(scores["trials"]))
    stderr.print(table)
