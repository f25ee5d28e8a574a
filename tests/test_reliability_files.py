"""Reliability of files: hostile HDF5 files, concurrent writers, killed writers, symlinks,
shipped samples (issue categories 1, 2, 5)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from rnntool.errors import ConfigError, CorruptFileError
from rnntool.storage import atomic_path, read_group, read_model, update_model, write_model
from rnntool.storage.names import SAMPLE_MODELS, writable_model
from rnntool.storage.population_file import read_population, write_population
from tests.test_storage import _record

ROOT = Path(__file__).resolve().parents[1]


def _model(tmp_path: Path) -> Path:
    return write_model(tmp_path / "m.h5", _record())


# --- hostile files (category 2) -------------------------------------------------------------
def _secret(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(25, dtype=np.float32).tobytes())
    return secret


def _external_link(path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["W_rec"] = np.zeros((5, 5), np.float32)
    with h5py.File(path, "r+") as f:
        del f["weights/W_rec"]
        f["weights/W_rec"] = h5py.ExternalLink(str(other), "/W_rec")


def _external_storage(path: Path, tmp_path: Path) -> None:
    secret = _secret(tmp_path)
    with h5py.File(path, "r+") as f:
        del f["weights/W_rec"]
        f["weights"].create_dataset("W_rec", shape=(5, 5), dtype=np.float32,
                                    external=[(str(secret), 0, h5py.h5f.UNLIMITED)])


def _virtual(path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["data"] = np.ones((5, 5), np.float32)
    layout = h5py.VirtualLayout(shape=(5, 5), dtype=np.float32)
    layout[:] = h5py.VirtualSource(str(other), "data", shape=(5, 5))
    with h5py.File(path, "r+") as f:
        del f["weights/W_rec"]
        f["weights"].create_virtual_dataset("W_rec", layout)


def _huge(path: Path, tmp_path: Path) -> None:
    with h5py.File(path, "r+") as f:
        f["training/history"].create_dataset("huge", shape=(10**9,), dtype=np.float64)


def _soft_loop(path: Path, tmp_path: Path) -> None:
    with h5py.File(path, "r+") as f:
        f["training/loop"] = h5py.SoftLink("/training")


def _hard_loop(path: Path, tmp_path: Path) -> None:
    with h5py.File(path, "r+") as f:
        f["training/loop"] = f["training"]


@pytest.mark.parametrize("attack, fragment", [
    (_external_link, "external link"), (_external_storage, "external file"),
    (_virtual, "virtual dataset"), (_huge, "declares"), (_soft_loop, "soft link"),
    (_hard_loop, "linked twice")])
def test_hostile_files_are_refused_before_reading(tmp_path: Path, attack, fragment: str) -> None:
    path = _model(tmp_path)
    attack(path, tmp_path)
    with pytest.raises(CorruptFileError, match=fragment) as err:
        read_model(path)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("damage, fragment", [
    (lambda f: f.attrs.__setitem__("schema_version", "one"), "schema_version"),
    (lambda f: f.attrs.__setitem__("schema_version", np.arange(3)), "schema_version"),
    (lambda f: f.attrs.__setitem__("seed", "x"), "seed"),
    (lambda f: (f["weights"].__delitem__("W_rec"),
                f["weights"].__setitem__("W_rec", np.zeros((4, 4)))), "shape"),
    (lambda f: (f["weights"].__delitem__("b"),
                f["weights"].__setitem__("b", np.zeros(5, dtype=np.int64))), "data type"),
    (lambda f: (f["weights"].__delitem__("b"),
                f["weights"].__setitem__("b", np.full(5, np.nan))), "NaN"),
    (lambda f: (f["weights"].__delitem__("x0"),
                f["weights"].__setitem__("x0", np.full(5, np.inf))), "NaN or infinite"),
    (lambda f: f["config"].attrs.__setitem__("network", np.arange(2)), "not text"),
    (lambda f: f["config"].attrs.__setitem__("network", '{"n_in": 2, "n_rec": 1e9}'), "n_rec"),
])
def test_damaged_contents_are_one_line_errors(tmp_path: Path, damage, fragment: str) -> None:
    path = _model(tmp_path)
    with h5py.File(path, "r+") as f:
        damage(f)
    with pytest.raises(CorruptFileError, match=fragment):
        read_model(path)


def test_population_files_are_checked_too(tmp_path: Path) -> None:
    path = write_population(tmp_path / "p.h5", {"kind": "svcca"}, {"distances": np.eye(2)})
    _soft_loop_population = h5py.SoftLink("/")
    with h5py.File(path, "r+") as f:
        f["loop"] = _soft_loop_population
    with pytest.raises(CorruptFileError, match="soft link"):
        read_population(path)


# --- concurrent writers (category 1) --------------------------------------------------------
WRITER = textwrap.dedent("""
    import sys, numpy as np
    from rnntool.storage import update_model
    path, key = sys.argv[1], sys.argv[2]
    for i in range(3):
        update_model(path, f"analyses/{key}_{i}", {"value": np.full(50_000, float(i))})
