"""The pulse-duration memory task of System A: hold a plateau proportional to a pulse's length.

A pulse of amplitude ``amplitude`` starts at a random onset and lasts a random duration d;
after a delay the output must hold ``slope``·d until the end of the trial. A fraction
``no_cue`` of the trials has no pulse and a target of 0 throughout.

Times are in ms and converted with ``dt`` (ms per step); onsets and durations are drawn on
the grid of ``dt`` (integer numbers of steps) so the target never differs from the pulse the
network saw. Defaults are the original study's (7 s trials, onset 3000 ± 1000 ms, duration
150 ± 100 ms, i.e. d ∈ [50, 250) ms, plateau from 4500 ms):

- **mask** (0/1): cued trials are scored before the onset (target 0) and from ``report_ms``
  on (the plateau); the window in between, which holds the whole pulse, is free (mask 0, not
  a sentinel target, so any target value is allowed). No-cue trials are scored at every
  step. The task's loss is the mean over trials of each trial's mean squared error over its
  scored steps, as in the original.
- **metrics**: ``mse`` (the primary metric) and ``accuracy``, the fraction of trials whose
  mean output over the plateau lies within ``slope``·``tolerance_ms`` of the target (the
  remembered duration is right to within ``tolerance_ms``).
- **pulse**: ``onset ≤ t < onset + d`` (exactly d ms; the original's inclusive end gave
  d + 1 steps).
- **training set**: ``train_trials`` > 0 draws that many trials once, from a generator seeded
  by the run's data seed, and every batch picks trials from it without replacement (the
  original's 500); ``train_trials`` = 0 draws fresh trials for every batch.

Training defaults (through the engine's task defaults): the ``system-a`` network preset with
N = 500, α = dt/``tau``, W_in and W_out trained; BPTT with Adam, lr 1e-3, batches of 32 and
750 updates (the original's 50 epochs of 15 batches), validated once per epoch on 100 fresh
trials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.tasks.base import Batch, Task, check_positive

#: The durations the original study evaluates precision on; 300 ms lies beyond the training range.
EVALUATION_DURATIONS_MS = (50.0, 150.0, 300.0)


@dataclass
class Duration(Task):
    """Convert a pulse's duration into a held output plateau (System A)."""

    dt: float = 1.0
    trial_ms: float = 7000.0
    onset_ms: float = 3000.0
    onset_jitter_ms: float = 1000.0
    duration_ms: float = 150.0
    duration_jitter_ms: float = 100.0
    report_ms: float = 4500.0
    amplitude: float = 2.0
    slope: float = 0.007
    no_cue: float = 0.1
    train_trials: int = 500
    tau: float = 100.0
    tolerance_ms: float = 10.0

    name: ClassVar[str] = "duration"
    default_rule: ClassVar[str | None] = "bptt"
    rule_defaults: ClassVar[dict[str, dict[str, Any]]] = {
        "bptt": {"lr": 1e-3, "batch_size": 32, "loss_reduction": "mean", "max_iters": 750}}
    default_stop: ClassVar[tuple[str, ...] | None] = ()
    primary_metric: ClassVar[str | None] = "mse"
    #: one held-out check per epoch of 15 updates, on 100 fresh trials (the original had none)
    training_defaults: ClassVar[dict[str, Any]] = {
        "validate_every": 15, "validation_trials": 100, "validate_from": 0.0}

    def __post_init__(self) -> None:
        self.check()
        self._fixed: dict[int, Batch] = {}

    def check(self) -> None:
        check_positive(dt=self.dt, trial_ms=self.trial_ms, duration_ms=self.duration_ms,
                       tau=self.tau, tolerance_ms=self.tolerance_ms)
        if self.onset_jitter_ms < 0 or self.duration_jitter_ms < 0:
            raise ConfigError("onset_jitter_ms and duration_jitter_ms must be non-negative")
        for key in ("trial_ms", "onset_ms", "onset_jitter_ms", "duration_ms",
                    "duration_jitter_ms", "report_ms"):
            if abs(getattr(self, key) / self.dt - round(getattr(self, key) / self.dt)) > 1e-9:
                raise ConfigError(f"{key} ({getattr(self, key)} ms) is not a multiple of dt "
                                  f"({self.dt} ms)")
        if self.duration_ms - self.duration_jitter_ms < self.dt:
            raise ConfigError("the shortest pulse (duration_ms − duration_jitter_ms) must last "
                              "at least one step")
        if self.onset_ms - self.onset_jitter_ms < 0:
            raise ConfigError("the earliest onset (onset_ms − onset_jitter_ms) is before 0")
        latest_end = self.onset_ms + self.onset_jitter_ms + self.duration_ms + self.duration_jitter_ms
        if latest_end - 2 * self.dt > self.report_ms:
            raise ConfigError(f"a pulse can end after report_ms ({self.report_ms} ms); the "
                              f"latest end is {latest_end - 2 * self.dt:g} ms")
        if not self.report_ms < self.trial_ms:
            raise ConfigError("report_ms must lie inside the trial")
        if not 0 <= self.no_cue < 1:
            raise ConfigError("no_cue (the fraction of trials without a pulse) must lie in [0, 1)")
        if self.train_trials < 0:
            raise ConfigError("train_trials must be ≥ 0 (0: fresh trials for every batch)")
        if self.slope < 0 or self.amplitude == 0:
            raise ConfigError("slope must be non-negative and amplitude non-zero")

    @property
    def network_defaults(self) -> dict[str, Any]:  # type: ignore[override]
        """The ``system-a`` preset, N = 500, α = dt/τ, I (W_in) and w (W_out) trained."""
        return {"preset": "system-a", "n_rec": 500, "alpha": self.dt / self.tau,
                "trainable": ("W_in", "W_out")}

    @property
    def n_in(self) -> int:
        return 1

    @property
    def n_out(self) -> int:
        return 1

    @property
    def n_steps(self) -> int:
        return self._steps(self.trial_ms)

    def _steps(self, ms: float | Tensor) -> Any:
        if isinstance(ms, Tensor):
            return torch.round(ms / self.dt).long()
        return int(round(ms / self.dt))

    def loss(self, outputs: Tensor, batch: Batch, reduction: str = "mean") -> Tensor:
        """Each trial's mean squared error over its scored steps, averaged (``mean``) or
        added (``sum``) over trials: outputs (…, B, T, n_out) → (…)."""
        mask = batch.mask.to(outputs.device)
        per_trial = ((mask * (outputs - batch.targets.to(outputs.device)) ** 2).sum(dim=(-1, -2))
                     / mask.sum(dim=(-1, -2)).clamp(min=1))
        return per_trial.sum(-1) if reduction == "sum" else per_trial.mean(-1)

    def correct(self, outputs: Tensor, batch: Batch) -> Tensor:
        """Whether the mean output over the plateau lies within slope·tolerance_ms of the
        target: outputs (…, B, T, n_out) → (…, B)."""
        report = self._steps(self.report_ms)
        plateau = outputs[..., report:, 0].mean(-1)
        target = batch.targets[:, -1, 0].to(outputs.device)
        return (plateau - target).abs() <= self.slope * self.tolerance_ms + 1e-9

    # trials --------------------------------------------------------------------------------
    def trials(self, onsets_ms: Tensor, durations_ms: Tensor, n_steps: int | None = None) -> Batch:
        """Trials with the given onsets and durations (ms, (B,)); a duration of 0 is a no-cue
        trial. Durations beyond the training range are allowed (extrapolation)."""
        t = self.n_steps if n_steps is None else n_steps
        onset = self._steps(onsets_ms.double())[:, None]
        length = self._steps(durations_ms.double())[:, None]
        cued = length > 0
        time = torch.arange(t)[None, :]
        inputs = self.amplitude * ((time >= onset) & (time < onset + length) & cued).float()
        report = self._steps(self.report_ms)
        plateau = self.slope * self._steps(durations_ms.double()).double() * self.dt
        targets = (plateau[:, None] * (time >= report)).float()
        scored = ~cued | (time < onset) | (time >= report)
        mask = scored.float()
        conditions = {"onset_ms": onsets_ms.float(), "duration_ms": durations_ms.float(),
                      "cued": cued[:, 0]}
        return Batch(inputs[..., None], targets[..., None], mask[..., None], conditions)

    def draw(self, batch_size: int, generator: torch.Generator) -> Batch:
        """``batch_size`` trials with random onsets, durations and no-cue trials."""
        o_lo = self._steps(self.onset_ms - self.onset_jitter_ms)
        o_hi = self._steps(self.onset_ms + self.onset_jitter_ms)
        d_lo = self._steps(self.duration_ms - self.duration_jitter_ms)
        d_hi = self._steps(self.duration_ms + self.duration_jitter_ms)
        onset = torch.randint(o_lo, max(o_hi, o_lo + 1), (batch_size,), generator=generator)
        length = torch.randint(d_lo, max(d_hi, d_lo + 1), (batch_size,), generator=generator)
        cue = torch.rand(batch_size, generator=generator) >= self.no_cue
        return self.trials(onset.double() * self.dt, (length * cue).double() * self.dt)

    def training_set(self, seed: int) -> Batch:
        """The fixed training set of ``train_trials`` trials drawn from ``seed``."""
        if seed not in self._fixed:
            self._fixed[seed] = self.draw(self.train_trials, torch.Generator().manual_seed(seed))
        return self._fixed[seed]

    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        """Trials from the fixed training set (drawn from the generator's seed), without
        replacement within a batch; fresh trials when ``train_trials`` is 0."""
        if self.train_trials == 0:
            return self.draw(batch_size, generator)
        if batch_size > self.train_trials:
            raise ConfigError(f"batches of {batch_size} exceed the {self.train_trials} training "
                              "trials (--task-opt train_trials=…)")
        fixed = self.training_set(generator.initial_seed())
        return fixed.subset(torch.randperm(self.train_trials, generator=generator)[:batch_size])

    def validation_batch(self, generator: torch.Generator, size: int = 2000) -> Batch:
        return self.draw(size, generator)

    def precision_trials(self, duration_ms: float, trials: int,
                         generator: torch.Generator) -> Batch:
        """``trials`` cued trials of one duration with onsets drawn as in training."""
        o_lo = self._steps(self.onset_ms - self.onset_jitter_ms)
        o_hi = self._steps(self.onset_ms + self.onset_jitter_ms)
        onset = torch.randint(o_lo, max(o_hi, o_lo + 1), (trials,), generator=generator)
        return self.trials(onset.double() * self.dt, torch.full((trials,), float(duration_ms)))

    def extrapolates(self, duration_ms: float) -> bool:
        """Whether a duration lies outside the training range [d_min, d_max)."""
        lo = self.duration_ms - self.duration_jitter_ms
        hi = self.duration_ms + self.duration_jitter_ms
        return not lo <= duration_ms < max(hi, lo + self.dt)
