"""One stored analysis: exact round trip of tree and settings, presence, a clear error when absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnntool.errors import RnnToolError
from rnntool.storage import read_model, write_model
from rnntool.storage.stored_analysis import StoredAnalysis
from tests.test_storage import _record

STORED = StoredAnalysis("analyses/statespace", "state space", "statespace")


def test_store_then_load_is_exact_and_keeps_the_model(tmp_path: Path) -> None:
    path = write_model(tmp_path / "m.h5", _record())
    assert not STORED.exists(path)
    tree = {"z": np.arange(6.0).reshape(2, 3), "rows": {"session": np.array([0, 0, 1])}}
    settings = {"sessions": 4, "seed": 7, "held_out": 0.25}
    assert STORED.store(path, tree, settings) == path
    assert STORED.exists(path)
    back, back_settings = STORED.load(path)
    assert back_settings == settings and set(back) == {"z", "rows"}
    assert np.array_equal(back["z"], tree["z"])
    assert np.array_equal(back["rows"]["session"], tree["rows"]["session"])
    assert np.array_equal(read_model(path).weights["W_rec"], _record().weights["W_rec"])


def test_a_sibling_analysis_does_not_count_and_missing_names_the_command(tmp_path: Path) -> None:
    path = write_model(tmp_path / "m.h5", _record())
    StoredAnalysis("analyses/statespace_old", "old", "x").store(path, {"a": np.ones(1)}, {})
    assert not STORED.exists(path)
    with pytest.raises(RnnToolError, match=r"no state space \(run rnntool statespace first\)"):
        STORED.load(path)
