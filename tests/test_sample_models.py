"""Schema-1 model files (every shipped sample model) load as ctrnn networks and reproduce
their stored evaluation."""

from __future__ import annotations

from pathlib import Path

import h5py
import pytest

from rnntool.analysis.evaluation import evaluate
from rnntool.models import load_model

def _schema(path: Path) -> int:
    with h5py.File(path, "r") as f:
        return int(f.attrs["schema_version"])


SAMPLES = [p for p in sorted((Path(__file__).parent.parent / "sample_models").glob("*.h5"))
           if _schema(p) == 1]


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_version_1_files_reproduce_their_stored_evaluation(path: Path) -> None:
    model = load_model(path)
    assert model.network.config.cell == "ctrnn" and not model.network.constraints.active
    stored = model.record.evaluation
    again = evaluate(model.network, model.task, seed=int(stored["seed"]), trials=int(stored["trials"]))
    assert len(SAMPLES) >= 11
    assert again["accuracy"] == pytest.approx(float(stored["accuracy"]), abs=1e-6)  # float32 stored
    assert again["scored_trials"] == stored["scored_trials"]
