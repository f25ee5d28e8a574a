"""Options and stderr tables shared by the population commands (``svcca``, ``topology``)."""

from __future__ import annotations

import math
from pathlib import Path

import click
from rich.table import Table

from rnntool.analysis.population import Population
from rnntool.cli.common import stderr
from rnntool.cli.options import SEED, count

seed_option = click.option("--seed", type=SEED, default=0, show_default=True,
                           help="Seed of the initial states and of the MDS embedding.")
reload_option = click.option("--reload", is_flag=True,
                             help="Recompute the distances instead of using the cached file.")
legacy_rows_option = click.option(
    "--legacy-rows", is_flag=True,
    help="Seed 002's MDS/silhouette on distance-matrix rows used as features (replication only).")
workers_option = click.option("--workers", type=count(1024), default=None,
                              help="Compute the distances on a local Dask cluster of N processes.")
scheduler_option = click.option("--scheduler", default=None, metavar="ADDRESS",
                                help="Compute the distances on this running Dask scheduler.")


def show_population(pop: Population, path: Path, cached: bool) -> None:
    """Print the per-group table (silhouette, mean within/between distances) to stderr."""
    emb = pop.embedding
    table = Table(title=f"{pop.metric} distances, {len(pop.groups.models)} models: "
                        f"silhouette {_fmt(emb.silhouette)}"
                        f"{' (cached distances)' if cached else ''}")
    for column in ("group", "models", "silhouette", "mean within", "mean between"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for row in pop.group_summary():
        table.add_row(row["group"], str(row["models"]), _fmt(row["silhouette"]),
                      _fmt(row["within"]), _fmt(row["between"]))
    stderr.print(table)


def _fmt(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.3f}"
