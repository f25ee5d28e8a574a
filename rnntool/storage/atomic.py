"""Atomic file writes: a temporary file in the target's folder, then one rename.

A crash, a full disk or Ctrl-C at any point leaves either the old file or the new one, never
a half-written file. The write holds the target's lock (:mod:`rnntool.storage.lock`), so
concurrent writers of one file take turns, and any other temporary file of that target
found meanwhile was left by a killed writer and is removed. A symlinked target is written
through: the file it points to is replaced and the link kept.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from rnntool.storage.lock import file_lock, real_target

#: mkstemp's random part: eight characters from this alphabet.
_RANDOM = "[a-z0-9_]{8}"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temp_pattern(target: Path) -> re.Pattern[str]:
    """Names of the temporary files :func:`atomic_path` creates for ``target``."""
    return re.compile(rf"^\.{re.escape(target.name)}\.{_RANDOM}\.tmp$")


def remove_stale_temps(target: Path) -> list[Path]:
    """Delete temporary files left by killed writers in ``target``'s folder; call with the
    folder's lock held (every writer holds it while its temporary file exists, so any such
    file is stale)."""
    pattern = re.compile(rf"^\..+\.{_RANDOM}\.tmp$")  # the lock is per folder: any target's
    removed = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        if pattern.match(entry.name) and entry.is_file(follow_symlinks=False):
            try:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                pass
    return removed


@contextmanager
def atomic_path(target: str | os.PathLike, copy_existing: bool = False) -> Iterator[Path]:
    """Yield a temporary path that replaces ``target`` when the block ends without error.

    With ``copy_existing`` the temporary file starts as a copy of ``target`` so that a
    block can modify it in place (HDF5 groups appended to a model file).
    """
    with file_lock(target) as real:
        remove_stale_temps(real)
        fd, name = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
        os.close(fd)
        tmp = Path(name)
        try:
            if copy_existing and real.exists():
                shutil.copyfile(real, tmp)
            yield tmp
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            mode = real.stat().st_mode & 0o7777 if real.exists() else 0o666 & ~_umask()
            os.chmod(tmp, mode)
            os.replace(tmp, real)
            _sync_folder(real.parent)
        finally:
            if tmp.exists():
                tmp.unlink()


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: not every file system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = ["atomic_path", "real_target", "remove_stale_temps"]
