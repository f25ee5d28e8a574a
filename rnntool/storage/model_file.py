"""One HDF5 file per model: weights, full configuration, history, evaluation, analyses.

The layout is documented in ``docs/schema.md``; :data:`SCHEMA_VERSION` is stored in every
file and checked on reading. All writes go through :func:`atomic_path`.
"""

from __future__ import annotations

import datetime as _dt
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import h5py
import numpy as np

from rnntool import __version__
from rnntool.errors import ConfigError, CorruptFileError
from rnntool.network.config import NetworkConfig
from rnntool.storage.atomic import atomic_path
from rnntool.storage.model_checks import (check_config_text, check_evaluation, check_training,
                                          read_weights)
from rnntool.storage.names import writable_model
from rnntool.storage.safe_h5 import int_attr, open_checked
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


@contextmanager
def _open(path: Path) -> Iterator[h5py.File]:
    """Open a model file read-only after the safety checks of :func:`open_checked`."""
    with open_checked(path, FORMAT, "rnntool model") as f:
        version = int_attr(f, "schema_version", path)
        if version > SCHEMA_VERSION or version < 1:
            raise CorruptFileError(f"{path}: schema version {version} is not supported "
                                   f"(this rnntool reads up to {SCHEMA_VERSION})")
        yield f


def read_model(path: str | os.PathLike) -> ModelRecord:
    """Read a model file; any unreadable or inconsistent file raises CorruptFileError."""
    path = Path(path)
    with _open(path) as f:
        try:
            cfg = {k: loads(check_config_text(f["config"].attrs[k], k, path))
                   for k in ("task", "network", "rule")}
            training, evaluation = read_tree(f["training"]), read_tree(f["evaluation"])
            check_training(training, path)
            check_evaluation(evaluation, path)
            return ModelRecord(
                name=str(f.attrs["name"]), task=cfg["task"], network=cfg["network"],
                rule=cfg["rule"], seed=int_attr(f, "seed", path),
                weights=read_weights(f["weights"], cfg["network"], path),
                training=training, evaluation=evaluation,
                version=str(f.attrs["rnntool_version"]), created=str(f.attrs["created"]))
        except (KeyError, ValueError, OSError, TypeError, AttributeError, ConfigError) as err:
            raise CorruptFileError(f"{path}: damaged model file ({err})") from None


def update_model(path: str | os.PathLike, group: str, tree: Tree,
                 attrs: dict[str, Any] | None = None) -> Path:
    """Replace group ``group`` (a '/'-separated path such as 'analyses/fixedpoints/sparse')
    with ``tree``, atomically.

    The file is rewritten object by object into a fresh temporary file (HDF5 never
    reclaims the space of deleted objects in place, so repeated updates would otherwise
    grow the file), the new group is written there, and the result is renamed into place.
    The whole read-modify-write holds the file's lock (:func:`atomic_path` takes it), so concurrent updates all survive.
    A shipped sample model is never changed: the update goes to its copy in the models
    folder (:func:`writable_model`), whose path is returned.
    """
    path = writable_model(path)
    with atomic_path(path) as tmp:
        with _open(path) as src, h5py.File(tmp, "w") as dst:
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
        if not isinstance(f[group], h5py.Group):
            raise CorruptFileError(f"{path}: {group} is not a group")
        try:
            return read_tree(f[group])
        except (KeyError, ValueError, OSError, TypeError, AttributeError) as err:
            raise CorruptFileError(f"{path}: damaged group {group} ({err})") from None


def list_groups(path: str | os.PathLike, parent: str) -> list[str]:
    """Names of the sub-groups of ``parent`` (empty when it is missing)."""
    with _open(Path(path)) as f:
        return sorted(f[parent].keys()) if isinstance(f.get(parent), h5py.Group) else []
