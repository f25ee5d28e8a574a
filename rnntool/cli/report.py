"""``rnntool report``: one PDF per model with every figure that applies to it."""

from __future__ import annotations

from pathlib import Path

import click

from rnntool.cli.common import emit, json_option, model_paths, models_dir_option, quiet_option, stderr
from rnntool.cli.completion import complete_models
from rnntool.cli.figure_options import fixed_point_key_option, out_folder_option
from rnntool.cli.outputs import check_writable


@click.command("report")
@click.argument("models", nargs=-1, required=True, shell_complete=complete_models)
@out_folder_option("reports, written as <model stem>.report.pdf")
@fixed_point_key_option("Stored fixed-point result drawn by the pca and eigen figures.")
@models_dir_option
@json_option
@quiet_option
def command(models: tuple[str, ...], out_dir: str, key: str | None, models_dir: str | None,
            as_json: bool, quiet: bool) -> None:
    """Write one multi-page PDF per model of MODELS: a title page (configuration, training
    summary, stored analyses, the figures included and why others are not), the evaluation
    table and one page per figure 'rnntool plot' can draw for the model. Works for every
    model: open-loop tasks, flip-flops, System A, closed-loop IBL agents, distilled agents.

    Reports are derived files: an existing report of the same name is replaced.

    \b
    Examples:
      rnntool report bptt_0050
      rnntool report ibl_50 ibl_50.radd --out reports
      rnntool statespace ibl_50 --keep | rnntool report -
    """
    from rnntool.report import write_report

    paths = model_paths(models, models_dir)
    targets = [check_writable(Path(out_dir) / f"{p.stem}.report.pdf") for p in paths]
    written, summaries = [], []
    for path, target in zip(paths, targets):
        out, drawn, left_out = write_report(path, target, key)
        if not quiet:
            stderr.print(f"{path.stem}: {len(drawn)} figure(s) in {out}"
                         + (f"; left out: {', '.join(left_out)}" if left_out else ""))
        written.append(out)
        summaries.append({"path": str(out), "model": str(path), "figures": drawn,
                          "left_out": left_out})
        if not as_json:
            emit([out])
    if as_json:
        emit(written, True, summaries)
