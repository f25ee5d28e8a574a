"""Options and stderr tables shared by the population commands (``svcca``, ``topology``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import click

from rnntool.cli.common import stderr
from rnntool.cli.options import SEED, count

seed_option = click.option("--seed", type=SEED, default=0, show_default=True,
                           help="Seed of the initial states and of the MDS embedding.")
reload_option = click.option("--reload", is_flag=True,
                             help="Recompute the distances even when the output file holds "
                                  "distances of the same models and settings.")
legacy_rows_option = click.option(
    "--legacy-rows", is_flag=True,
    help="McMahan et al. 2021's MDS/silhouette on distance-matrix rows used as features "
         "(replication only).")
workers_option = click.option("--workers", type=count(1024), default=None,
                              show_default="in-process",
                              help="Compute the distances on a local Dask cluster of N processes.")
scheduler_option = click.option("--scheduler", default=None, metavar="ADDRESS",
                                help="Compute the distances on this running Dask scheduler.")


def out_option(default: str) -> Any:
    """``--out``: where the population file goes."""
    return click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, show_default=default,
                        help="Population file to write.")


def planned_output(path: Path, exists_with_other_inputs: bool, overwrite: bool, keep: bool
                   ) -> bool:
    """Whether to (re)write ``path``: a file computed from other inputs is replaced only
    with --overwrite (--keep leaves it); one from the same inputs is the cache."""
    from rnntool.cli.existing import must_compute

    return must_compute(exists_with_other_inputs, f"{path} (computed from other models or "
                        "settings)", overwrite, keep)


def show_population(pop: Any, path: Path, cached: bool) -> None:
    """Print the per-group table (silhouette, mean within/between distances) to stderr."""
    from rich.table import Table

    emb = pop.embedding
    table = Table(title=f"{pop.metric} distances, {len(pop.groups.models)} models: "
                        f"silhouette {_fmt(emb.silhouette)}, MDS stress {_fmt(emb.stress)}"
                        f"{' (cached distances)' if cached else ''}")
    for column in ("group", "models", "silhouette", "mean within", "mean between"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for row in pop.group_summary():
        table.add_row(row["group"], str(row["models"]), _fmt(row["silhouette"]),
                      _fmt(row["within"]), _fmt(row["between"]))
    stderr.print(table)


def show_models(pop: Any, columns: dict[str, Sequence[Any]], warnings: Sequence[str],
                pair_warnings: Sequence[str]) -> None:
    """Print a per-model table (``columns``) and every warning to stderr."""
    from rich.table import Table

    table = Table(title="per model")
    for column in ("model", "group", *columns):
        table.add_column(column, justify="left" if column in ("model", "group") else "right")
    for k, name in enumerate(pop.groups.names):
        table.add_row(name, pop.groups.groups[k], *(str(values[k]) for values in columns.values()))
    stderr.print(table)
    for name, text in zip(pop.groups.names, warnings):
        if text:
            stderr.print(f"[yellow]warning:[/] {name} {text}")
    for text in pair_warnings:
        stderr.print(f"[yellow]warning:[/] {text}")


def _fmt(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.3f}"
