"""Conventions every subcommand follows.

- stdout carries only the paths written, one per line (``--json`` prints a JSON summary
  instead); logs, tables and progress go to stderr.
- ``-`` among the model arguments reads names or paths from stdin.
- Exit codes: 0 success, 1 failure, 2 bad usage or bad input, always with a one-line
  ``rnntool: error: …`` message and never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterable

import click
from rich.console import Console

stderr = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 120)

models_dir_option = click.option(
    "--models-dir", type=click.Path(file_okay=False), default=None,
    show_default="$RNNTOOL_MODELS or ./models", help="Folder for named models.")
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print a machine-readable JSON summary on stdout.")
quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress or tables on stderr.")
device_option = click.option(
    "--device", default="cpu", show_default=True,
    callback=lambda ctx, param, value: _checked_device(value),
    help="Torch device: cpu, cuda, cuda:N or mps (checked against the installed torch).")


def _checked_device(name: str) -> str:
    from rnntool.devices import check_device

    return check_device(name)


def model_paths(names: Iterable[str], models_dir: str | None) -> list[Path]:
    """Resolve model arguments (``-`` reads more from stdin) to existing files."""
    from rnntool.storage.names import expand_stdin, resolve_model

    args = expand_stdin(names, sys.stdin)
    if not args:
        raise click.UsageError("no models given")
    return [resolve_model(a, models_dir) for a in args]


def emit(paths: Iterable[Path], as_json: bool = False, summary: Any = None) -> None:
    """Report what was written: paths one per line, or a JSON summary."""
    paths = [str(p) for p in paths]
    if as_json:
        click.echo(json.dumps({"paths": paths, "results": summary}, default=_jsonable))
    else:
        for p in paths:
            click.echo(p)


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)
