"""Options shared by the commands that draw figures (``plot``, ``report``)."""

from __future__ import annotations

from typing import Any, Callable

import click

from rnntool.cli.outputs import folder_problem


def _writable_folder(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from pathlib import Path

    problem = folder_problem(Path(value))
    if problem:
        raise click.BadParameter(f"cannot write in {value}: {problem}", ctx, param)
    return value


def out_folder_option(files: str) -> Callable[[Any], Any]:
    """``--out``: the folder the figures or reports go to (default ``figures``), checked
    writable while the arguments are parsed; ``files`` says how they are named there."""
    return click.option("--out", "out_dir", type=click.Path(file_okay=False), default="figures",
                        callback=_writable_folder, help=f"Folder for the {files}.")


def fixed_point_key_option(help: str) -> Callable[[Any], Any]:
    """``--key``: which stored fixed-point result the figures draw (default the most recent)."""
    return click.option("--key", default=None, show_default="the most recent", help=help)
