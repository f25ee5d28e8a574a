"""Conventions every subcommand follows.

- stdout carries only the paths written, one per line (``--json`` prints a JSON summary
  instead); logs, tables and progress go to stderr.
- ``-`` among the model arguments reads names or paths from stdin.
- Exit codes: 0 success, 1 failure, 2 bad usage or bad input, always with a one-line
  ``rnntool: error: …`` message and never a traceback.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import click
from rich.console import Console

if TYPE_CHECKING:
    from rnntool.storage.groups import ModelGroups

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


def writable_model_paths(names: Iterable[str], models_dir: str | None) -> list[Path]:
    """Like :func:`model_paths`, for commands that store results in the model files: a
    shipped sample model is replaced by its copy in the models folder (made once)."""
    from rnntool.storage.names import writable_model

    return [writable_model(p, models_dir) for p in model_paths(names, models_dir)]


def read_groups(group_file: str | Path, models_dir: str | None) -> "ModelGroups":
    """Read a group file, or with ``-`` the group file's text from stdin (its population
    files are then named ``stdin.<metric>.h5`` in the working directory)."""
    from rnntool.storage.groups import read_group_file

    if str(group_file) == "-":
        return read_group_file(Path("stdin"), models_dir, text=sys.stdin.read())
    return read_group_file(group_file, models_dir)


def emit(paths: Iterable[Path], as_json: bool = False, summary: Any = None) -> None:
    """Report what was written: paths one per line, or a JSON summary."""
    paths = [str(p) for p in paths]
    if as_json:
        click.echo(json.dumps(finite_json({"paths": paths, "results": summary}), allow_nan=False))
    else:
        for p in paths:
            click.echo(p)


def finite_json(obj: Any) -> Any:
    """``obj`` made JSON-safe: arrays become lists, and NaN/±Inf (an undefined silhouette,
    say) become null, because JSON has no NaN."""
    if hasattr(obj, "tolist"):
        obj = obj.tolist()
    if isinstance(obj, dict):
        return {str(k): finite_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_json(v) for v in obj]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    return str(obj)
