"""The System A study over a group of models: geometry per model and ensemble correlations.

Models whose network and task configurations are equal (an ensemble trained with
``--seeds``: same frozen G, same settings) are stacked and measured in one batched pass.
The result is a population-file tree (``kind = "geometry"``): ``/models`` (names, files,
groups, digests), ``/measures`` (one array per measure, models first), ``/correlations``
(Pearson r and p of each measure against precision, over all models) and ``/durations_ms``
with ``/extrapolation``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnntool.analysis.geometry import (CORRELATED_MEASURES, GeometrySettings,
                                       ensemble_correlations, geometry)
from rnntool.errors import ConfigError
from rnntool.models import Model, load_model
from rnntool.network import Network
from rnntool.storage.digest import content_digest
from rnntool.storage.groups import ModelGroups
from rnntool.tasks.duration import Duration

PER_MODEL = ("precision", "cos_I_w", "pr_spontaneous", "pr_memory", "pr_I", "pr_w",
             "pr_I_legacy_signed", "pr_w_legacy_signed", "pcs_spontaneous", "pcs_memory", "mse",
             "sem", "spectrum_spontaneous", "spectrum_memory")


def load_duration_models(paths: list[Path], device: str = "cpu") -> list[Model]:
    """Open the models; ConfigError naming the first that is not a duration-task model."""
    models = [load_model(p, device) for p in paths]
    for m in models:
        if not isinstance(m.task, Duration):
            raise ConfigError(f"{m.path}: geometry needs a model of the duration task, not "
                              f"{m.task.name!r}")
    return models


def _stacks(models: list[Model]) -> list[list[int]]:
    """Indices of models sharing one network and task configuration, in first-seen order."""
    keys: dict[str, list[int]] = {}
    for i, m in enumerate(models):
        key = json.dumps([m.network.config.to_dict(), m.task.config()], sort_keys=True, default=str)
        keys.setdefault(key, []).append(i)
    return list(keys.values())


def study(groups: ModelGroups, settings: GeometrySettings, device: str = "cpu") -> dict[str, Any]:
    """Measure every model of ``groups`` and correlate the measures with precision."""
    models = load_duration_models(list(groups.models), device)
    for m in models:
        settings.check(m.task)
    results: list[dict[str, np.ndarray] | None] = [None] * len(models)
    extrapolation = None
    for index in _stacks(models):
        first = models[index[0]].network
        stack = Network(first.config, {k: torch.cat([models[i].network.params[k] for i in index])
                                       for k in first.params}, first.device)
        out = geometry(stack, models[index[0]].task, settings)
        extrapolation = out["extrapolation"]
        for j, i in enumerate(index):
            results[i] = {k: out[k][j] for k in PER_MODEL}
    sizes = {r["spectrum_memory"].shape[-1] for r in results}
    if len(sizes) > 1:
        raise ConfigError("the models have different numbers of units; measure them separately")
    measures = {k: np.stack([r[k] for r in results]) for k in PER_MODEL}
    correlations = (ensemble_correlations(measures) if len(models) >= 3 else {})
    return {
        "models": {"names": np.array(groups.names, dtype=object),
                   "files": np.array([str(p) for p in groups.models], dtype=object),
                   "groups": np.array(groups.groups, dtype=object),
                   "sha256": np.array([content_digest(p) for p in groups.models], dtype=object)},
        "groups": {"labels": np.array(groups.labels, dtype=object)},
        "measures": measures,
        "durations_ms": np.asarray(settings.durations_ms, dtype=float),
        "extrapolation": np.asarray(extrapolation),
        "correlations": {name: {"r": rp[0], "p": rp[1]} for name, rp in correlations.items()},
    }


__all__ = ["CORRELATED_MEASURES", "PER_MODEL", "load_duration_models", "study"]
