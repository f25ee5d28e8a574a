"""Weight and activity geometry of System A networks (duration memory with a frozen G).

Which property of the trained input vector I (``W_in``) and readout w (``W_out``) explains
a network's precision? Per member of a network stack this module measures:

- **precision**: the mean squared error of the output over the plateau (``report_ms`` to
  the end) for each evaluated duration, over many trials whose onsets are drawn as in
  training, with its standard error; durations outside the training range are flagged as
  extrapolation (the original's 300 ms);
- **cos(I, w)**: the cosine similarity of the input and readout vectors;
- **PCA of the rates** r = tanh(x) over two windows: *spontaneous* activity (no input after
  a one-step pulse at t = 0, from x(0) = ``spontaneous_x0``·1, the window
  ``spontaneous_window_ms``) and the *memory* period (trials of ``pca_durations_ms`` with
  onset ``onset_ms``, window from ``report_ms`` to the trial's end; covariances averaged
  over the durations). Covariances are computed with one batched product and decomposed
  with ``eigh`` (symmetric, real, descending);
- **participation ratios**: the dimensionality PR of each spectrum, (Σλ)²/Σλ², and the PR
  of I over the spontaneous PCs and of w over the memory PCs, (Σc²)²/Σc⁴ with c the
  projections on the eigenvectors (the number of PCs that carry the vector's energy), over
  the leading PCs that hold ``variance_kept`` of the variance (the directions of near-zero
  variance are numerically arbitrary, so including them makes the ratio irreproducible).
  The original study's signed form (Σc)²/Σc², which depends on the arbitrary signs of the
  eigenvectors, is available only as the labelled legacy variant ``legacy_signed``.

Every analysis runs without gradients and never writes to the network (the original's
spontaneous-activity analysis changed the network's initial state for later analyses).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from scipy import stats
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.network import Network
from rnntool.tasks.duration import EVALUATION_DURATIONS_MS, Duration

VECTOR_PR_FORMS = ("standard", "legacy_signed")


def participation_ratio(spectrum: Tensor | np.ndarray) -> np.ndarray:
    """Dimensionality participation ratio (Σλ)²/Σλ² over the last axis (1 … n)."""
    lam = torch.as_tensor(spectrum, dtype=torch.float64)
    return (lam.sum(-1) ** 2 / (lam ** 2).sum(-1)).numpy()


def vector_participation_ratio(vector: Tensor | np.ndarray, basis: Tensor | np.ndarray,
                               form: str = "standard",
                               components: np.ndarray | None = None) -> np.ndarray:
    """Participation ratio of ``vector`` (…, N) over the columns of ``basis`` (…, N, M).

    ``standard``: (Σc²)²/Σc⁴ with c = basisᵀ·vector, the number of basis vectors carrying
    the vector's energy (1 … M), unchanged by the signs of the basis vectors.
    ``legacy_signed``: the original study's (Σc)²/Σc², which depends on those signs.
    ``components`` (…,) keeps only the first so many basis vectors of each item.
    """
    if form not in VECTOR_PR_FORMS:
        raise ConfigError(f"unknown participation-ratio form {form!r} "
                          f"(known: {', '.join(VECTOR_PR_FORMS)})")
    v = torch.as_tensor(vector, dtype=torch.float64)
    e = torch.as_tensor(basis, dtype=torch.float64)
    c = (e.transpose(-1, -2) @ v[..., None])[..., 0]
    if components is not None:
        keep = torch.arange(c.shape[-1]) < torch.as_tensor(components)[..., None]
        c = c * keep
    if form == "standard":
        c2 = c ** 2
        return (c2.sum(-1) ** 2 / (c2 ** 2).sum(-1)).numpy()
    return (c.sum(-1) ** 2 / (c ** 2).sum(-1)).numpy()


def cosine(a: Tensor, b: Tensor) -> np.ndarray:
    """Cosine similarity along the last axis."""
    a, b = a.double(), b.double()
    return ((a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1))).numpy()


def covariance(rates: Tensor) -> Tensor:
    """Covariance over the time axis of rates (…, W, N) with ddof 1, as one batched product."""
    x = rates.double()
    xc = x - x.mean(-2, keepdim=True)
    return xc.transpose(-1, -2) @ xc / (x.shape[-2] - 1)


def leading_components(spectrum: np.ndarray, fraction: float) -> np.ndarray:
    """The number of leading PCs whose variance reaches ``fraction`` of the total (…,)."""
    lam = np.asarray(spectrum, dtype=float)
    share = np.cumsum(lam, -1) / lam.sum(-1, keepdims=True)
    return np.minimum((share < fraction - 1e-12).sum(-1) + 1, lam.shape[-1])


def spectrum(cov: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues, descending, and matching eigenvectors of symmetric matrices (``eigh``)."""
    lam, vec = torch.linalg.eigh(cov)
    return lam.flip(-1).clamp(min=0).numpy(), vec.flip(-1).numpy()


