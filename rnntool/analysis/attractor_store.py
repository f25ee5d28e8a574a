"""Traced attractors in model files: ``analyses/attractors/<line|ring>/<label>`` (docs/schema.md)."""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from rnntool.analysis.attractors import Trace
from rnntool.errors import RnnToolError
from rnntool.storage import list_groups, read_group, update_model

GROUP = "analyses/attractors"
_SCALARS = ("eig_tol", "closed", "alpha")


def _safe(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_") or "attractor"


def trace_tree(trace: Trace, label: str) -> dict[str, Any]:
    tree: dict[str, Any] = {f.name: getattr(trace, f.name) for f in fields(trace)
                            if f.name not in _SCALARS}
    tree.update(eig_tol=float(trace.eig_tol), closed=bool(trace.closed), label=label,
                alpha=float("nan") if trace.alpha is None else float(trace.alpha))
    return tree


def trace_from_tree(tree: dict[str, Any]) -> Trace:
    alpha = float(tree["alpha"])
    return Trace(**{f.name: np.asarray(tree[f.name]) for f in fields(Trace) if f.name not in _SCALARS},
                 eig_tol=float(tree["eig_tol"]), closed=bool(tree["closed"]),
                 alpha=None if np.isnan(alpha) else alpha)


def store_traces(path: str | os.PathLike, kind: str, traces: list[tuple[str, Trace]],
                 settings: dict[str, Any]) -> Path:
    """Replace the stored traces of ``kind`` with ``traces`` (label, trace), atomically."""
    tree = {_safe(label): trace_tree(trace, label) for label, trace in traces}
    attrs = {"settings": settings, "created": _dt.datetime.now(_dt.timezone.utc).isoformat()}
    return update_model(path, f"{GROUP}/{kind}", tree, attrs)


def load_traces(path: str | os.PathLike, kind: str | None = None) -> dict[str, list[tuple[str, Trace]]]:
    """Stored traces by kind (all kinds, or only ``kind``); RnnToolError when there are none."""
    kinds = [kind] if kind else list_groups(path, GROUP)
    out = {}
    for k in kinds:
        tree = read_group(path, f"{GROUP}/{k}")
        if tree:
            out[k] = [(str(t["label"]), trace_from_tree(t)) for name, t in sorted(tree.items())
                      if isinstance(t, dict)]
    if not out:
        raise RnnToolError(f"{path}: no traced attractors (run rnntool fixedpoints --trace line|ring)")
    return out


def has_traces(path: str | os.PathLike) -> bool:
    return bool(list_groups(path, GROUP))
