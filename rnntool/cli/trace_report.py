"""Reports of the task-suite options of ``rnntool fixedpoints`` (``--trace``, ``--sweep``)."""

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