@dataclass(frozen=True)
class GeometrySettings:
    """How the geometry of System A networks is measured (times in ms)."""

    durations_ms: tuple[float, ...] = EVALUATION_DURATIONS_MS
    trials: int = 200
    pca_durations_ms: tuple[float, ...] = EVALUATION_DURATIONS_MS
    spontaneous_ms: float = 10000.0
    spontaneous_window_ms: tuple[float, float] = (5000.0, 10000.0)
    spontaneous_x0: float = 0.1
    variance_kept: float = 0.99
    vector_form: str = "standard"
    seed: int = 0

    def check(self, task: Duration) -> None:
        """ConfigError for settings that cannot be measured on ``task``."""
        if not self.durations_ms or not self.pca_durations_ms:
            raise ConfigError("give at least one duration")
        if min(self.durations_ms) <= 0 or min(self.pca_durations_ms) <= 0:
            raise ConfigError("durations must be positive")
        if self.trials < 2:
            raise ConfigError("precision needs at least 2 trials per duration (for its error bar)")
        if not 0 < self.variance_kept <= 1:
            raise ConfigError("variance_kept must lie in (0, 1]")
        if self.vector_form not in VECTOR_PR_FORMS:
            raise ConfigError(f"vector_form must be one of {', '.join(VECTOR_PR_FORMS)}")
        start, stop = self.spontaneous_window_ms
        if not 0 <= start < stop <= self.spontaneous_ms:
            raise ConfigError("the spontaneous window must lie inside the spontaneous run")
        if (stop - start) / task.dt < 2:
            raise ConfigError("the spontaneous window must span at least 2 steps")
        longest = task.onset_ms + max(self.pca_durations_ms)
        if longest > task.report_ms:
            raise ConfigError(f"a PCA pulse of {max(self.pca_durations_ms):g} ms ends after "
                              f"report_ms ({task.report_ms:g} ms)")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@torch.no_grad()
def _rates_and_outputs(net: Network, inputs: Tensor, x_init: Tensor) -> tuple[Tensor, Tensor]:
    traj = net.simulate(inputs, x_init)
    return traj.rates, traj.outputs


