"""Exact round trips between nested dictionaries and HDF5 groups.

Arrays become datasets, nested dictionaries become groups, and scalars and strings become
attributes. Nothing is pickled: only numeric arrays, numbers and UTF-8 strings are stored.
Numeric arrays of more than :data:`COMPRESS_ABOVE` elements are stored gzip-compressed
(lossless, level 1, byte-shuffled; any HDF5 reader decompresses them transparently): a long
training history is mostly NaN between validations and shrinks about fivefold.
"""

from __future__ import annotations

import json
from typing import Any

import h5py
import numpy as np

Tree = dict[str, Any]
#: arrays larger than this (elements) are written compressed
COMPRESS_ABOVE = 4096


def write_tree(group: h5py.Group, tree: Tree) -> None:
    """Write ``tree`` into ``group``; existing members with the same names are replaced."""
    for key, value in tree.items():
        if key in group:
            del group[key]
        if key in group.attrs:
            del group.attrs[key]
        if isinstance(value, dict):
            write_tree(group.create_group(key), value)
        elif isinstance(value, (str, bool, int, float, np.integer, np.floating, np.bool_)):
            group.attrs[key] = value
        else:
            arr = np.asarray(value)
            if arr.dtype.kind in "OUS":
                group.create_dataset(key, data=np.asarray(arr, dtype=h5py.string_dtype()))
            else:
                write_numeric(group, key, arr)


def write_numeric(group: h5py.Group, key: str, arr: np.ndarray) -> h5py.Dataset:
    """A numeric dataset, compressed when it has more than :data:`COMPRESS_ABOVE` elements."""
    if arr.size > COMPRESS_ABOVE:
        return group.create_dataset(key, data=arr, compression="gzip", compression_opts=1,
                                    shuffle=True)
    return group.create_dataset(key, data=arr)


def read_tree(group: h5py.Group) -> Tree:
    """Read a group written by :func:`write_tree` back into a dictionary."""
    out: Tree = {}
    for key, value in group.attrs.items():
        out[key] = _attr(value)
    for key, item in group.items():
        if isinstance(item, h5py.Group):
            out[key] = read_tree(item)
        elif item.dtype.kind == "O" or h5py.check_string_dtype(item.dtype):
            out[key] = np.array([s.decode() if isinstance(s, bytes) else s for s in item[()].ravel()],
                                dtype=object).reshape(item.shape)
        else:
            out[key] = item[()]
    return out


def _attr(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value


def dumps(obj: Any) -> str:
    """JSON text for configuration attributes (sorted keys, so equal configs compare equal)."""
    return json.dumps(obj, sort_keys=True)


def loads(text: str) -> Any:
    return json.loads(text)
