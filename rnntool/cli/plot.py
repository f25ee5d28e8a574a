"""``rnntool plot``: figures of model files and population files, headless."""

from __future__ import annotations

from pathlib import Path

import click
import h5py

from rnntool.cli.common import emit, json_option, model_paths, models_dir_option, quiet_option, stderr
from rnntool.errors import ConfigError
from rnntool.plotting.figures import KINDS, plot_model_file
from rnntool.plotting.style import FORMATS

POPULATION_FORMAT = "rnntool-population"


@click.command("plot")
@click.argument("files", nargs=-1, required=True)
@click.option("--kind", "kinds", multiple=True,
              help=f"Figure kind, repeatable: {', '.join(KINDS)} for models (default: all that "
                   "apply); population files have their own kinds.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="png", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="figures",
              show_default=True, help="Folder for the figures.")
@click.option("--dims", type=click.IntRange(2, 3), default=2, show_default=True,
              help="PCA dimensions of the pca figure.")
@click.option("--key", default=None,
              help="Stored fixed-point result to draw (default: the most recent).")
@models_dir_option
@json_option
@quiet_option
def command(files: tuple[str, ...], kinds: tuple[str, ...], fmt: str, out_dir: str, dims: int,
            key: str | None, models_dir: str | None, as_json: bool, quiet: bool) -> None:
    """Draw figures of model or population FILES into --out; prints the paths written.

    \b
    Examples:
      rnntool plot bptt_0050 --kind pca --format pdf
      rnntool fixedpoints m1 m2 | rnntool plot - --kind pca --dims 3
    """
    written = []
    for path in model_paths(files, models_dir):
        if _is_population(path):
            from rnntool.plotting.population import plot_population_file

            paths = plot_population_file(path, list(kinds) or None, Path(out_dir), fmt)
        else:
            paths = plot_model_file(path, list(kinds) or None, out_dir, fmt, key, dims)
        if not quiet:
            stderr.print(f"{path.name}: {len(paths)} figure(s) in {out_dir}/")
        written.extend(paths)
        if not as_json:
            emit(paths)
    if as_json:
        emit(written, True, None)


def _is_population(path: Path) -> bool:
    try:
        with h5py.File(path, "r") as f:
            return f.attrs.get("format") == POPULATION_FORMAT
    except OSError:
        raise ConfigError(f"{path}: not a readable HDF5 file") from None
