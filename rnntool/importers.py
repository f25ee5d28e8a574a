"""Importing networks trained by other programs into rnntool model files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from rnntool import __version__
from rnntool.errors import ConfigError
from rnntool.network.config import preset_config
from rnntool.storage import ModelRecord
from rnntool.tasks.base import Task


def read_matrix(path: str | os.PathLike) -> np.ndarray:
    """A whitespace-separated text matrix, as Miconi's program writes them."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        matrix = np.atleast_2d(np.loadtxt(path, dtype=np.float64))
    except ValueError as err:
        raise ConfigError(f"{path}: not a numeric text matrix ({err})") from None
    if not np.isfinite(matrix).all():
        raise ConfigError(f"{path}: holds NaN or infinite values")
    return matrix


def import_miconi(prefix: str | os.PathLike, name: str, task: Task,
                  alpha: float | None = None) -> ModelRecord:
    """A model record from Miconi weight files ``<prefix>_win.txt`` and ``<prefix>_J.txt``.

    J (N × N) becomes W_rec; W_in has one row per unit and Miconi's reserved first input
    column, which is dropped (McMahan et al. 2021's importer did the same). The network uses the
    ``miconi`` preset (tanh, bias units 1, 10, 11 clamped, output r of unit 0) with
    α = 1/30 as trained unless ``alpha`` is given (McMahan et al. 2021 simulated α = 0.1).
    """
    w_rec = read_matrix(f"{prefix}_J.txt")
    w_in = read_matrix(f"{prefix}_win.txt")
    n = w_rec.shape[0]
    if w_rec.shape != (n, n):
        raise ConfigError(f"{prefix}_J.txt is {w_rec.shape[0]}×{w_rec.shape[1]}, not square")
    if w_in.shape[0] != n and w_in.shape[1] == n:
        w_in = w_in.T
    if w_in.shape != (n, task.n_in + 1):
        raise ConfigError(f"{prefix}_win.txt is {w_in.shape[0]}×{w_in.shape[1]}; task "
                          f"{task.name} needs {n}×{task.n_in + 1} (a reserved column plus "
                          f"{task.n_in} inputs)")
    overrides = {"trainable": ("W_rec",)} | ({"alpha": alpha} if alpha is not None else {})
    config = preset_config("miconi", task.n_in, n, task.n_out, dtype="float64", **overrides)
    w_out = np.zeros((task.n_out, n))
    w_out[np.arange(task.n_out), np.arange(task.n_out)] = 1.0
    weights = {"W_in": w_in[:, 1:], "W_rec": w_rec, "b": np.zeros(n), "W_out": w_out,
               "b_out": np.zeros(task.n_out), "x0": np.zeros(n)}
    return ModelRecord(name=name, task=task.config(), network=config.to_dict(),
                       rule={"name": "imported", "source": "miconi", "prefix": str(prefix)},
                       seed=0, weights=weights, version=__version__)


def export_miconi(prefix: str | os.PathLike, weights: dict[str, np.ndarray]) -> None:
    """Write W_rec and W_in in Miconi's text layout (reserved input column set to 0)."""
    w_in = np.concatenate([np.zeros((weights["W_in"].shape[0], 1)), weights["W_in"]], axis=1)
    np.savetxt(f"{prefix}_J.txt", weights["W_rec"])
    np.savetxt(f"{prefix}_win.txt", w_in)
