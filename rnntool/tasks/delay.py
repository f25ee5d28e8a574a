"""Delayed-response tasks of the multitask delay networks (slibkind/multitask-networks, 2023).

Channels: inputs (fixation, stimulus 1, stimulus 2), outputs (fixation, response 1,
response 2). The fixation input and the fixation target are 1 until the go period and 0
during it; the network answers in the go period, whose first ``grace`` fraction is not
scored. Every period of every task has its own duration, fixed or drawn per trial
(``durations``: ``var``, the original's per-period ranges; ``fixed``, 1000 ms each; or
``PERIOD=MS`` / ``PERIOD=LOW-HIGH`` items). Input smoothing (a moving average over up to
``smoothing`` steps, the original's augmentation) is on by default.

Differences from the original: per-period durations for every task (the original's DMS,
anti-DMS and continuous tasks used one shared duration), the fixation input is off during
go in the continuous tasks, and every task has a correct-response rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.tasks.angle_conditions import AngleConditions
from rnntool.tasks.base import Batch
from rnntool.tasks.period_task import PeriodTask, one_hot
from rnntool.tasks.periods import Period, Timeline, TrialStructure, parse_durations
from rnntool.tasks.suite_defaults import (MULTITASK_BPTT, MULTITASK_NETWORK, MULTITASK_STOP,
                                          MULTITASK_VALIDATION)

FOUR = ("fix", "stim", "delay", "go")
SIX = ("fix", "stim1", "delay1", "stim2", "delay2", "go")
#: the original's per-period ranges in ms (delaygo_delayanti_var_durations), and 50 steps each
PRESETS_FOUR = {"var": ((300, 700), (200, 1600), (200, 1600), (300, 700)),
                "fixed": (1000, 1000, 1000, 1000)}
PRESETS_SIX = {"var": ((300, 700), (200, 1600), (200, 1600), (200, 1600), (200, 1600), (300, 700)),
               "fixed": (1000,) * 6}


@dataclass
class DelayTask(PeriodTask):
    """Shared machinery: timing, fixation, grace period, smoothing, the response rule."""

    dt: float = 20.0
    durations: str = "var"
    grace: float = 0.1
    smoothing: int = 20
    threshold: float = 0.5

    input_names: ClassVar[tuple[str, ...]] = ("fixation", "stimulus 1", "stimulus 2")
    output_names: ClassVar[tuple[str, ...]] = ("fixation", "response 1", "response 2")
    response_period: ClassVar[str] = "go"
    period_names: ClassVar[tuple[str, ...]] = FOUR
    presets: ClassVar[dict] = PRESETS_FOUR
    network_defaults: ClassVar[dict[str, Any]] = MULTITASK_NETWORK
    default_rule: ClassVar[str | None] = "bptt"
    rule_defaults: ClassVar[dict[str, dict[str, Any]]] = {"bptt": MULTITASK_BPTT}
    default_stop: ClassVar[tuple[str, ...] | None] = MULTITASK_STOP
    primary_metric: ClassVar[str | None] = "mse"
    training_defaults: ClassVar[dict[str, Any]] = MULTITASK_VALIDATION

    def check(self) -> None:
        if not 0 <= self.grace < 1:
            raise ConfigError(f"grace must lie in [0, 1), got {self.grace}")
        if self.smoothing < 0:
            raise ConfigError(f"smoothing must be ≥ 0 steps, got {self.smoothing}")
        if not 0 < self.threshold < 1:
            raise ConfigError(f"threshold must lie in (0, 1), got {self.threshold}")
        super().check()

    def structure(self) -> TrialStructure:
        durations = parse_durations(self.durations, self.period_names, self.presets)
        return TrialStructure(tuple(Period(n, d) for n, d in zip(self.period_names, durations)),
                              float(self.dt))

    def loss_mask(self, timeline: Timeline) -> Tensor:
        return timeline.mask(self.n_out, grace={"go": self.grace})

    def smoothing_window(self) -> int:
        return self.smoothing

    def fixation(self, batch: int) -> Tensor:
        """1 in every period before go, 0 in go: (B, P)."""
        fix = torch.ones(batch, len(self.period_names))
        fix[:, -1] = 0.0
        return fix

    def fixated(self, outputs: Tensor, batch: Batch) -> Tensor:
        """No response output above threshold at any scored step before go, and the fixation
        output above threshold at the last step before go (…, B)."""
        timeline = self.timeline(batch)
        go = timeline.index("go")
        before = ((timeline.period < go) & (batch.mask[..., 0] > 0)).to(outputs.device)
        premature = ((outputs[..., 1:].max(-1).values > self.threshold) & before).any(-1)
        last = (timeline.onsets[:, go] - 1).to(outputs.device)
        held = outputs[..., 0].gather(-1, last.expand(*outputs.shape[:-3], -1)[..., None])[..., 0]
        return ~premature & (held > self.threshold)

    def chose(self, outputs: Tensor, batch: Batch, channel: Tensor) -> Tensor:
        """Fixated, released fixation in go, and response ``channel`` (1 or 2) won above
        threshold (mean over the scored go steps): (…, B)."""
        y = self.response(outputs, batch)
        target = y.gather(-1, channel.to(y.device).long().expand(*y.shape[:-1])[..., None])[..., 0]
        other = y.gather(-1, (3 - channel).to(y.device).long().expand(*y.shape[:-1])[..., None])[..., 0]
        return (self.fixated(outputs, batch) & (y[..., 0] < self.threshold)
                & (target > self.threshold) & (target > other))

    def withheld(self, outputs: Tensor, batch: Batch) -> Tensor:
        """Fixated, released fixation in go and gave no response above threshold: (…, B)."""
        y = self.response(outputs, batch)
        return (self.fixated(outputs, batch) & (y[..., 0] < self.threshold)
                & (y[..., 1:].max(-1).values < self.threshold))


@dataclass
class DelayGo(DelayTask):
    """Remember which of two stimuli appeared; report it when fixation goes off."""

    name: ClassVar[str] = "delaygo"
    anti: ClassVar[bool] = False

    def draw_conditions(self, batch: int, generator: torch.Generator) -> dict[str, Tensor]:
        return {"stimulus": torch.randint(1, 3, (batch,), generator=generator)}

    def all_conditions(self) -> dict[str, Tensor]:
        return {"stimulus": torch.tensor([1, 2])}

    def answer(self, conditions: dict[str, Tensor]) -> Tensor:
        s = conditions["stimulus"]
        return 3 - s if self.anti else s

    def period_values(self, conditions: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        s = conditions["stimulus"]
        b, p = s.shape[0], len(self.period_names)
        inputs = torch.zeros(b, p, 3)
        inputs[..., 0] = self.fixation(b)
        inputs[:, 1, 1:] = one_hot(s - 1, 2)
        targets = torch.zeros(b, p, 3)
        targets[..., 0] = self.fixation(b)
        targets[:, -1, 1:] = one_hot(self.answer(conditions) - 1, 2)
        return inputs, targets

    def correct(self, outputs: Tensor, batch: Batch) -> Tensor:
        return self.chose(outputs, batch, self.answer(batch.conditions))


@dataclass
class DelayAnti(DelayGo):
    """Remember which of two stimuli appeared; report the other one when fixation goes off."""

    name: ClassVar[str] = "delayanti"
    anti: ClassVar[bool] = True


@dataclass
class DelayMatch(DelayTask):
    """Delayed match to sample: respond with the second stimulus if it matches the first,
    withhold any response otherwise."""

    name: ClassVar[str] = "dms"
    period_names: ClassVar[tuple[str, ...]] = SIX
    presets: ClassVar[dict] = PRESETS_SIX
    anti: ClassVar[bool] = False

    def draw_conditions(self, batch: int, generator: torch.Generator) -> dict[str, Tensor]:
        return {"sample": torch.randint(1, 3, (batch,), generator=generator),
                "test": torch.randint(1, 3, (batch,), generator=generator)}

    def all_conditions(self) -> dict[str, Tensor]:
        return {"sample": torch.tensor([1, 1, 2, 2]), "test": torch.tensor([1, 2, 1, 2])}

    def respond(self, conditions: dict[str, Tensor]) -> Tensor:
        match = conditions["sample"] == conditions["test"]
        return match != self.anti

    def period_values(self, conditions: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        a, b_ = conditions["sample"], conditions["test"]
        b, p = a.shape[0], len(self.period_names)
        inputs = torch.zeros(b, p, 3)
        inputs[..., 0] = self.fixation(b)
        inputs[:, 1, 1:] = one_hot(a - 1, 2)
        inputs[:, 3, 1:] = one_hot(b_ - 1, 2)
        targets = torch.zeros(b, p, 3)
        targets[..., 0] = self.fixation(b)
        targets[:, -1, 1:] = one_hot(b_ - 1, 2) * self.respond(conditions)[:, None].float()
        return inputs, targets

    def correct(self, outputs: Tensor, batch: Batch) -> Tensor:
        respond = self.respond(batch.conditions).to(outputs.device)
        return torch.where(respond, self.chose(outputs, batch, batch.conditions["test"]),
                           self.withheld(outputs, batch))


@dataclass
class AntiDelayMatch(DelayMatch):
    """Anti-DMS: respond with the second stimulus if it differs from the first."""

    name: ClassVar[str] = "antidms"
    anti: ClassVar[bool] = True


@dataclass
class DelayGoContinuous(AngleConditions, DelayTask):
    """Remember one of ``angles`` directions, given as (sin θ, cos θ); report it (or its
    opposite, for the anti task) in go. Correct: the mean go output points within half the
    spacing of the directions from the answer, with norm above threshold."""

    angles: int = 8

    name: ClassVar[str] = "delaygo_continuous"
    input_names: ClassVar[tuple[str, ...]] = ("fixation", "sin θ", "cos θ")
    output_names: ClassVar[tuple[str, ...]] = ("fixation", "sin θ", "cos θ")
    anti: ClassVar[bool] = False

    def check(self) -> None:
        if self.angles < 2:
            raise ConfigError(f"angles must be ≥ 2, got {self.angles}")
        super().check()

    def period_values(self, conditions: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        theta = self.theta(conditions)
        answer = theta + math.pi if self.anti else theta
        b, p = theta.shape[0], len(self.period_names)
        inputs = torch.zeros(b, p, 3)
        inputs[..., 0] = self.fixation(b)
        inputs[:, 1, 1], inputs[:, 1, 2] = torch.sin(theta).float(), torch.cos(theta).float()
        targets = torch.zeros(b, p, 3)
        targets[..., 0] = self.fixation(b)
        targets[:, -1, 1], targets[:, -1, 2] = torch.sin(answer).float(), torch.cos(answer).float()
        return inputs, targets

    def correct(self, outputs: Tensor, batch: Batch) -> Tensor:
        y = self.response(outputs, batch)
        answer = self.theta(batch.conditions) + (math.pi if self.anti else 0.0)
        got = torch.atan2(y[..., 1].double(), y[..., 2].double())
        error = torch.remainder(got - answer.to(y.device) + math.pi, 2 * math.pi) - math.pi
        return (self.fixated(outputs, batch) & (y[..., 0] < self.threshold)
                & (error.abs() < math.pi / self.angles)
                & (y[..., 1:].norm(dim=-1) > self.threshold))


@dataclass
class DelayAntiContinuous(DelayGoContinuous):
    """Continuous delay-anti: report the direction opposite to the remembered one."""

    name: ClassVar[str] = "delayanti_continuous"
    anti: ClassVar[bool] = True
