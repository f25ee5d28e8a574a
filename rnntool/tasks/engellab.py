"""Tasks of the engellab RNN training pipeline (Engel lab, 2023): CDDM, DMTS and two memory tasks.

Timing is in steps (``dt = 1``; the pipeline's networks have τ = 10 steps). Differences from
the original, all deliberate: every random draw (conditions, stimulus onsets) comes from the
seeded generator; a batch is a random draw of conditions, and the validation set is a
separate, seeded draw (every condition equally often, with its own timing and network
noise), never the training batch; every trial of a memory task has its own onset (the
original repeated identical copies); zero-coherence CDDM trials have no correct answer and
are not scored (the original labelled them "left"); every task has a correct-response rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.tasks.angle_conditions import AngleConditions
from rnntool.tasks.base import Batch, check_positive
from rnntool.tasks.period_task import PeriodTask, one_hot
from rnntool.tasks.periods import Period, Timeline, TrialStructure, parse_durations, to_steps
from rnntool.tasks.suite_defaults import ENGELLAB, ENGELLAB_STOP, ENGELLAB_VALIDATION


class EngellabDefaults:
    """The engellab pipeline's network and training for the task named ``name``."""

    name: ClassVar[str]
    default_rule: ClassVar[str | None] = "bptt"
    default_stop: ClassVar[tuple[str, ...] | None] = ENGELLAB_STOP
    primary_metric: ClassVar[str | None] = "mse"
    training_defaults: ClassVar[dict[str, Any]] = ENGELLAB_VALIDATION

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name") in ENGELLAB:
            network, training = ENGELLAB[cls.name]
            cls.network_defaults = network
            cls.rule_defaults = {"bptt": training}


def coherence_levels(maximum: float, levels: int) -> Tensor:
    """0 and ±maximum·2^−k for k = 0 … levels − 1, ascending (13 values for 6 levels)."""
    half = maximum * 2.0 ** -torch.arange(levels, dtype=torch.float64)
    return torch.cat([-half, torch.zeros(1), half.flip(0)]).float()


