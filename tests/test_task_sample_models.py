"""The shipped task-suite sample models: small, built with their task's own defaults, with the
fixed points or traced attractors their figures need, and drawable."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest

from rnntool.analysis.attractor_store import load_traces
from rnntool.analysis.fixedpoints import fixed_point_keys
from rnntool.models import load_model
from rnntool.tasks.suite_defaults import ENGELLAB, MULTITASK_NETWORK

SAMPLES = Path(__file__).parent.parent / "sample_models"
#: name → (task, what is stored: a traced attractor kind, or "fixedpoints")
SHIPPED = {"mt_1": ("delaygo,delayanti", "fixedpoints"), "mt_2": ("delaygo,delayanti,dms,antidms", "fixedpoints"),
           "mtc_1": ("delaygo_continuous,delayanti_continuous", "ring"),
           "cddm_1": ("cddm", "line"),
           "man_1": ("memory_anti_number", "line"), "maa_1": ("memory_anti_angle", "ring"),
           "dmts_1": ("dmts", "fixedpoints"), "flipflop_2bit": ("flipflop", "fixedpoints")}
PRESENT = [name for name in SHIPPED if (SAMPLES / f"{name}.h5").exists()]


def test_the_main_jobs_model_is_shipped() -> None:
    assert "man_1" in PRESENT and "cddm_1" in PRESENT


@pytest.mark.parametrize("name", PRESENT)
def test_task_sample_model_has_its_defaults_and_analyses(name: str) -> None:
    path = SAMPLES / f"{name}.h5"
    task, stored = SHIPPED[name]
    # the multitask networks: 256 units, and along mt_1's 126 sweep inputs 167 fixed points,
    # each with its spectrum and unstable modes (22 KB); ≤ 75 units otherwise
    assert path.stat().st_size < (4_000_000 if "," in task else 400_000)
    model = load_model(path)
    assert model.task.name == task
    defaults = MULTITASK_NETWORK if "," in task else ENGELLAB[task][0]
    config = model.network.config
    assert config.cell == "rate" and config.phi == defaults["phi"] and config.n_rec == defaults["n_rec"]
    assert config.alpha == pytest.approx(defaults["alpha"])
    assert model.network.cell.options["noise"] == defaults["cell_options"]["noise"]
    assert "mse" in model.record.evaluation["metrics"]
    if stored == "fixedpoints":
        assert fixed_point_keys(path)
    else:
        traces = load_traces(path, stored)[stored]
        assert traces and all(len(t.points) == 31 for _, t in traces)
