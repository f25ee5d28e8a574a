"""Resolving model names and paths.

``NAME`` means ``<models dir>/NAME.h5`` (``--models-dir``, else ``$RNNTOOL_MODELS``, else
``./models``) and, when that does not exist, the shipped ``sample_models/NAME.h5``. Anything
ending in ``.h5`` is a path. Names containing ``..`` or path separators are refused.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Iterable

from rnntool.errors import ConfigError, ModelNotFoundError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
#: Longest model name: NAME.h5 and its hidden temporary and lock files must fit the usual
#: 255-byte limit on file names.
MAX_NAME_LENGTH = 200
SAMPLE_MODELS = Path(__file__).resolve().parents[2] / "sample_models"


def models_dir(option: str | os.PathLike | None = None) -> Path:
    """The folder where named models are written and looked up first."""
    return Path(option or os.environ.get("RNNTOOL_MODELS") or "models")


def is_path(text: str) -> bool:
    """Arguments ending in ``.h5`` are paths; everything else is a model name."""
    return text.endswith(".h5")


def check_name(name: str) -> str:
    """Return ``name`` if it is a safe model name, else raise ConfigError."""
    if not _NAME.fullmatch(name) or ".." in name:
        raise ConfigError(f"bad model name {name!r}: use letters, digits, '_', '-', '.', "
                          "no path separators, '..', spaces or newlines")
    if len(name) > MAX_NAME_LENGTH:
        raise ConfigError(f"model name of {len(name)} characters is too long (at most "
                          f"{MAX_NAME_LENGTH})")
    return name


def output_path(name_or_path: str, directory: str | os.PathLike | None = None) -> Path:
    """Where a new model called ``name_or_path`` is written."""
    if is_path(name_or_path):
        path = Path(name_or_path)
        if any(ord(c) < 32 for c in name_or_path) or len(path.name) > MAX_NAME_LENGTH + 3:
            raise ConfigError(f"bad model path {name_or_path!r}: control characters, or a "
                              f"file name longer than {MAX_NAME_LENGTH + 3} characters")
        return path
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
            read = [tok for line in stdin for tok in line.split()]
            if not read:
                raise ConfigError("'-' read no model names from stdin")
            out.extend(read)
        else:
            out.append(arg)
    return out


def is_shipped(path: str | os.PathLike, directory: str | os.PathLike | None = None) -> bool:
    """Whether ``path`` is one of the shipped sample models (and the models folder in use is
    not ``sample_models/`` itself, as when the samples are rebuilt)."""
    real = Path(os.path.realpath(path))
    samples = Path(os.path.realpath(SAMPLE_MODELS))
    return real.parent == samples and Path(os.path.realpath(models_dir(directory))) != samples


def writable_model(path: str | os.PathLike, directory: str | os.PathLike | None = None) -> Path:
    """The file results about model ``path`` are stored in: ``path`` itself, or for a shipped
    sample model a copy ``<models dir>/NAME.h5`` (made once), so the checkout never changes.

    An existing file of that name that is a different model (other configuration or
    weights) is never overwritten: that is an error.
    """
    from rnntool.storage.atomic import atomic_path
    from rnntool.storage.digest import content_digest

    path = Path(path)
    if not is_shipped(path, directory):
        return path
    copy = models_dir(directory) / path.name
    if copy.exists():
        if content_digest(copy) != content_digest(path):
            raise ConfigError(f"{copy} exists and is not a copy of the sample model {path.name}; "
                              "results of sample models are stored in such a copy (rename "
                              "yours or use --models-dir)")
        return copy
    with atomic_path(copy) as tmp:
        shutil.copyfile(path, tmp)
    return copy
