"""Session records: one row per environment step, stored as the columns of an HDF5 group.

Each column is one dataset of equal length (the hidden state is a rows × units dataset),
so the table reads back with plain h5py, and as a pandas DataFrame where pandas is
installed. Nothing is pickled; integer and boolean columns keep their types (the original
stored task variables as float16).
"""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np

from rnntool.errors import CorruptFileError, RnnToolError
from rnntool.storage.tree import write_numeric

RECORD_FORMAT = "rnntool-session-record"
RECORD_VERSION = 1


def write_session_record(group: h5py.Group, columns: dict[str, np.ndarray],
                         attrs: dict[str, Any] | None = None) -> None:
    """Write ``columns`` (equal first dimension) as datasets of ``group``."""
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns differ in length: {sorted(lengths)}")
    group.attrs["format"] = RECORD_FORMAT
    group.attrs["version"] = RECORD_VERSION
    group.attrs["rows"] = lengths.pop() if lengths else 0
    group.attrs["columns"] = list(columns)
    for key, value in (attrs or {}).items():
        group.attrs[key] = value
    for key, value in columns.items():
        if key in group:
            del group[key]
        write_numeric(group, key, np.asarray(value))


def read_session_record(group: h5py.Group) -> dict[str, np.ndarray]:
    """Read every column of a session-record group."""
    if group.attrs.get("format") != RECORD_FORMAT:
        raise CorruptFileError(f"{group.name} is not an rnntool session record")
    if int(group.attrs["version"]) > RECORD_VERSION:
        raise CorruptFileError(f"{group.name}: session record version {group.attrs['version']} "
                               "is newer than this rnntool")
    order = [str(k) for k in group.attrs.get("columns", [])]
    order += sorted(set(group) - set(order))
    return {key: group[key][()] for key in order if key in group}


def as_dataframe(columns: dict[str, np.ndarray]) -> Any:
    """A pandas DataFrame of the record; 2-D columns become ``name_0``, ``name_1``, …"""
    try:
        import pandas as pd
    except ImportError:
        raise RnnToolError("reading a session record as a DataFrame needs pandas "
                               "(pip install pandas)") from None
    flat: dict[str, np.ndarray] = {}
    for key, value in columns.items():
        if value.ndim == 2:
            flat.update({f"{key}_{i}": value[:, i] for i in range(value.shape[1])})
        else:
            flat[key] = value
    return pd.DataFrame(flat)
