"""``rnntool sweep``: train and analyse a grid of populations from a sweep file, on Dask."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click
from rich.table import Table

from rnntool.cli.common import emit, json_option, quiet_option, stderr
from rnntool.cli.options import parse_assignments
from rnntool.executor import CLUSTERS, ExecutorSettings


@click.command("sweep")
@click.argument("sweep_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scale", default=None, help="Use the file's [scale.NAME] variant, e.g. small or tiny.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for every file of the sweep (default: the file's sweep.out).")
@click.option("--workers", type=int, default=None,
              help="Local Dask cluster of N one-thread processes (default: one per core).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on this running Dask scheduler, e.g. tcp://host:8786.")
@click.option("--cluster", type=click.Choice(sorted(CLUSTERS)), default=None,
              help="Submit Dask workers to a batch system through dask-jobqueue.")
@click.option("--cluster-opt", "cluster_opts", multiple=True, metavar="KEY=VALUE",
              help="Option of the dask-jobqueue cluster, e.g. queue=normal, cores=8, "
                   "memory=16GB, walltime=02:00:00 (repeatable).")
@click.option("--jobs", type=int, default=None, help="Batch jobs to request with --cluster (default 1).")
@click.option("--dry-run", is_flag=True, help="Check the file and list the jobs; run nothing.")
@json_option
@quiet_option
def command(sweep_file: Path, scale: str | None, out_dir: Path | None, workers: int | None,
            scheduler: str | None, cluster: str | None, cluster_opts: tuple[str, ...],
            jobs: int | None, dry_run: bool, as_json: bool, quiet: bool) -> None:
    """Train every model of SWEEP_FILE's grid (cells × seeds), evaluate it, find its fixed
    points, compare populations (svcca, topology) and draw the figures. Finished work is
    kept: re-running after a crash trains only what is missing.

    \b
    Examples:
      rnntool sweep sweeps/mcmahan2021.toml --scale tiny
      rnntool sweep sweeps/mcmahan2021.toml --scale small --workers 2
      rnntool sweep sweeps/mcmahan2021.toml --scheduler tcp://host:8786
      rnntool sweep sweeps/mcmahan2021.toml --cluster slurm --cluster-opt queue=normal \\
          --cluster-opt cores=8 --jobs 20
    """
    from rnntool.sweeps.plan import plan_sweep
    from rnntool.sweeps.run import run_sweep
    from rnntool.sweeps.spec import load_sweep

    executor = ExecutorSettings(workers=workers, scheduler=scheduler, cluster=cluster,
                                cluster_options=parse_assignments(cluster_opts, "--cluster-opt"),
                                jobs=jobs)
    executor.check()
    sweep = load_sweep(sweep_file, scale, out_dir)
    if dry_run:
        plan = plan_sweep(sweep)
        for job in plan.jobs:
            stderr.print(job.name)
        stderr.print(f"{len(plan.jobs)} jobs; {len(plan.states)} models under {plan.out}")
        return
    result = run_sweep(sweep, executor, None if quiet else stderr)
    report = result.report
    worker_time = _worker_time(report.seconds)
    if not quiet:
        for summary in result.summaries:
            _show_summary(summary)
        stderr.print(f"{len(report.results)} jobs done, {result.trained} models trained, "
                     f"{len(result.plan.states)} models in the sweep, "
                     f"{result.seconds:.1f} s")
        if worker_time:
            stderr.print("time on the workers (wall / CPU): " + "; ".join(
                f"{kind} {t['jobs']} jobs {t['wall']:.0f} s / {t['cpu']:.0f} s"
                for kind, t in worker_time.items()))
    problems = [(n, m) for n, m in report.failed.items()] + list(report.blocked.items())
    for name, message in problems:
        stderr.print(f"[red]failed[/] {name}: {message}", markup=True, highlight=False,
                     soft_wrap=True)
    emit(result.written, as_json, {"jobs": len(report.results) + len(problems),
                                   "failed": report.failed, "blocked": report.blocked,
                                   "models": len(result.plan.states),
                                   "trained": result.trained, "seconds": result.seconds,
                                   "worker_time": worker_time,
                                   "summaries": result.summaries})
    if problems:
        click.echo(f"rnntool: error: {len(report.failed)} job(s) failed and "
                   f"{len(report.blocked)} could not run (listed above); re-run to retry",
                   err=True)
        sys.exit(1)


def _worker_time(seconds: dict[str, tuple[float, float]]) -> dict[str, dict[str, float]]:
    """Wall and CPU seconds on the workers per kind of job (the job name's first word)."""
    out: dict[str, dict[str, float]] = {}
    for name, (wall, cpu) in seconds.items():
        entry = out.setdefault(name.split(" ", 1)[0], {"jobs": 0, "wall": 0.0, "cpu": 0.0})
        entry["jobs"] += 1
        entry["wall"] += wall
        entry["cpu"] += cpu
    return out


def _show_summary(summary: dict) -> None:
    from rnntool.sweeps.run import summary_table
    from rnntool.sweeps.summary import SummaryPoint

    points = [SummaryPoint(p["analysis"], p["x"], p["series"], p["value"], Path(p["path"]))
              for p in summary["points"]]
    rows = summary_table(points)
    xs = list(dict.fromkeys(x for _, pairs in rows for x, _ in pairs))
    table = Table(title=f"{summary['statistic']} against {summary['x']}")
    table.add_column("analysis")
    for x in xs:
        table.add_column(str(x), justify="right")
    for label, pairs in rows:
        values = dict(pairs)
        table.add_row(label, *("–" if x not in values or math.isnan(values[x])
                               else f"{values[x]:.3f}" for x in xs))
    stderr.print(table)
