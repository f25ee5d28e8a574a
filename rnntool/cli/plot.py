"""``rnntool plot``: figures of model files and population files, headless."""

from __future__ import annotations

from pathlib import Path

import click

from rnntool.cli.common import emit, json_option, model_paths, models_dir_option, quiet_option, stderr
from rnntool.cli.completion import complete_models
from rnntool.cli.figure_options import fixed_point_key_option, out_folder_option
from rnntool.errors import ConfigError
from rnntool.plotting.kinds import FORMATS, MODEL_KINDS, POPULATION_KINDS

POPULATION_FORMAT = "rnntool-population"


@click.command("plot")
@click.argument("files", nargs=-1, required=True, shell_complete=complete_models)
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(MODEL_KINDS + POPULATION_KINDS), show_default="all that apply",
              help=f"Figure kind, repeatable. Model files: {', '.join(MODEL_KINDS)}; "
                   f"population files: {', '.join(POPULATION_KINDS)}.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="png", help="File format.")
@out_folder_option("figures, written as <file stem>.<kind>.<format>")
@click.option("--dims", type=click.IntRange(2, 3), default=2,
              help="Dimensions of the pca, attractor-map and sweep figures.")
@click.option("--axes", default=None, metavar="A,B[,C]", show_default="the task's",
              help="Axes of the attractor-map figure, in order (then principal components): "
                   "choice, context, sensory (cddm), readout, readoutK, inputK, pcK.")
@fixed_point_key_option("Stored fixed-point result to draw, e.g. sparse_approx.")
@models_dir_option
@json_option
@quiet_option
def command(files: tuple[str, ...], kinds: tuple[str, ...], fmt: str, out_dir: str, dims: int,
            axes: str | None, key: str | None, models_dir: str | None, as_json: bool,
            quiet: bool) -> None:
    """Draw figures of model or population FILES into --out; prints the paths written.

    Figures are derived files: an existing figure of the same name is replaced.

    \b
    Examples:
      rnntool plot bptt_0050 --kind pca --format pdf
      rnntool plot bptt_0050 --kind eigen --key small_exact
      rnntool fixedpoints bptt_0050 --mode sparse --keep | rnntool plot - --kind pca --dims 3
      rnntool plot models/groups.svcca.h5 --kind mds
      rnntool plot cddm_1 --kind attractor-map --dims 3 --axes choice,context,pc1
    """
    import h5py

    from rnntool.plotting.axis_names import parse_axes

    parse_axes(axes, dims)
    written = []
    for path in model_paths(files, models_dir):
        if _is_population(h5py, path):
            from rnntool.plotting.population import plot_population_file

            wrong = [k for k in kinds if k not in POPULATION_KINDS]
            if wrong:
                raise ConfigError(f"{path}: population files have no figure {wrong[0]!r} "
                                  f"(theirs: {', '.join(POPULATION_KINDS)})")
            paths = plot_population_file(path, list(kinds) or None, Path(out_dir), fmt)
        else:
            from rnntool.plotting.figures import plot_model_file

            wrong = [k for k in kinds if k not in MODEL_KINDS]
            if wrong:
                raise ConfigError(f"{path}: model files have no figure {wrong[0]!r} "
                                  f"(theirs: {', '.join(MODEL_KINDS)})")
            paths = plot_model_file(path, list(kinds) or None, out_dir, fmt, key, dims, axes)
        if not quiet:
            stderr.print(f"{path.name}: {len(paths)} figure(s) in {out_dir}/")
        written.extend(paths)
        if not as_json:
            emit(paths)
    if as_json:
        emit(written, True, None)


def _is_population(h5py: object, path: Path) -> bool:
    try:
        with h5py.File(path, "r") as f:  # type: ignore[attr-defined]
            return f.attrs.get("format") == POPULATION_FORMAT
    except OSError:
        raise ConfigError(f"{path}: not a readable HDF5 file") from None
