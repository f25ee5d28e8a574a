"""HDF5 population files: a distance matrix between grouped models and its embedding.

Layout (``docs/schema.md``): root attributes ``format = "rnntool-population"``,
``schema_version``, ``kind``, ``metric``, ``parameters`` (JSON); ``/models`` (names, files,
groups, sha256 digests); ``/groups/labels``; ``/distances``; ``/embedding`` (MDS
coordinates, silhouette). Written atomically.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

import h5py

from rnntool import __version__
from rnntool.errors import CorruptFileError
from rnntool.storage.atomic import atomic_path
from rnntool.storage.safe_h5 import int_attr, open_checked
from rnntool.storage.tree import Tree, dumps, loads, read_tree, write_tree

FORMAT = "rnntool-population"
SCHEMA_VERSION = 1


def write_population(path: str | os.PathLike, attrs: dict[str, Any], tree: Tree) -> Path:
    """Write a population file; dictionaries and lists among ``attrs`` are stored as JSON."""
    path = Path(path)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["schema_version"] = SCHEMA_VERSION
            f.attrs["rnntool_version"] = __version__
            f.attrs["created"] = _dt.datetime.now(_dt.timezone.utc).isoformat()
            for key, value in attrs.items():
                f.attrs[key] = dumps(value) if isinstance(value, (dict, list)) else value
            write_tree(f, tree)
    return path


def is_population_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an HDF5 file marked as a population file."""
    try:
        with h5py.File(path, "r") as f:
            return f.attrs.get("format") == FORMAT
    except OSError:
        return False


def read_population(path: str | os.PathLike) -> tuple[dict[str, Any], Tree]:
    """Root attributes (``parameters`` decoded) and contents of a population file."""
    path = Path(path)
    try:
        with open_checked(path, FORMAT, "rnntool population") as f:
            version = int_attr(f, "schema_version", path)
            if not 1 <= version <= SCHEMA_VERSION:
                raise CorruptFileError(f"{path}: schema version {version} is not supported")
            tree = read_tree(f)
    except (KeyError, ValueError, TypeError, AttributeError, OSError) as err:
        raise CorruptFileError(f"{path}: damaged population file ({err})") from None
    attrs = {k: tree.pop(k) for k in [k for k, v in tree.items() if not isinstance(v, dict)
                                      and not hasattr(v, "shape")]}
    if "parameters" in attrs:
        try:
            attrs["parameters"] = loads(attrs["parameters"])
        except (TypeError, ValueError):
            raise CorruptFileError(f"{path}: damaged population file (parameters)") from None
    return attrs, tree
