"""Resolving model names and paths.

``NAME`` means ``<models dir>/NAME.h5`` (``--models-dir``, else ``$RNNTOOL_MODELS``, else
``./models``) and, when that does not exist, the shipped ``sample_models/NAME.h5``. Anything
ending in ``.h5`` is a path. Names containing ``..`` or path separators are refused.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable

from rnntool.errors import ConfigError, ModelNotFoundError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
SAMPLE_MODELS = Path(__file__).resolve().parents[2] / "sample_models"


def models_dir(option: str | os.PathLike | None = None) -> Path:
    """The folder where named models are written and looked up first."""
    return Path(option or os.environ.get("RNNTOOL_MODELS") or "models")


def is_path(text: str) -> bool:
    """Arguments ending in ``.h5`` are paths; everything else is a model name."""
    return text.endswith(".h5")


def check_name(name: str) -> str:
    """Return ``name`` if it is a safe model name, else raise ConfigError."""
    if not _NAME.match(name) or ".." in name:
        raise ConfigError(f"bad model name {name!r}: use letters, digits, '_', '-', '.', "
                          "no path separators or '..'")
    return name


def output_path(name_or_path: str, directory: str | os.PathLike | None = None) -> Path:
    """Where a new model called ``name_or_path`` is written."""
    if is_path(name_or_path):
        return Path(name_or_path)
    return models_dir(directory) / f"{check_name(name_or_path)}.h5"


def resolve_model(name_or_path: str, directory: str | os.PathLike | None = None) -> Path:
    """The existing file a model name or path refers to."""
    if is_path(name_or_path):
        path = Path(name_or_path)
        if not path.is_file():
            raise ModelNotFoundError(f"model file {name_or_path} not found")
        return path
    check_name(name_or_path)
    for folder in (models_dir(directory), SAMPLE_MODELS):
        candidate = folder / f"{name_or_path}.h5"
        if candidate.is_file():
            return candidate
    raise ModelNotFoundError(f"model {name_or_path!r} not found in {models_dir(directory)}/ "
                             "or sample_models/")


def expand_stdin(args: Iterable[str], stdin: Iterable[str]) -> list[str]:
    """Replace each ``-`` argument with the whitespace-separated tokens read from stdin."""
    out: list[str] = []
    for arg in args:
        if arg == "-":
            out.extend(tok for line in stdin for tok in line.split())
        else:
            out.append(arg)
    return out
