"""Checks of a model file's contents against its own stored configuration.

The weights' shapes follow from the network configuration (its cell's parameter specs);
they are compared before any weight is read, so a file whose config and arrays disagree, or
whose arrays are not floating point or hold NaN/Inf, is refused with one line instead of
failing deep inside a matrix product (or evaluating to accuracy 0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np

from rnntool.errors import ConfigError, CorruptFileError
from rnntool.network.cells import make_cell
from rnntool.network.config import NetworkConfig
from rnntool.storage.safe_h5 import read_array

#: Largest network a model file may declare (units); larger is a damaged or hostile file.
MAX_UNITS = 65536


def network_sizes(network: Any, path: Path) -> tuple[int, int, int]:
    """``(n_in, n_rec, n_out)`` of a stored network configuration, checked."""
    if not isinstance(network, dict):
        raise CorruptFileError(f"{path}: the stored network configuration is not a dictionary")
    sizes = []
    for key, default in (("n_in", None), ("n_rec", None), ("n_out", 1)):
        value = network.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_UNITS:
            raise CorruptFileError(f"{path}: stored network setting {key} must be an integer "
                                   f"in 1..{MAX_UNITS}, got {value!r}")
        sizes.append(value)
    return sizes[0], sizes[1], sizes[2]


def expected_weight_shapes(network: Any, path: Path) -> dict[str, tuple[int, ...]]:
    """The shape each stored parameter must have, from the network's cell (schema 1 files
    are ``ctrnn`` networks); sizes are bounded first, so nothing large is built."""
    network_sizes(network, path)
    try:
        config = NetworkConfig.from_dict(network)
        shapes = {s.name: tuple(s.shape) for s in make_cell(config).parameters()}
    except ConfigError as err:
        raise CorruptFileError(f"{path}: stored network configuration refused ({err})") from None
    except (TypeError, ValueError, KeyError, AttributeError) as err:
        raise CorruptFileError(f"{path}: damaged network configuration ({err})") from None
    if config.mask:
        shapes["mask_rec"] = (config.n_rec, config.n_rec)
    return shapes


def read_weights(group: Any, network: Any, path: Path) -> dict[str, np.ndarray]:
    """The weights a model's cell needs, each checked for shape, dtype and finiteness."""
    if not isinstance(group, h5py.Group):
        raise CorruptFileError(f"{path}: no weights group")
    return {name: read_array(group.get(name), f"weights/{name}", path, shape,
                             "biuf" if name == "mask_rec" else "f")
            for name, shape in expected_weight_shapes(network, path).items()}


def check_config_text(value: Any, key: str, path: Path) -> str:
    """A configuration attribute must be a JSON string."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        raise CorruptFileError(f"{path}: configuration {key!r} is not text")
    return value


def nonfinite_weights(weights: dict[str, np.ndarray]) -> list[str]:
    """Names of the weight arrays holding NaN or ±Inf."""
    return [k for k, v in weights.items()
            if np.asarray(v).dtype.kind in "fc" and not np.all(np.isfinite(v))]


def first_nonfinite(values: Any) -> int | None:
    """Index of the first NaN/Inf in a history series (e.g. the loss), or None."""
    arr = np.asarray(values, dtype=np.float64).ravel()
    bad = np.flatnonzero(~np.isfinite(arr))
    return int(bad[0]) if bad.size else None


def check_training(training: Any, path: Path) -> None:
    """The stored training history: one 1-D numeric series per metric, all the same length."""
    history = training.get("history", {}) if isinstance(training, dict) else None
    if not isinstance(history, dict):
        raise CorruptFileError(f"{path}: damaged training record")
    lengths = set()
    for key, series in history.items():
        arr = np.asarray(series)
        if arr.ndim != 1 or arr.dtype.kind not in "biuf":
            raise CorruptFileError(f"{path}: training history {key!r} is not a numeric series")
        lengths.add(arr.size)
    if len(lengths) > 1:
        raise CorruptFileError(f"{path}: training history series have different lengths")


def check_evaluation(evaluation: Any, path: Path) -> None:
    """The stored psychometric table (contexts × coherences) must be consistent."""
    if not isinstance(evaluation, dict):
        raise CorruptFileError(f"{path}: damaged evaluation record")
    psy = evaluation.get("psychometric")
    if psy is None:
        return
    if not isinstance(psy, dict):
        raise CorruptFileError(f"{path}: damaged psychometric table")
    if "coherences" not in psy or "fraction_positive" not in psy:
        return
    coherences, table = np.asarray(psy["coherences"]), np.asarray(psy["fraction_positive"])
    if not (coherences.ndim == 1 and table.ndim == 2 and table.shape[1] == coherences.size
            and coherences.dtype.kind in "iuf" and table.dtype.kind in "iuf"):
        raise CorruptFileError(f"{path}: damaged psychometric table")
