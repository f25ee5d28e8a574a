"""Atomic file writes: a temporary file in the target's folder, then one rename.

A crash or Ctrl-C at any point leaves either the old file or the new one, never a
half-written file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: str | os.PathLike, copy_existing: bool = False) -> Iterator[Path]:
    """Yield a temporary path that replaces ``target`` when the block ends without error.

    With ``copy_existing`` the temporary file starts as a copy of ``target`` so that a
    block can modify it in place (HDF5 groups appended to a model file).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        if copy_existing and target.exists():
            shutil.copyfile(target, tmp)
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
