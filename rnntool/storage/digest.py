"""Content digests of model files, so caches notice when a model changes.

The digest covers only the named HDF5 groups (by default the configuration and weights),
so storing an unrelated analysis in a model file does not invalidate caches built from it.
"""

from __future__ import annotations

import hashlib
import os
from typing import Iterable

import h5py
import numpy as np

from rnntool.errors import CorruptFileError
from rnntool.storage.safe_h5 import open_checked


def content_digest(path: str | os.PathLike, groups: Iterable[str] = ("config", "weights")) -> str:
    """sha256 (hex) of the attributes and datasets under ``groups``, in sorted order."""
    sha = hashlib.sha256()
    try:
        with open_checked(path) as f:
            for name in groups:
                sha.update(f"[{name}]".encode())
                if name in f:
                    _update(sha, f[name])
    except (OSError, KeyError, TypeError, ValueError):
        raise CorruptFileError(f"{path}: not a readable HDF5 file") from None
    return sha.hexdigest()


def _update(sha: "hashlib._Hash", node: h5py.Group | h5py.Dataset) -> None:
    for key in sorted(node.attrs):
        sha.update(f"@{key}={node.attrs[key]!r}".encode())
    if isinstance(node, h5py.Dataset):
        data = np.ascontiguousarray(node[()])
        sha.update(f"{data.dtype.str}{data.shape}".encode())
        sha.update(data.tobytes() if data.dtype.kind != "O" else repr(data.tolist()).encode())
        return
    for key in sorted(node):
        sha.update(f"/{key}".encode())
        _update(sha, node[key])
