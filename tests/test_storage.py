"""Model files: exact round trips, atomic replacement, corrupt files, name resolution."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from rnntool.errors import ConfigError, CorruptFileError, ModelNotFoundError
from rnntool.storage import (ModelRecord, atomic_path, read_group, read_model, resolve_model,
                             update_model, write_model)
from rnntool.storage.names import expand_stdin, output_path


def _record() -> ModelRecord:
    rng = np.random.default_rng(0)
    weights = {"W_in": rng.normal(size=(5, 2)), "W_rec": rng.normal(size=(5, 5)).astype(np.float32),
               "b": np.zeros(5), "W_out": rng.normal(size=(1, 5)), "b_out": np.zeros(1),
               "x0": rng.normal(size=5)}
    return ModelRecord(name="m", task={"name": "cdi", "contexts": 2, "noise_std": 0.5},
                       network={"n_in": 2, "n_rec": 5, "trainable": ["W_rec"]},
                       rule={"name": "bptt", "lr": 5e-4}, seed=3, weights=weights,
                       training={"history": {"loss": rng.normal(size=7)}, "converged": True,
                                 "iterations": 7, "unit": "iteration"},
                       evaluation={"accuracy": 0.93, "psychometric": {"curve": np.eye(2)}})


def test_round_trip_is_exact(tmp_path: Path) -> None:
    rec = _record()
    back = read_model(write_model(tmp_path / "m.h5", rec))
    assert (back.name, back.task, back.network, back.rule, back.seed) == (
        rec.name, rec.task, rec.network, rec.rule, rec.seed)
    for key, value in rec.weights.items():
        assert back.weights[key].dtype == value.dtype and np.array_equal(back.weights[key], value)
    assert np.array_equal(back.training["history"]["loss"], rec.training["history"]["loss"])
    assert back.training["converged"] is True and back.training["unit"] == "iteration"
    assert back.evaluation["accuracy"] == 0.93
    assert np.array_equal(back.evaluation["psychometric"]["curve"], np.eye(2))


def test_update_replaces_a_group_and_keeps_the_rest(tmp_path: Path) -> None:
    path = write_model(tmp_path / "m.h5", _record())
    update_model(path, "analyses/fixedpoints/a", {"x": np.arange(3.0)}, {"params": {"tol": 1}})
    update_model(path, "analyses/fixedpoints/a", {"y": np.ones(2)})
    group = read_group(path, "analyses/fixedpoints/a")
    assert set(group) == {"y"} and read_model(path).weights["W_rec"].shape == (5, 5)
    assert read_group(path, "analyses/missing") is None


def test_failed_write_leaves_the_old_file_untouched(tmp_path: Path) -> None:
    path = write_model(tmp_path / "m.h5", _record())
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        with atomic_path(path, copy_existing=True) as tmp:
            with h5py.File(tmp, "r+") as f:
                del f["weights"]
            raise RuntimeError("crash in the middle of a write")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name != ".rnntool.lock"] == ["m.h5"]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "foreign", "missing-group", "future"])
def test_damaged_files_raise_corrupt_file_error(tmp_path: Path, damage: str) -> None:
    path = write_model(tmp_path / "m.h5", _record())
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:500])
    elif damage == "garbage":
        path.write_bytes(b"not an hdf5 file at all")
    elif damage == "foreign":
        with h5py.File(path, "w") as f:
            f["data"] = np.arange(3)
    else:
        with h5py.File(path, "r+") as f:
            if damage == "missing-group":
                del f["weights/W_rec"]
            else:
                f.attrs["schema_version"] = 99
    with pytest.raises(CorruptFileError):
        read_model(path)


def test_name_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNTOOL_MODELS", str(tmp_path / "env"))
    assert output_path("bptt_1") == tmp_path / "env" / "bptt_1.h5"
    assert output_path("bptt_1", tmp_path) == tmp_path / "bptt_1.h5"
    assert output_path("some/where/m.h5") == Path("some/where/m.h5")
    for bad in ("../m", "a/b", "..", ".hidden", "x y"):
        with pytest.raises(ConfigError):
            output_path(bad)
    with pytest.raises(ModelNotFoundError):
        resolve_model("absent_model", tmp_path)
    path = write_model(tmp_path / "present.h5", _record())
    assert resolve_model("present", tmp_path) == path
    assert resolve_model(str(path)) == path
    assert expand_stdin(["a", "-", "b"], ["x y\n", "z\n"]) == ["a", "x", "y", "z", "b"]


def test_long_histories_are_stored_compressed_and_read_back_exactly(tmp_path: Path) -> None:
    rec = _record()
    rec.training["history"]["loss"] = np.linspace(2.0, 0.1, 60_000)
    val = np.full(60_000, np.nan)
    val[::25] = np.linspace(1.0, 0.01, len(val[::25]))  # validated every 25 iterations
    rec.training["history"]["val_mse"] = val
    path = write_model(tmp_path / "m.h5", rec)
    with h5py.File(path, "r") as f:
        stored = f["training/history/val_mse"]
        assert stored.compression == "gzip" and stored.id.get_storage_size() < val.nbytes / 10
        assert f["weights/W_in"].compression is None  # small arrays stay plain
    assert np.array_equal(read_model(path).training["history"]["val_mse"], val, equal_nan=True)


def test_repeated_updates_do_not_grow_the_file(tmp_path: Path) -> None:
    path = write_model(tmp_path / "m.h5", _record())
    big = np.random.default_rng(0).standard_normal((200, 200))
    update_model(path, "analyses/big", {"x": big})
    size = path.stat().st_size
    for _ in range(3):
        update_model(path, "analyses/big", {"x": big})
    assert path.stat().st_size <= size
    update_model(path, "analyses/big", {"x": np.ones(3)})
    assert path.stat().st_size < size / 10
    assert np.array_equal(read_model(path).weights["W_rec"], _record().weights["W_rec"])


def test_written_files_are_readable_by_others(tmp_path: Path) -> None:
    path = write_model(tmp_path / "m.h5", _record())
    assert path.stat().st_mode & 0o044 == 0o044
