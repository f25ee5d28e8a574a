"""Property: any mutation of a valid model file makes evaluate, fixedpoints and plot either
succeed or fail with exit 2 and one line, and never touches a file outside the models folder."""

from __future__ import annotations

import io
import os
import shutil
import sys
from pathlib import Path
from typing import Callable

import h5py
import numpy as np
import pytest

from rnntool.cli.main import main
from rnntool.storage.names import SAMPLE_MODELS

COMMANDS = [["evaluate", "{m}", "--trials", "10", "-q"],
            ["fixedpoints", "{m}", "--inputs", "zeros", "--n-inits", "16", "--max-iters", "10",
             "-q"],
            ["plot", "{m}", "--kind", "loss", "--out", "{d}/figures", "-q"]]
N_MUTATIONS = 18


def _datasets(f: h5py.File) -> list[str]:
    names: list[str] = []
    f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    return names


def _objects(f: h5py.File) -> list[str]:
    names: list[str] = []
    f.visit(names.append)
    return names


ODD_VALUES = ["text", "", np.arange(3), -1, 2**62, 1e308, np.nan, np.inf, True,
              '{"n_in": 0}', '{"n_rec": "x"}', "[1, 2]", "{}", '{"name": "nope"}', "null"]


def _flip_bytes(path: Path, rng: np.random.Generator) -> None:
    data = bytearray(path.read_bytes())
    for offset in rng.integers(0, len(data), size=int(rng.integers(1, 20))):
        data[offset] = int(rng.integers(0, 256))
    path.write_bytes(bytes(data))


def _truncate(path: Path, rng: np.random.Generator) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:int(rng.integers(0, len(data)))])


def _set_attribute(path: Path, rng: np.random.Generator) -> None:
    with h5py.File(path, "r+") as f:
        holders = [f] + [f[n] for n in _objects(f)]
        holder = holders[int(rng.integers(len(holders)))]
        keys = list(holder.attrs) or ["extra"]
        holder.attrs[keys[int(rng.integers(len(keys)))]] = ODD_VALUES[int(rng.integers(len(ODD_VALUES)))]


def _delete_object(path: Path, rng: np.random.Generator) -> None:
    with h5py.File(path, "r+") as f:
        names = _objects(f)
        del f[names[int(rng.integers(len(names)))]]


def _replace_dataset(path: Path, rng: np.random.Generator) -> None:
    with h5py.File(path, "r+") as f:
        names = _datasets(f)
        name = names[int(rng.integers(len(names)))]
        old = f[name]
        shape = old.shape if rng.random() < 0.5 else tuple(rng.integers(0, 4, size=rng.integers(0, 3)))
        choice = int(rng.integers(5))
        data = [np.full(shape, np.nan), np.full(shape, -np.inf), np.zeros(shape, np.int8),
                np.zeros(shape, "S3"), rng.normal(size=shape) * 1e300][choice]
        del f[name]
        f[name] = data


def _add_link(path: Path, rng: np.random.Generator) -> None:
    with h5py.File(path, "r+") as f:
        names = [n for n in _objects(f) if isinstance(f[n], h5py.Group)]
        where = names[int(rng.integers(len(names)))]
        f[f"{where}/linked"] = (h5py.SoftLink("/" + where) if rng.random() < 0.5
                                else h5py.ExternalLink("/etc/passwd", "/"))


MUTATIONS: list[Callable[[Path, np.random.Generator], None]] = [
    _flip_bytes, _truncate, _set_attribute, _delete_object, _replace_dataset, _add_link]


def _snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for folder, dirs, files in os.walk(root):
        if Path(folder).resolve() == skip.resolve():
            dirs[:] = []
            continue
        for name in files:
            st = os.stat(os.path.join(folder, name))
            out[os.path.join(folder, name)] = (st.st_size, st.st_mtime_ns)
    return out


def test_mutated_model_files_exit_0_or_2_and_touch_nothing_else(
        tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(16)
    models = tmp_path / "models"
    models.mkdir()
    (tmp_path / "bystander.txt").write_text("must not change")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RNNTOOL_MODELS", str(models))
    samples_before = _snapshot(SAMPLE_MODELS, tmp_path / "none")
    outcomes = {0: 0, 2: 0}
    for trial in range(N_MUTATIONS):
        path = models / f"m{trial}.h5"
        shutil.copyfile(SAMPLE_MODELS / "hebb_0050.h5", path)
        mutation = MUTATIONS[trial % len(MUTATIONS)]
        mutation(path, rng)
        before = _snapshot(tmp_path, models)
        for template in COMMANDS:
            argv = [a.format(m=path, d=models) for a in template]
            monkeypatch.setattr(sys, "stdin", io.StringIO(""))
            with pytest.raises(SystemExit) as exit_:
                main(argv)
            _, err = capsys.readouterr()
            code = exit_.value.code
            assert code in (0, 2), f"{mutation.__name__} #{trial}, {argv[0]}: exit {code}: {err}"
            if code == 2:
                assert err.count("\n") == 1 and err.startswith("rnntool: error: "), err
            outcomes[code] += 1
        assert _snapshot(tmp_path, models) == before, f"{mutation.__name__} touched a file"
    assert _snapshot(SAMPLE_MODELS, tmp_path / "none") == samples_before
    assert outcomes[2] >= N_MUTATIONS and outcomes[0] > 0