def _chunks(net: Network, budget: int, per_member: int) -> list[Network]:
    """The members of ``net`` in stacks small enough that per_member·size ≤ budget floats."""
    size = max(1, budget // max(per_member, 1))
    return [type(net)(net.config, {n: v[a:a + size].detach() for n, v in net.params.items()},
                      net.device) for a in range(0, net.members, size)]


@torch.no_grad()
def plateau_outputs(net: Network, inputs: Tensor, targets: Tensor, report: int,
                    budget: int = 50_000_000) -> tuple[Tensor, Tensor]:
    """Per member and trial, the mean squared error and the mean output over the steps from
    ``report`` on, (K, B) each, from x(0) = x0 without noise.

    The trials run in blocks of steps sized so that a block holds at most ``budget`` floats,
    carrying the state between blocks: thousands of 7 s trials at dt = 1 ms never hold a
    (K, B, T, N) tensor, and all members still advance together.
    """
    members, trials, steps = net.members, inputs.shape[0], inputs.shape[1]
    block = max(1, budget // (members * trials * net.state_size))
    x = net.initial_state(trials, std=0.0)
    squared = torch.zeros(members, trials, dtype=torch.float64)
    level = torch.zeros_like(squared)
    for start in range(0, steps, block):
        stop = min(start + block, steps)
        xs, rs = net.unroll(x, net.drive(inputs[:, start:stop]))
        x = xs[-1].contiguous()
        first = max(report, start) - start
        if start + first >= stop:
            continue
        out = net.output(xs[first:].transpose(0, 1), rs[first:].transpose(0, 1))[..., 0]
        target = targets[None, :, start + first:stop, 0].transpose(1, 2).to(out)
        squared += ((out - target) ** 2).sum(1).double().cpu()
        level += out.sum(1).double().cpu()
    return squared / (steps - report), level / (steps - report)


@torch.no_grad()
def precision(net: Network, task: Duration, durations_ms: Sequence[float], trials: int,
              generator: torch.Generator, budget: int = 50_000_000) -> dict[str, np.ndarray]:
    """Plateau MSE per member and duration over ``trials`` trials: mean, standard error and
    whether each duration extrapolates beyond the training range, with the duration the
    plateau reports (mean output / slope) and its spread across trials.

    Returns ``mse``, ``sem``, ``remembered_ms`` and ``remembered_sd_ms`` (K, D),
    ``extrapolation`` (D,) and ``precision`` (K,), the mean MSE over the durations (lower
    is better).
    """
    report = int(round(task.report_ms / task.dt))
    errors, levels = [], []
    for d in durations_ms:
        batch = task.precision_trials(d, trials, generator)
        e, level = plateau_outputs(net, batch.inputs, batch.targets, report, budget)
        errors.append(e)
        levels.append(level)
    e, remembered = torch.stack(errors, 1), torch.stack(levels, 1)  # (K, D, trials)
    if task.slope > 0:
        remembered = remembered / task.slope
    mse = e.mean(-1)
    return {"mse": mse.numpy(), "sem": (e.std(-1) / trials ** 0.5).numpy(),
            "precision": mse.mean(-1).numpy(), "remembered_ms": remembered.mean(-1).numpy(),
            "remembered_sd_ms": remembered.std(-1).numpy(),
            "extrapolation": np.array([task.extrapolates(d) for d in durations_ms])}


def duration_evaluation(net: Network, task: Any, generator: torch.Generator, trials: int
                        ) -> dict[str, Any]:
    """What ``rnntool evaluate`` adds for the duration task: precision per evaluated duration
    (50, 150, 300 ms; 300 ms extrapolates) over ``trials`` trials each, member 0, simulated
    in float64 as :func:`geometry` does ({} for other tasks)."""
    if not isinstance(task, Duration):
        return {}
    net = net.member(0).with_config(dtype="float64")
    p = precision(net, task, EVALUATION_DURATIONS_MS, trials, generator)
    per_duration = {k: p[k][0] for k in ("mse", "sem", "remembered_ms", "remembered_sd_ms")}
    return {"precision": {"durations_ms": np.array(EVALUATION_DURATIONS_MS), **per_duration,
                          "extrapolation": p["extrapolation"], "mean_mse": float(p["precision"][0]),
                          "trials_per_duration": int(trials)}}


@torch.no_grad()
def memory_pca(net: Network, task: Duration, durations_ms: Sequence[float],
               budget: int = 50_000_000) -> tuple[np.ndarray, np.ndarray]:
    """PCA of the rates over the memory window (``report_ms`` to the end) of one trial per
    duration with onset ``task.onset_ms``, covariances averaged over the durations:
    spectra (K, N) and eigenvectors (K, N, N)."""
    d = torch.tensor([float(x) for x in durations_ms])
    batch = task.trials(torch.full_like(d, task.onset_ms), d)
    report = int(round(task.report_ms / task.dt))
    covs = []
    for part in _chunks(net, budget, len(d) * task.n_steps * net.state_size):
        rates, _ = _rates_and_outputs(part, batch.inputs, part.initial_state(len(d), std=0.0))
        covs.append(covariance(rates[:, :, report:]).mean(1).cpu())
    return spectrum(torch.cat(covs))


@torch.no_grad()
def spontaneous_pca(net: Network, task: Duration, settings: GeometrySettings,
                    budget: int = 50_000_000) -> tuple[np.ndarray, np.ndarray]:
    """PCA of the rates of the undriven network over ``spontaneous_window_ms``, after a
    one-step pulse of the task's amplitude at t = 0 from x(0) = ``spontaneous_x0``·1 (an
    explicit initial state: the network is left unchanged)."""
    steps = int(round(settings.spontaneous_ms / task.dt))
    start, stop = (int(round(t / task.dt)) for t in settings.spontaneous_window_ms)
    inputs = torch.zeros(1, steps, 1)
    inputs[0, 0, 0] = task.amplitude
    covs = []
    for part in _chunks(net, budget, steps * net.state_size):
        x0 = torch.full((part.members, 1, part.state_size), settings.spontaneous_x0,
                        dtype=part.dtype, device=part.device)
        rates, _ = _rates_and_outputs(part, inputs, x0)
        covs.append(covariance(rates[:, 0, start:stop]).cpu())
    return spectrum(torch.cat(covs))


def geometry(net: Network, task: Duration, settings: GeometrySettings = GeometrySettings()
             ) -> dict[str, np.ndarray]:
    """Every measure for every member of ``net`` (arrays with the member axis first).

    Keys: ``mse``, ``sem`` (K, D), ``precision``, ``cos_I_w``, ``pr_spontaneous``,
    ``pr_memory``, ``pr_I``, ``pr_w`` (K,), ``pr_I_legacy_signed``, ``pr_w_legacy_signed``
    (K,, the original's signed form over all N PCs, for comparison only),
    ``pcs_spontaneous`` and ``pcs_memory`` (K,, the leading PCs holding ``variance_kept`` of
    the variance, over which ``pr_I`` and ``pr_w`` are taken: eigenvectors of near-zero
    variance are arbitrary within their near-null space), ``extrapolation`` (D,),
    ``spectrum_spontaneous`` and ``spectrum_memory`` (K, N). Simulated in float64.
    """
    settings.check(task)
    net = net.with_config(dtype="float64")  # a detached copy: chaotic G amplifies rounding
    if net.config.n_in != 1 or net.config.n_out != 1:
        raise ConfigError("the geometry of System A needs one input and one output")
    generator = torch.Generator().manual_seed(settings.seed)
    out = precision(net, task, settings.durations_ms, settings.trials, generator)
    w_in = net.params["W_in"][:, :, 0].detach().cpu()
    w_out = net.params["W_out"][:, 0, :].detach().cpu()
    out["cos_I_w"] = cosine(w_in, w_out)
    lam_s, vec_s = spontaneous_pca(net, task, settings)
    lam_m, vec_m = memory_pca(net, task, settings.pca_durations_ms)
    out["spectrum_spontaneous"], out["spectrum_memory"] = lam_s, lam_m
    out["pr_spontaneous"] = participation_ratio(lam_s)
    out["pr_memory"] = participation_ratio(lam_m)
    out["pcs_spontaneous"] = leading_components(lam_s, settings.variance_kept)
    out["pcs_memory"] = leading_components(lam_m, settings.variance_kept)
    out["pr_I"] = vector_participation_ratio(w_in, vec_s, settings.vector_form,
                                             out["pcs_spontaneous"])
    out["pr_w"] = vector_participation_ratio(w_out, vec_m, settings.vector_form,
                                             out["pcs_memory"])
    out["pr_I_legacy_signed"] = vector_participation_ratio(w_in, vec_s, "legacy_signed")
    out["pr_w_legacy_signed"] = vector_participation_ratio(w_out, vec_m, "legacy_signed")
    return out


#: The per-member measures correlated with precision across an ensemble.
CORRELATED_MEASURES = ("cos_I_w", "pr_I", "pr_w", "pr_spontaneous", "pr_memory")


def ensemble_correlations(measures: Mapping[str, np.ndarray],
                          names: Sequence[str] = CORRELATED_MEASURES) -> dict[str, tuple[float, float]]:
    """Pearson r and two-sided p of each measure against precision across the members."""
    precision_values = np.asarray(measures["precision"], dtype=float)
    if precision_values.size < 3:
        raise ConfigError("ensemble correlations need at least 3 models")
    out = {}
    for name in names:
        values = np.asarray(measures[name], dtype=float)
        if np.ptp(values) == 0 or np.ptp(precision_values) == 0:
            out[name] = (float("nan"), float("nan"))
            continue
        r, p = stats.pearsonr(values, precision_values)
        out[name] = (float(r), float(p))
    return out


#: Durations (ms) whose trajectories ``rnntool plot --kind pca`` draws for duration models.
TRAJECTORY_DURATIONS_MS = (50.0, 100.0, 150.0, 200.0, 250.0, 300.0)


@torch.no_grad()
def memory_trajectories(net: Network, task: Duration,
                        durations_ms: Sequence[float] = TRAJECTORY_DURATIONS_MS,
                        dims: int = 2) -> dict[str, np.ndarray]:
    """Member 0's rate trajectories of one trial per duration (onset ``task.onset_ms``, no
    noise, x(0) = x0, float64) projected on the memory-period PCs of those trials: the
    leading ``dims`` eigenvectors of the covariance over the memory window (``report_ms`` to
    the end) averaged over the trials, as :func:`memory_pca` computes them. Projections are
    of r − r̄, with r̄ the mean rate over every trial's memory window, so both the dynamics
    within a trial and the offsets between durations show.

    Returns ``time_ms`` (T,, the step's time as the task's targets count it),
    ``projections`` (D, T, dims), ``variance_ratio`` (dims,) of
    the averaged spectrum, ``outputs`` and ``targets`` (D, T), ``durations_ms`` (D,) and
    the window ``onset_ms``/``report_ms``.
    """
    net = net.member(0).with_config(dtype="float64")
    d = torch.tensor([float(x) for x in durations_ms], dtype=torch.float64)
    batch = task.trials(torch.full_like(d, task.onset_ms), d)
    report = int(round(task.report_ms / task.dt))
    traj = net.simulate(batch.inputs, net.initial_state(len(d), std=0.0))
    rates = traj.rates[0].cpu()  # (D, T, N)
    lam, vec = spectrum(covariance(rates[:, report:]).mean(0, keepdim=True))
    axes = torch.from_numpy(vec[0][:, :dims])
    centre = rates[:, report:].reshape(-1, rates.shape[-1]).mean(0)
    steps = rates.shape[1]
    return {"time_ms": np.arange(steps) * task.dt, "durations_ms": d.numpy(),
            "projections": ((rates - centre) @ axes).numpy(),
            "variance_ratio": lam[0, :dims] / lam[0].sum(),
            "outputs": traj.outputs[0, :, :, 0].cpu().numpy(),
            "targets": batch.targets[:, :, 0].double().numpy(),
            "onset_ms": np.float64(task.onset_ms), "report_ms": np.float64(task.report_ms)}
