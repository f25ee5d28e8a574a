"""One HDF5 file per model: weights, full configuration, history, evaluation, analyses.

The layout is documented in ``docs/schema.md``; :data:`SCHEMA_VERSION` is stored in every
file and checked on reading. All writes go through :func:`atomic_path`.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from rnntool import __version__
from rnntool.errors import ConfigError, CorruptFileError
from rnntool.network.cells import parameter_names
from rnntool.network.config import NetworkConfig
from rnntool.storage.atomic import atomic_path
from rnntool.storage.tree import Tree, dumps, loads, read_tree, write_tree

FORMAT = "rnntool-model"
SCHEMA_VERSION = 2
#: Version 1 stored the six ``ctrnn`` weights and no ``cell`` in the network configuration;
#: version 2 stores the cell by name and whatever parameters it declares. Both are read.


@dataclass
class ModelRecord:
    """Everything a model file holds apart from analysis groups."""

    name: str
    task: dict[str, Any]
    network: dict[str, Any]
    rule: dict[str, Any]
    seed: int
    weights: dict[str, np.ndarray]
    training: Tree = field(default_factory=dict)
    evaluation: Tree = field(default_factory=dict)
    version: str = __version__
    created: str = ""

    def network_config(self) -> NetworkConfig:
        return NetworkConfig.from_dict(self.network)


def write_model(path: str | os.PathLike, record: ModelRecord) -> Path:
    """Write a new model file atomically (replacing any file at ``path``)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["schema_version"] = SCHEMA_VERSION
            f.attrs["rnntool_version"] = record.version
            f.attrs["name"] = record.name
            f.attrs["seed"] = int(record.seed)
            f.attrs["created"] = record.created or _dt.datetime.now(_dt.timezone.utc).isoformat()
            cfg = f.create_group("config")
            for key in ("task", "network", "rule"):
                cfg.attrs[key] = dumps(getattr(record, key))
            write_tree(f.create_group("weights"), dict(record.weights))
            write_tree(f.create_group("training"), record.training)
            write_tree(f.create_group("evaluation"), record.evaluation)
            f.create_group("analyses")
    return path


def _open(path: Path) -> h5py.File:
    if not path.is_file():
        raise CorruptFileError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise CorruptFileError(f"{path}: not a readable HDF5 file (truncated or corrupt?)") from None
    if f.attrs.get("format") != FORMAT:
        f.close()
        raise CorruptFileError(f"{path}: not an rnntool model file")
    version = int(f.attrs.get("schema_version", -1))
    if version > SCHEMA_VERSION or version < 1:
        f.close()
        raise CorruptFileError(f"{path}: schema version {version} is not supported "
                               f"(this rnntool reads up to {SCHEMA_VERSION})")
    return f


def read_model(path: str | os.PathLike) -> ModelRecord:
    """Read a model file; any unreadable or inconsistent file raises CorruptFileError."""
    path = Path(path)
    with _open(path) as f:
        try:
            cfg = f["config"].attrs
            record = ModelRecord(
                name=str(f.attrs["name"]), task=loads(cfg["task"]), network=loads(cfg["network"]),
                rule=loads(cfg["rule"]), seed=int(f.attrs["seed"]),
                weights={k: f["weights"][k][()] for k in f["weights"]},
                training=read_tree(f["training"]), evaluation=read_tree(f["evaluation"]),
                version=str(f.attrs["rnntool_version"]), created=str(f.attrs["created"]))
            missing = [k for k in parameter_names(record.network_config()) if k not in record.weights]
            if missing:
                raise KeyError(f"missing weights {', '.join(missing)}")
            return record
        except (KeyError, ValueError, OSError, ConfigError) as err:
            raise CorruptFileError(f"{path}: damaged model file ({err})") from None


def update_model(path: str | os.PathLike, group: str, tree: Tree,
                 attrs: dict[str, Any] | None = None) -> Path:
    """Replace group ``group`` (a '/'-separated path such as 'analyses/fixedpoints/sparse')
    with ``tree``, atomically.

    The file is rewritten object by object into a fresh temporary file (HDF5 never
    reclaims the space of deleted objects in place, so repeated updates would otherwise
    grow the file), the new group is written there, and the result is renamed into place.
    """
    path = Path(path)
    _open(path).close()
    with atomic_path(path) as tmp:
        with h5py.File(path, "r") as src, h5py.File(tmp, "w") as dst:
            for key, value in src.attrs.items():
                dst.attrs[key] = value
            _copy_except(src, dst, group.strip("/"))
            g = dst.require_group(group)
            write_tree(g, tree)
            for key, value in (attrs or {}).items():
                g.attrs[key] = dumps(value) if isinstance(value, (dict, list)) else value
    return path


def _copy_except(src: h5py.Group, dst: h5py.Group, skip: str) -> None:
    """Copy every member of ``src`` into ``dst`` except the object at path ``skip``."""
    head, _, rest = skip.partition("/")
    for key in src:
        if key != head:
            src.copy(src[key], dst, name=key)
        elif rest and isinstance(src[key], h5py.Group):
            sub = dst.create_group(key)
            for name, value in src[key].attrs.items():
                sub.attrs[name] = value
            _copy_except(src[key], sub, rest)


def read_group(path: str | os.PathLike, group: str) -> Tree | None:
    """The tree stored under ``group``, or None when the file has no such group."""
    path = Path(path)
    with _open(path) as f:
        if group not in f:
            return None
        try:
            return read_tree(f[group])
        except (KeyError, ValueError, OSError) as err:
            raise CorruptFileError(f"{path}: damaged group {group} ({err})") from None


def list_groups(path: str | os.PathLike, parent: str) -> list[str]:
    """Names of the sub-groups of ``parent`` (empty when it is missing)."""
    with _open(Path(path)) as f:
        return sorted(f[parent].keys()) if parent in f else []
