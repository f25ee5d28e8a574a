"""docs/schema.md is enough to read a file: plain h5py, following only the document's
encodings (compound {r, i} complex, int8 enum booleans, UTF-8 string datasets, JSON attrs),
then checked against rnntool's own reader."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

SAMPLE = Path(__file__).resolve().parents[1] / "sample_models" / "flipflop_3bit.h5"
DOC = Path(__file__).resolve().parents[1] / "docs" / "schema.md"


def test_document_states_the_encodings() -> None:
    text = DOC.read_text()
    for phrase in ("compound type `{r: float64, i: float64}`", "enum over int8",
                   "variable-length UTF-8", "−1", "n_modes=0", "slow_q=1e-20"):
        assert phrase in text, phrase


def test_sample_model_read_with_plain_h5py_as_documented() -> None:
    with h5py.File(SAMPLE, "r") as f:
        assert f.attrs["format"] == "rnntool-model" and int(f.attrs["schema_version"]) == 1
        network = json.loads(f["config"].attrs["network"])
        n = network["n_rec"]
        w_rec = f["weights/W_rec"][()]
        assert w_rec.shape == (n, n) and w_rec.dtype == np.dtype(network["dtype"])
        assert f["training"].attrs["converged"] in (0, 1)

        group = f["analyses/fixedpoints/zeros_exact"]
        eig = group["eigenvalues"]
        ctype = eig.id.get_type()
        assert ctype.get_class() == h5py.h5t.COMPOUND
        assert [ctype.get_member_name(i) for i in range(ctype.get_nmembers())] == [b"r", b"i"]
        pairs = eig.astype(np.dtype([("r", "<f8"), ("i", "<f8")]))[()]  # the compound, as such
        real, imag = pairs["r"], pairs["i"]
        assert real.dtype == np.float64 and real.shape == (len(group["x"]), n)

        stable = group["stable_map"]
        assert stable.id.get_type().get_class() == h5py.h5t.ENUM
        assert stable.id.get_type().get_size() == 1
        stable_int = stable.astype("int8")[()]
        assert set(np.unique(stable_int)) <= {0, 1}

        kind = group["kind"]
        stype = kind.id.get_type()
        assert stype.get_class() == h5py.h5t.STRING and stype.is_variable_str()
        assert stype.get_cset() == h5py.h5t.CSET_UTF8
        kinds = kind.asstr()[()]
        settings = json.loads(group.attrs["settings"])
        assert settings["n_modes"] == 0 and settings["slow_q"] == 1e-20  # as the document says

    # The document's reading agrees with rnntool's: stable iff every |λ| < 1, 8 attractors.
    modulus = np.hypot(real, imag)
    assert np.array_equal(stable_int == 1, modulus.max(1) < 1.0)
    assert set(kinds) == {"fixed"} and int(stable_int.sum()) == 8

    from rnntool.analysis.fixedpoints import load_fixed_points

    points = load_fixed_points(SAMPLE, "zeros_exact")
    assert np.array_equal(points.eigenvalues, real + 1j * imag)
    assert np.array_equal(points.stable_map, stable_int == 1)
