"""``rnntool import-miconi``: turn Miconi weight text files into a model file."""

from __future__ import annotations

import click

from rnntool.cli.common import emit, json_option, models_dir_option, quiet_option, stderr
from rnntool.cli.existing import existing_options, must_compute
from rnntool.cli.options import FINITE, NON_NEGATIVE, count


@click.command("import-miconi")
@click.argument("prefix", type=click.Path(dir_okay=False))
@click.argument("name")
@click.option("--N", "contexts", type=count(1024), default=2, show_default=True,
              help="Contexts of the cdi task the network was trained on.")
@click.option("--rdm", is_flag=True, help="The network was trained on random dot motion.")
@click.option("-v", "--noise-std", type=NON_NEGATIVE, default=0.5, show_default=True,
              help="Input-noise standard deviation the network was trained with.")
@click.option("--alpha", type=FINITE, default=None, show_default="1/30, as trained",
              help="Euler factor dt/τ for simulating it (McMahan et al. 2021 used 0.1).")
@existing_options("the model file")
@models_dir_option
@json_option
@quiet_option
def command(prefix: str, name: str, contexts: int, rdm: bool, noise_std: float,
            alpha: float | None, overwrite: bool, keep: bool, models_dir: str | None,
            as_json: bool, quiet: bool) -> None:
    """Import PREFIX_win.txt and PREFIX_J.txt (Miconi's C++ program) as model NAME.

    \b
    Examples:
      rnntool import-miconi runs/net hebb_miconi --N 2
      rnntool import-miconi runs/rdm hebb_rdm --rdm --alpha 0.1
    """
    from rnntool.importers import import_miconi
    from rnntool.storage import output_path, write_model
    from rnntool.tasks import make_task

    ctx = click.get_current_context()
    if rdm and ctx.get_parameter_source("contexts") is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--rdm cannot be combined with --N")
    task = make_task("rdm", noise_std=noise_std) if rdm else make_task(
        "cdi", contexts=contexts, noise_std=noise_std)
    path = output_path(name, models_dir)
    if not must_compute(path.exists(), str(path), overwrite, keep):
        if not quiet:
            stderr.print(f"{path.stem}: kept the existing model file")
        emit([path], as_json, [{"path": str(path), "kept": True}])
        return
    record = import_miconi(prefix, path.stem, task, alpha)
    write_model(path, record)
    if not quiet:
        stderr.print(f"imported [bold]{path.stem}[/]: {record.weights['W_rec'].shape[0]} units, "
                     f"task {task.name}, α = {record.network['alpha']:.4g}")
    emit([path], as_json, [{"path": str(path), "kept": False,
                            "n_rec": int(record.weights["W_rec"].shape[0])}])
