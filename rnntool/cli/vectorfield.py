"""``rnntool vectorfield``: vector fields, fixed points and basins of IBL agents under the six
canonical inputs."""

from __future__ import annotations

import click

from rnntool.cli.common import emit, json_option, model_paths, models_dir_option, quiet_option, stderr
from rnntool.cli.completion import complete_models
from rnntool.cli.existing import existing_options
from rnntool.cli.options import MAX_INITS, count
from rnntool.cli.outputs import prepare_results
from rnntool.cli.statespace import closed_loop_models, session_options, space_settings


@click.command("vectorfield")
@click.argument("models", nargs=-1, required=True, shell_complete=complete_models)
@session_options
@click.option("--grid", type=count(200, 3), default=15, show_default=True,
              help="Grid points per PCA axis (kept inside the hull of the visited states).")
@click.option("--n-inits", type=count(MAX_INITS), default=1024, show_default=True,
              help="Initial states of the fixed-point search in all, seeded from the visited states.")
@click.option("--settle-steps", type=count(10**6), default=500, show_default=True,
              help="Steps each grid state is iterated to find the stable point it settles at.")
@existing_options("the stored vector field")
@models_dir_option
@json_option
@quiet_option
def command(models: tuple[str, ...], sessions: int, blocks: int, seed: int, components: int,
            grid: int, n_inits: int, settle_steps: int, overwrite: bool, keep: bool,
            models_dir: str | None, as_json: bool, quiet: bool) -> None:
    """Vector fields of closed-loop IBL MODELS under the six canonical inputs of Schaeffer
    et al. 2020 (strong left / equal / strong right evidence; negative / no / positive
    feedback): the ideal field on a hull-clipped PCA grid, the real field of observed
    transitions, fixed points from rnntool's finder with map stability (|λ| < 1) and time
    constants, and basins of attraction. Stored under analyses/vectorfield; the fixed
    points also under analyses/fixedpoints/ibl-conditions_exact.

    \b
    Examples:
      rnntool vectorfield ibl_50
      rnntool vectorfield ibl_50 --grid 25 --overwrite
      rnntool vectorfield ibl_50 --keep | rnntool plot - --kind vectorfield --kind basins
    """
    run_vector_fields(models, sessions, blocks, seed, components, grid, n_inits, settle_steps,
                      overwrite, keep, models_dir, as_json, quiet)


def run_vector_fields(models: tuple[str, ...], sessions: int = 8, blocks: int = 20,
                      seed: int = 0, components: int = 2, grid: int = 15, n_inits: int = 1024,
                      settle_steps: int = 500, overwrite: bool = False, keep: bool = False,
                      models_dir: str | None = None, as_json: bool = False,
                      quiet: bool = False) -> None:
    """The command's work (also run by ``rnntool fixedpoints --inputs ibl-conditions``)."""
    settings = space_settings(sessions, blocks, seed, components)
    from rnntool.analysis.fixedpoints import FinderSettings, store_fixed_points
    from rnntool.analysis.ibl_vectorfield import (VectorFieldSettings, analyse_model,
                                                  has_vector_field, load_vector_field,
                                                  store_vector_field)

    field_settings = VectorFieldSettings(grid=grid, settle_steps=settle_steps, seed=seed)
    field_settings.check()
    paths = model_paths(models, models_dir)
    closed_loop_models(paths, "the vector-field analysis", components)
    paths, todo = prepare_results(paths, models_dir, has_vector_field, "a vector field", overwrite, keep)
    summaries = []
    for path, compute in zip(paths, todo):
        if compute:
            field, points, _ = analyse_model(path, field_settings,
                                             FinderSettings(n_inits=n_inits, seed=seed), settings)
            store_fixed_points(path, points)
            store_vector_field(path, field)
        else:
            field = load_vector_field(path)
        rows_out = field.summary()
        if not quiet:
            show(path.stem, rows_out, kept=not compute)
        summaries.append({"path": str(path), "kept": not compute, "conditions": rows_out})
        if not as_json:
            emit([path])
    if as_json:
        emit(paths, True, summaries)


def show(name: str, rows: list[dict], kept: bool = False) -> None:
    from rich.table import Table

    table = Table(title=f"{name}: fixed points and basins under the six conditions"
                        f"{' (kept)' if kept else ''}")
    for col in ("condition", "fixed", "stable", "slowest τ (steps)", "grid settled",
                "Lyapunov-certified"):
        table.add_column(col, justify="left" if col == "condition" else "right")
    for r in rows:
        table.add_row(r["condition"], str(r["fixed"]), str(r["stable"]), f"{r['slowest_tau']:.3g}",
                      f"{100 * r['grid_settled']:.0f}%", f"{100 * r['grid_certified']:.0f}%")
    stderr.print(table)