@dataclass
class CDDM(EngellabDefaults, PeriodTask):
    """Context-dependent decision making (Mante et al. 2013): report the sign of the cued
    modality's coherence (motion or colour) and ignore the other one.

    Periods: context (cue only), stimulus (both modalities on, not scored), decision
    (stimuli stay on; target "right" = (1, 0) or "left" = (0, 1), both 0 at zero coherence).
    """

    dt: float = 1.0
    durations: str = "seed"
    coherence_max: float = 0.8
    levels: int = 6

    name: ClassVar[str] = "cddm"
    input_names: ClassVar[tuple[str, ...]] = ("motion context", "colour context", "motion right",
                                              "motion left", "colour right", "colour left")
    output_names: ClassVar[tuple[str, ...]] = ("right", "left")
    response_period: ClassVar[str] = "decision"
    period_names: ClassVar[tuple[str, ...]] = ("context", "stimulus", "decision")

    def check(self) -> None:
        check_positive(coherence_max=self.coherence_max, levels=self.levels)
        super().check()

    def structure(self) -> TrialStructure:
        durations = parse_durations(self.durations, self.period_names, {"seed": (200, 200, 200)})
        return TrialStructure(tuple(Period(n, d) for n, d in zip(self.period_names, durations)),
                              float(self.dt))

    @property
    def coherences(self) -> Tensor:
        return coherence_levels(self.coherence_max, self.levels)

    def draw_conditions(self, batch: int, generator: torch.Generator) -> dict[str, Tensor]:
        grid = self.coherences
        return {"context": torch.randint(2, (batch,), generator=generator),
                "motion": grid[torch.randint(len(grid), (batch,), generator=generator)],
                "colour": grid[torch.randint(len(grid), (batch,), generator=generator)]}

    def all_conditions(self) -> dict[str, Tensor]:
        """Context × motion × colour coherence (2 × 13 × 13 = 338), context slowest."""
        grid = self.coherences
        n = len(grid)
        ctx, motion, colour = torch.meshgrid(torch.arange(2), torch.arange(n), torch.arange(n),
                                             indexing="ij")
        return {"context": ctx.reshape(-1), "motion": grid[motion.reshape(-1)],
                "colour": grid[colour.reshape(-1)]}

    def relevant(self, conditions: dict[str, Tensor]) -> Tensor:
        """The cued modality's coherence (B,)."""
        return torch.where(conditions["context"] == 0, conditions["motion"], conditions["colour"])

    def period_values(self, conditions: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        ctx = conditions["context"]
        b = ctx.shape[0]
        inputs = torch.zeros(b, 3, 6)
        inputs[..., :2] = one_hot(ctx, 2)[:, None, :]
        right_m, right_c = (1 + conditions["motion"]) / 2, (1 + conditions["colour"]) / 2
        stimulus = torch.stack([right_m, 1 - right_m, right_c, 1 - right_c], -1)
        inputs[:, 1:, 2:] = stimulus[:, None, :]
        rel = self.relevant(conditions)
        targets = torch.zeros(b, 3, 2)
        targets[:, 2, 0], targets[:, 2, 1] = (rel > 0).float(), (rel < 0).float()
        return inputs, targets

    def loss_mask(self, timeline: Timeline) -> Tensor:
        return timeline.mask(self.n_out, scored=("context", "decision"))

    def choice(self, outputs: Tensor, batch: Batch) -> Tensor:
        """+1 (right) or −1 (left): sign of right − left over the decision period (…, B)."""
        y = self.response(outputs, batch)
        return torch.where(y[..., 0] > y[..., 1], 1, -1)

    def correct(self, outputs: Tensor, batch: Batch) -> Tensor:
        return self.choice(outputs, batch) == torch.sign(self.relevant(batch.conditions)).to(outputs.device)

    def scored(self, batch: Batch) -> Tensor:
        """Zero-coherence trials of the cued modality have no right answer."""
        return self.relevant(batch.conditions) != 0


@dataclass
class DMTS(EngellabDefaults, PeriodTask):
    """Delayed match to sample: after sample, delay and test stimuli, answer "match" (output
    0) or "non-match" (output 1). The test period is not scored (as in the original)."""

    dt: float = 1.0
    durations: str = "seed"

    name: ClassVar[str] = "dmts"
    #: DMTS learns in steps, with plateaus of several hundred iterations between them (the
    #: match/non-match readout appears late): wait 100 checks (1000 iterations), not 20,
    #: so training does not stop on a plateau it would have left
    default_stop: ClassVar[tuple[str, ...] | None] = ("val_mse plateau 100 1e-4",)
    input_names: ClassVar[tuple[str, ...]] = ("stimulus 1", "stimulus 2")
    output_names: ClassVar[tuple[str, ...]] = ("match", "non-match")
    response_period: ClassVar[str] = "decision"
    period_names: ClassVar[tuple[str, ...]] = ("fix", "sample", "delay", "test", "decision")

    def structure(self) -> TrialStructure:
        durations = parse_durations(self.durations, self.period_names,
                                    {"seed": (15, 30, 15, 30, 30)})
        return TrialStructure(tuple(Period(n, d) for n, d in zip(self.period_names, durations)),
                              float(self.dt))

    def draw_conditions(self, batch: int, generator: torch.Generator) -> dict[str, Tensor]:
        return {"sample": torch.randint(2, (batch,), generator=generator),
                "test": torch.randint(2, (batch,), generator=generator)}

    def all_conditions(self) -> dict[str, Tensor]:
        return {"sample": torch.tensor([0, 0, 1, 1]), "test": torch.tensor([0, 1, 0, 1])}

    def period_values(self, conditions: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        sample, test = conditions["sample"], conditions["test"]
        b = sample.shape[0]
        inputs = torch.zeros(b, 5, 2)
        inputs[:, 1] = one_hot(sample, 2)
        inputs[:, 3] = one_hot(test, 2)
        targets = torch.zeros(b, 5, 2)
        targets[:, 4] = one_hot((sample != test).long(), 2)
        return inputs, targets

    def loss_mask(self, timeline: Timeline) -> Tensor:
        return timeline.mask(self.n_out, scored=("fix", "sample", "delay", "decision"))

    def correct(self, outputs: Tensor, batch: Batch) -> Tensor:
        y = self.response(outputs, batch)
        match = batch.conditions["sample"] == batch.conditions["test"]
        return (y[..., 0] > y[..., 1]) == match.to(outputs.device)


@dataclass
class MemoryTask(EngellabDefaults, PeriodTask):
    """A value shown for ``stimulus`` steps at a random onset in the memory period, to be
    reported (transformed) when the recall cue comes on; the first ``grace`` steps of recall
    are not scored."""

    dt: float = 1.0
    memory: float = 160.0
    stimulus: float = 10.0
    latest_onset: float = 139.0
    recall: float = 160.0
    grace: float = 20.0

    response_period: ClassVar[str] = "recall"
    period_names: ClassVar[tuple[str, ...]] = ("wait", "stimulus", "delay", "recall")

    def check(self) -> None:
        check_positive(dt=self.dt, stimulus=self.stimulus, recall=self.recall)
        if not 0 <= self.latest_onset <= self.memory - self.stimulus:
            raise ConfigError("latest_onset must lie in [0, memory − stimulus]")
        if not 0 <= self.grace < self.recall:
            raise ConfigError("grace must lie in [0, recall)")
        super().check()

    def structure(self) -> TrialStructure:
        rest = self.memory - self.stimulus
        return TrialStructure((Period("wait", (0.0, self.latest_onset)), Period("stimulus", self.stimulus),
                               Period("delay", (rest - self.latest_onset, rest)),
                               Period("recall", self.recall)), float(self.dt))

    @property
    def n_steps(self) -> int:
        return to_steps(self.memory + self.recall, self.dt, "memory + recall")

    def draw_durations(self, conditions: dict[str, Tensor], generator: torch.Generator) -> Tensor:
        """Onset ~ U{0, …, latest_onset} per trial; the delay fills the memory period."""
        b = len(next(iter(conditions.values())))
        dt = self.dt
        latest = to_steps(self.latest_onset, dt, "latest_onset")
        onset = torch.randint(latest + 1, (b,), generator=generator)
        fixed = torch.tensor([to_steps(self.stimulus, dt, "stimulus"), to_steps(self.recall, dt, "recall")])
        delay = to_steps(self.memory - self.stimulus, dt, "memory − stimulus") - onset
        return torch.stack([onset, fixed[0].expand(b), delay, fixed[1].expand(b)], 1)

    def loss_mask(self, timeline: Timeline) -> Tensor:
        return timeline.mask(self.n_out, ignore=[("recall", 0.0, self.grace)], dt=self.dt)


@dataclass
class MemoryAntiNumber(MemoryTask):
    """Remember a number x ∈ linspace(−value_max, value_max, values); report −x at recall.
    Correct: the mean recall output lies within ``tolerance`` of −x (default: half the
    spacing of the values, so the answer names the right one)."""

    values: int = 32
    value_max: float = 2.0
    tolerance: float = 0.0

    name: ClassVar[str] = "memory_anti_number"
    input_names: ClassVar[tuple[str, ...]] = ("stimulus", "recall cue")
    output_names: ClassVar[tuple[str, ...]] = ("answer",)

    def check(self) -> None:
        if self.values < 2:
            raise ConfigError(f"values must be ≥ 2, got {self.values}")
        check_positive(value_max=self.value_max)
        if self.tolerance < 0:
            raise ConfigError(f"tolerance must be ≥ 0, got {self.tolerance}")
        super().check()

    @property
    def numbers(self) -> Tensor:
        return torch.linspace(-self.value_max, self.value_max, self.values)

    def draw_conditions(self, batch: int, generator: torch.Generator) -> dict[str, Tensor]:
        return {"value": self.numbers[torch.randint(self.values, (batch,), generator=generator)]}

    def all_conditions(self) -> dict[str, Tensor]:
        return {"value": self.numbers}

    def period_values(self, conditions: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        x = conditions["value"]
        inputs = torch.zeros(x.shape[0], 4, 2)
        inputs[:, 1, 0] = x
        inputs[:, 3, 1] = 1.0
        targets = torch.zeros(x.shape[0], 4, 1)
        targets[:, 3, 0] = -x
        return inputs, targets

    def correct(self, outputs: Tensor, batch: Batch) -> Tensor:
        tol = self.tolerance or self.value_max / (self.values - 1)
        y = self.response(outputs, batch)[..., 0]
        return (y + batch.conditions["value"].to(outputs.device)).abs() < tol


@dataclass
class MemoryAntiAngle(AngleConditions, MemoryTask):
    """Remember a direction θ ∈ {2πk/angles}, shown as (r cos θ, r sin θ); report the
    opposite direction at recall. Correct: the mean recall output points within
    ``tolerance_deg`` of θ + π (default half the spacing) with norm above r/2."""

    angles: int = 36
    radius: float = 2.0
    tolerance_deg: float = 0.0

    name: ClassVar[str] = "memory_anti_angle"
    input_names: ClassVar[tuple[str, ...]] = ("r cos θ", "r sin θ", "recall cue")
    output_names: ClassVar[tuple[str, ...]] = ("r cos θ", "r sin θ")

    def check(self) -> None:
        if self.angles < 2:
            raise ConfigError(f"angles must be ≥ 2, got {self.angles}")
        check_positive(radius=self.radius)
        if self.tolerance_deg < 0:
            raise ConfigError(f"tolerance_deg must be ≥ 0, got {self.tolerance_deg}")
        super().check()

    def period_values(self, conditions: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        theta = self.theta(conditions)
        b, r = theta.shape[0], self.radius
        inputs = torch.zeros(b, 4, 3)
        inputs[:, 1, 0], inputs[:, 1, 1] = (r * torch.cos(theta)).float(), (r * torch.sin(theta)).float()
        inputs[:, 3, 2] = 1.0
        targets = torch.zeros(b, 4, 2)
        targets[:, 3, 0] = (r * torch.cos(theta + math.pi)).float()
        targets[:, 3, 1] = (r * torch.sin(theta + math.pi)).float()
        return inputs, targets

    def correct(self, outputs: Tensor, batch: Batch) -> Tensor:
        tol = math.radians(self.tolerance_deg) if self.tolerance_deg else math.pi / self.angles
        y = self.response(outputs, batch).double()
        answer = self.theta(batch.conditions).to(y.device) + math.pi
        error = torch.remainder(torch.atan2(y[..., 1], y[..., 0]) - answer + math.pi, 2 * math.pi) - math.pi
        return (error.abs() < tol) & (y.norm(dim=-1) > self.radius / 2)
