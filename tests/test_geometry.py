"""System A geometry: participation ratios with known answers, invariances, no mutation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnntool.analysis.geometry import (GeometrySettings, covariance, ensemble_correlations,
                                       geometry, leading_components, participation_ratio,
                                       plateau_outputs, precision, spectrum,
                                       vector_participation_ratio)
from rnntool.errors import ConfigError
from rnntool.network import Network
from rnntool.rules import get_rule
from rnntool.tasks import make_task
from rnntool.training import network_for


def test_spectrum_participation_ratio_known_answers() -> None:
    assert participation_ratio(np.array([5.0, 0, 0, 0])) == pytest.approx(1.0)
    assert participation_ratio(np.array([2.0] * 7 + [0.0] * 3)) == pytest.approx(7.0)
    batch = participation_ratio(np.array([[1.0, 1.0, 0.0], [3.0, 0.0, 0.0]]))
    assert batch == pytest.approx([2.0, 1.0])


def test_vector_participation_ratio_known_answers_and_sign_invariance() -> None:
    basis, _ = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(0),
                                           dtype=torch.float64))
    one = 3.0 * basis[:, 2]
    assert vector_participation_ratio(one, basis) == pytest.approx(1.0)
    four = basis[:, :4] @ torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64)
    assert vector_participation_ratio(four, basis) == pytest.approx(4.0)
    flipped = basis * torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0, 1.0], dtype=torch.float64)
    v = torch.randn(6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert vector_participation_ratio(v, flipped) == pytest.approx(vector_participation_ratio(v, basis))
    # the original's signed form is not invariant: ±1 components cancel to 0 or add up to 4
    assert vector_participation_ratio(four, basis, "legacy_signed") == pytest.approx(0.0)
    assert vector_participation_ratio(four, flipped, "legacy_signed") == pytest.approx(4.0)
    # restricted to the leading components: the energy of the dropped ones does not count
    assert vector_participation_ratio(four, basis, components=np.array(2)) == pytest.approx(2.0)
    with pytest.raises(ConfigError, match="unknown participation-ratio form"):
        vector_participation_ratio(v, basis, "abs")


def test_leading_components_reach_the_variance_fraction() -> None:
    lam = np.array([[6.0, 3.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    assert leading_components(lam, 0.9).tolist() == [2, 4]
    assert leading_components(lam, 0.5).tolist() == [1, 2]
    assert leading_components(lam, 1.0).tolist() == [3, 4]


def test_covariance_and_eigh_match_numpy() -> None:
    rates = torch.randn(2, 50, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    cov = covariance(rates)
    assert np.allclose(cov[1].numpy(), np.cov(rates[1].numpy().T))
    lam, vec = spectrum(cov)
    assert np.all(np.diff(lam, axis=-1) <= 0) and np.isrealobj(lam)
    assert np.allclose(cov[0].numpy() @ vec[0][:, 0], lam[0, 0] * vec[0][:, 0])


def _ensemble(members: int = 4) -> tuple[Network, object]:
    task = make_task("duration", dt=50.0)
    cfg = network_for(get_rule("bptt"), task, n_rec=20)
    return Network.initialise(cfg, torch.Generator().manual_seed(0), members=members), task


def test_geometry_measures_every_member_without_touching_the_network() -> None:
    net, task = _ensemble()
    before = {k: v.clone() for k, v in net.params.items()}
    settings = GeometrySettings(trials=8, spontaneous_ms=2000.0,
                                spontaneous_window_ms=(1000.0, 2000.0))
    out = geometry(net, task, settings)
    assert all(torch.equal(before[k], net.params[k]) for k in before)
    assert out["mse"].shape == out["sem"].shape == (4, 3) and (out["sem"] >= 0).all()
    assert out["extrapolation"].tolist() == [False, False, True]  # 300 ms is beyond training
    w_in, w_out = net.params["W_in"][:, :, 0], net.params["W_out"][:, 0]
    want = torch.nn.functional.cosine_similarity(w_in, w_out, dim=-1)
    assert np.allclose(out["cos_I_w"], want.numpy(), atol=1e-6)
    for key in ("pr_spontaneous", "pr_memory", "pr_I", "pr_w"):
        assert out[key].shape == (4,) and (out[key] >= 1 - 1e-9).all() and (out[key] <= 20 + 1e-9).all()
    # one member alone gives the same numbers as inside the stack (no cross-member leakage)
    alone = geometry(net.member(2), task, settings)
    for key in ("pr_w", "pr_I", "pr_memory", "pr_spontaneous"):
        assert alone[key][0] == pytest.approx(out[key][2], rel=1e-6)
    assert alone["mse"][0] == pytest.approx(out["mse"][2], rel=1e-5)
    again = geometry(net, task, settings)
    assert np.array_equal(again["mse"], out["mse"])


@pytest.mark.parametrize("budget", [1, 3 * 5 * 20 * 7, 10 ** 9])
def test_plateau_errors_in_time_blocks_equal_one_whole_simulation(budget: int) -> None:
    net, task = _ensemble(3)
    net = net.with_config(dtype="float64")
    batch = task.precision_trials(150.0, 5, torch.Generator().manual_seed(2))
    report = int(round(task.report_ms / task.dt))
    squared, level = plateau_outputs(net, batch.inputs, batch.targets, report, budget)
    out = net.simulate(batch.inputs, net.initial_state(5, std=0.0)).outputs[..., report:, 0]
    want = ((out - batch.targets[None, :, report:, 0].double()) ** 2).mean(-1)
    torch.testing.assert_close(squared, want, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(level, out.mean(-1), rtol=1e-12, atol=1e-14)


def test_precision_reports_the_remembered_duration_of_a_perfect_plateau() -> None:
    """A network whose output is exactly the target has zero error and remembers d."""
    net, task = _ensemble(2)
    net.params["W_out"].zero_()
    net.params["b_out"][:] = task.slope * 150.0
    p = precision(net.with_config(dtype="float64"), task, (150.0, 300.0), 4,
                  torch.Generator().manual_seed(0))
    assert np.allclose(p["mse"][:, 0], 0.0, atol=1e-20) and np.allclose(p["sem"][:, 0], 0.0)
    assert np.allclose(p["remembered_ms"], 150.0) and np.allclose(p["remembered_sd_ms"], 0.0)
    assert np.allclose(p["mse"][:, 1], (task.slope * 150.0) ** 2)
    assert p["extrapolation"].tolist() == [False, True]


def test_ensemble_correlations_are_pearson() -> None:
    rng = np.random.default_rng(0)
    measures = {"precision": rng.normal(size=10), "cos_I_w": rng.normal(size=10)}
    measures["pr_w"] = 2 * measures["precision"] + 1
    out = ensemble_correlations(measures, ("cos_I_w", "pr_w"))
    assert out["pr_w"][0] == pytest.approx(1.0) and out["pr_w"][1] < 1e-6
    r = np.corrcoef(measures["cos_I_w"], measures["precision"])[0, 1]
    assert out["cos_I_w"][0] == pytest.approx(r)
    with pytest.raises(ConfigError, match="at least 3"):
        ensemble_correlations({"precision": np.ones(2), "pr_w": np.ones(2)}, ("pr_w",))


def test_bad_geometry_settings_are_refused() -> None:
    net, task = _ensemble(1)
    with pytest.raises(ConfigError, match="spontaneous window"):
        geometry(net, task, GeometrySettings(spontaneous_window_ms=(5000.0, 20000.0)))
    with pytest.raises(ConfigError, match="at least 2 trials"):
        geometry(net, task, GeometrySettings(trials=1))
