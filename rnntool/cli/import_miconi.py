"""``rnntool import-miconi``: turn Miconi weight text files into a model file."""

from __future__ import annotations

import click

from rnntool.cli.common import emit, json_option, models_dir_option, quiet_option, stderr
from rnntool.cli.options import FINITE, NON_NEGATIVE, count
from rnntool.errors import ConfigError
from rnntool.importers import import_miconi
from rnntool.storage import output_path, write_model
from rnntool.tasks import make_task


@click.command("import-miconi")
@click.argument("prefix")
@click.argument("name")
@click.option("--N", "contexts", type=count(1024), default=None,
              help="Contexts of the cdi task the network was trained on (default 2).")
@click.option("--rdm", is_flag=True, help="The network was trained on random dot motion.")
@click.option("-v", "--noise-std", type=NON_NEGATIVE, default=None,
              help="Input-noise standard deviation the network was trained with (default 0.5).")
@click.option("--alpha", type=FINITE, default=None,
              help="Euler factor for simulating it (default 1/30 as trained; seed 002 used 0.1).")
@click.option("--overwrite", is_flag=True, help="Replace an existing model file.")
@models_dir_option
@json_option
@quiet_option
def command(prefix: str, name: str, contexts: int | None, rdm: bool, noise_std: float | None,
            alpha: float | None, overwrite: bool, models_dir: str | None, as_json: bool,
            quiet: bool) -> None:
    """Import PREFIX_win.txt and PREFIX_J.txt (Miconi's program) as model NAME."""
    if rdm and contexts is not None:
        raise click.UsageError("--rdm cannot be combined with --N")
    task = make_task("rdm", noise_std=noise_std) if rdm else make_task(
        "cdi", contexts=contexts, noise_std=noise_std)
    path = output_path(name, models_dir)
    if path.exists() and not overwrite:
        raise ConfigError(f"{path} exists; pass --overwrite to replace it")
    record = import_miconi(prefix, path.stem, task, alpha)
    write_model(path, record)
    if not quiet:
        stderr.print(f"imported [bold]{path.stem}[/]: {record.weights['W_rec'].shape[0]} units, "
                     f"task {task.name}, α = {record.network['alpha']:.4g}")
    emit([path], as_json, [{"path": str(path), "n_rec": int(record.weights["W_rec"].shape[0])}])
