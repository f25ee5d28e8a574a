"""Checks, before any work starts, that a command's results can be written where they go."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

from rnntool.errors import ConfigError


def check_writable(path: Path) -> Path:
    """``path`` if a file can be written there (atomically, through a temporary file beside it);
    a one-line ConfigError when it is a folder, when a part of its folder is a file, or when
    its folder (the nearest existing one, as missing ones are created) is not writable."""
    if path.is_dir():
        raise ConfigError(f"cannot write {path}: it is a folder")
    problem = folder_problem(path.parent)
    if problem:
        raise ConfigError(f"cannot write {path}: {problem}")
    return path


def folder_problem(folder: Path) -> str | None:
    """Why files cannot be written in ``folder`` (created with its parents where missing), or
    None when they can."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"no permission to write in {existing}"
    return None


def result_files(paths: Iterable[Path], models_dir: str | None) -> list[Path]:
    """The files results about the models ``paths`` are stored in (the model itself, or a
    shipped sample model's copy in the models folder, see :func:`writable_model`), each
    checked writable; no copy is made yet."""
    from rnntool.storage.names import is_shipped, models_dir as folder

    return [check_writable(folder(models_dir) / p.name if is_shipped(p, models_dir) else p)
            for p in paths]


def stored(target: Path, source: Path) -> Path:
    """The file that holds the results about a model now: its result file once it exists,
    else the model itself (a sample model not yet copied)."""
    return target if target.exists() else source


def prepare_results(paths: list[Path], models_dir: str | None, has: Callable[[Path], bool],
                    what: str, overwrite: bool, keep: bool) -> tuple[list[Path], list[bool]]:
    """For a command that stores ``what`` ("a state space") in each model file: check every
    result file is writable and apply the --overwrite/--keep rule to all of them before any
    work; then make the copies of shipped sample models. Returns the files to store in and
    whether each result is to be computed."""
    from rnntool.cli.existing import must_compute
    from rnntool.storage.names import writable_model

    targets = result_files(paths, models_dir)
    todo = [must_compute(has(stored(t, p)), f"{t}: {what}", overwrite, keep)
            for p, t in zip(paths, targets)]
    return [writable_model(p, models_dir) for p in paths], todo
