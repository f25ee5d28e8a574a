"""Running a sweep: write its group files, run its jobs on Dask, then draw its figures.

:func:`run_sweep` is what ``rnntool sweep`` calls. Re-running it after a crash or a kill
trains only the models that are missing and recomputes only what depends on them.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from rnntool import __version__
from rnntool.executor import ExecutorSettings, JobReport, dask_client, run_jobs
from rnntool.storage.atomic import atomic_path
from rnntool.storage.tree import dumps
from rnntool.sweeps.plan import SweepPlan, plan_sweep
from rnntool.sweeps.spec import Figure, Sweep
from rnntool.sweeps.summary import SummaryPoint, collect


@dataclass
class SweepResult:
    """What a sweep run wrote and how its jobs went."""

    plan: SweepPlan
    report: JobReport
    seconds: float
    written: list[Path] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def trained(self) -> int:
        return sum(len(r["trained"]) for r in self.report.results.values()
                   if isinstance(r, dict) and "trained" in r)


def run_sweep(sweep: Sweep, executor: ExecutorSettings, console: Console | None = None
              ) -> SweepResult:
    """Plan, write the group files, run every job still to do, and draw the figures."""
    executor.check()
    plan = plan_sweep(sweep)
    _remove_stale_temporaries(plan)
    _write_settings(plan)
    for pop in plan.populations:
        _write_text(pop.path, plan.group_file_text(pop))
    if console is not None:
        done = sum(s == "complete" for s in plan.states.values())
        console.print(f"sweep [bold]{sweep.name}[/]{f' (scale {sweep.scale})' if sweep.scale else ''}: "
                      f"{len(sweep.cells)} cells × {len(sweep.seeds)} seeds = "
                      f"{len(plan.states)} models ({done} already trained), "
                      f"{len(plan.jobs)} jobs → {plan.out}")
    start = time.perf_counter()
    if plan.jobs:
        with dask_client(executor) as client:
            report = run_jobs(client, plan.jobs, console, f"sweep {sweep.name}")
    else:
        report = JobReport({}, {}, {})
    result = SweepResult(plan, report, time.perf_counter() - start)
    result.written = _files(plan)
    for figure in sweep.figures:
        result.written.extend(_draw(plan, figure, result))
    return result


def _remove_stale_temporaries(plan: SweepPlan) -> None:
    """Delete the temporary files a killed run left in the sweep's folders (an atomic
    write's ``.NAME.*.tmp``; the file it was writing was never replaced). One driver per
    output folder: a second one running there would lose its writes in progress."""
    folders = {plan.out, plan.out / "figures"} | {p.parent for p in plan.model_paths()} | {
        pop.path.parent for pop in plan.populations}
    for folder in folders:
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)


def _write_text(path: Path, text: str) -> None:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _write_settings(plan: SweepPlan) -> None:
    sweep = plan.sweep
    record = {"name": sweep.name, "source": str(sweep.source), "scale": sweep.scale,
              "seeds": list(sweep.seeds), "settings": sweep.settings,
              "rnntool_version": __version__}
    _write_text(plan.out / "sweep.json", dumps(record) + "\n")


def _files(plan: SweepPlan) -> list[Path]:
    out = [p for p in plan.model_paths() if p.is_file()]
    for pop in plan.populations:
        out.append(pop.path)
    out.extend(p for p in plan.outputs.values() if p.is_file())
    return out


def _draw(plan: SweepPlan, figure: Figure, result: SweepResult) -> list[Path]:
    folder = plan.out / "figures"
    if figure.kind == "populations":
        from rnntool.sweeps.jobs import figure_paths

        return [p for (analysis, _), path in plan.outputs.items() if analysis in figure.analyses
                for p in figure_paths(str(path), str(folder)) if p.is_file()]
    from rnntool.plotting.sweep_summary import save_summary_figure

    points = summary_points(plan, figure)
    if not points:
        return []
    leaf = figure.x.rsplit(".", 1)[-1]
    target = folder / f"{figure.compare}.{figure.statistic}_vs_{leaf}.png"
    compare = next(c for c in plan.sweep.compares if c.name == figure.compare)
    title = (f"{plan.sweep.name}: {figure.statistic} of {compare.groups} groups"
             + (f" (scale {plan.sweep.scale})" if plan.sweep.scale else ""))
    save_summary_figure(points, leaf, figure.statistic, title, target)
    result.summaries.append({"figure": str(target), "statistic": figure.statistic,
                             "x": figure.x, "points": [
                                 {"analysis": p.analysis, "x": p.x, "series": p.series,
                                  "value": p.value, "path": str(p.path)} for p in points]})
    return [target]


def summary_points(plan: SweepPlan, figure: Figure) -> list[SummaryPoint]:
    """The statistic of every population file of the figure's compare, by x value."""
    entries = []
    for pop in plan.populations:
        if pop.population != figure.compare:
            continue
        values = dict(pop.values)
        series = ", ".join(f"{plan.sweep.axis_label(a, v)}" for a, v in pop.values
                           if a != figure.x and len(dict(plan.sweep.axes)[a]) > 1)
        for analysis in figure.analyses:
            entries.append((analysis, values[figure.x], series,
                            plan.outputs[(analysis, pop.path)]))
    return collect(entries, figure.statistic)


def summary_table(points: list[SummaryPoint]) -> list[tuple[str, list[tuple[Any, float]]]]:
    """Rows (analysis and series, [(x, value), …]) for printing."""
    rows = []
    key = lambda p: (p.analysis, p.series)  # noqa: E731
    for (analysis, series), group in itertools.groupby(sorted(points, key=key), key=key):
        label = analysis + (f" ({series})" if series else "")
        rows.append((label, [(p.x, p.value) for p in group]))
    return rows
