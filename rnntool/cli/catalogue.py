"""The names the command line offers (rules, tasks, metrics, finder settings, …), cheaply.

Reading them from the registries means importing torch and the analysis stack (seconds).
``--help``, shell completion and usage errors must answer at once, so the names are cached
in a small JSON file keyed by the rnntool version and the size and modification time of
every source file: the first use after installing or editing rnntool rebuilds it from the
live registries, every later use reads the file. Set ``RNNTOOL_CACHE`` to move the cache
(default ``$XDG_CACHE_HOME/rnntool`` or ``~/.cache/rnntool``); an unwritable cache only costs
speed.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import rnntool

PACKAGE = Path(rnntool.__file__).resolve().parent


def cache_dir() -> Path:
    """Folder of the names cache."""
    explicit = os.environ.get("RNNTOOL_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rnntool"


def source_key() -> str:
    """Digest of the version and of every source file's path, size and modification time."""
    digest = hashlib.sha256(rnntool.__version__.encode())
    for root, dirs, files in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(root, name))
                digest.update(f"{root}/{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:20]


def build() -> dict[str, Any]:
    """The names, read from the live registries (imports torch)."""
    from dataclasses import fields

    from rnntool.analysis.fixedpoints import METHODS, FinderSettings
    from rnntool.analysis.similarity import METRICS
    from rnntool.analysis.topology import DESCRIPTORS
    from rnntool.envs import ENVIRONMENTS
    from rnntool.envs.training import closed_loop_help
    from rnntool.network.cells import CELLS
    from rnntool.network.config import PRESETS
    from rnntool.network.nonlinearities import NONLINEARITIES
    from rnntool.rules import PREFIXES, RULES
    from rnntool.tasks import TASKS

    return {
        "rules": {name: {"prefixes": sorted(p for p, r in PREFIXES.items() if r == name),
                         "options": [f.name for f in fields(cls)]}
                  for name, cls in sorted(RULES.items())},
        "tasks": sorted(TASKS) + sorted(ENVIRONMENTS),
        "cells": sorted(CELLS),
        "cell_help": {name: cls.summary + (" [" + "; ".join(
            f"{k}={st.default} ({'/'.join(map(str, st.choices)) or st.type.__name__})"
            for k, st in cls.settings.items()) + "]" if cls.settings else "") + "".join(
            f"; default {rule} {k} at most {v:g}" for rule, limits in cls.rule_limits.items()
            for k, v in limits.items())
            for name, cls in sorted(CELLS.items())},
        "presets": sorted(PRESETS),
        "nonlinearities": sorted(NONLINEARITIES),
        "metrics": sorted(METRICS),
        "descriptors": list(DESCRIPTORS),
        "finder_methods": list(METHODS),
        "finder_settings": [f.name for f in fields(FinderSettings)],
        "closed_loop": closed_loop_help(),
    }


@lru_cache(maxsize=1)
def names() -> dict[str, Any]:
    """The cached names, rebuilt when rnntool's sources changed."""
    path = cache_dir() / f"names-{source_key()}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    found = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(found, sort_keys=True))
        os.replace(tmp, path)
        for stale in path.parent.glob("names-*.json"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        pass
    return found