""")


def test_concurrent_updates_from_processes_all_survive(tmp_path: Path) -> None:
    path = _model(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"w{k}"], env=env)
               for k in range(3)]
    assert [w.wait(timeout=120) for w in writers] == [0] * 3
    for k in range(3):
        for i in range(3):
            assert np.all(read_group(path, f"analyses/w{k}_{i}")["value"] == i)
    assert read_model(path).evaluation["accuracy"] == 0.93
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# --- killed writers, symlinks, samples, full disks (category 5) -----------------------------
def test_temp_files_of_killed_writers_are_removed_by_the_next_write(tmp_path: Path) -> None:
    path = _model(tmp_path)
    killer = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import os, sys, signal
        from rnntool.storage import atomic_path
        with atomic_path(sys.argv[1]) as tmp:
            tmp.write_bytes(b"half")
            os.kill(os.getpid(), signal.SIGKILL)
    """), str(path)], env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert killer.wait(timeout=60) == -9
    stale = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(stale) == 1
    unrelated = tmp_path / ".m.h5.notes.tmp"
    unrelated.write_text("a user's file that merely looks similar")
    update_model(path, "analyses/x", {"v": np.ones(2)})
    assert not any(p.exists() for p in stale) and unrelated.exists()
    assert read_model(path).seed == 3


def test_symlinked_model_is_written_through(tmp_path: Path) -> None:
    real = write_model(tmp_path / "store" / "m.h5", _record())
    link = tmp_path / "m.h5"
    link.symlink_to(real)
    update_model(link, "analyses/x", {"v": np.ones(2)})
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert read_group(real, "analyses/x")["v"].shape == (2,)


def test_failed_figure_write_keeps_the_old_figure(tmp_path: Path) -> None:
    target = tmp_path / "fig.png"
    target.write_bytes(b"good figure")
    with pytest.raises(OSError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"trunc")
            raise OSError(28, "No space left on device")
    assert target.read_bytes() == b"good figure"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".rnntool.lock", "fig.png"]


def test_shipped_samples_are_copied_never_changed(tmp_path: Path) -> None:
    sample = SAMPLE_MODELS / "hebb_0050.h5"
    before = sample.read_bytes()
    copy = update_model(writable_model(sample, tmp_path / "models"), "analyses/x", {"v": np.ones(1)})
    assert copy == tmp_path / "models" / "hebb_0050.h5" and sample.read_bytes() == before
    assert read_group(copy, "analyses/x")["v"].shape == (1,)
    assert writable_model(sample, tmp_path / "models") == copy
    other = tmp_path / "other"
    other.mkdir()
    shutil.copyfile(SAMPLE_MODELS / "ff_0050.h5", other / "hebb_0050.h5")
    with pytest.raises(ConfigError, match="not a copy"):
        writable_model(sample, other)
