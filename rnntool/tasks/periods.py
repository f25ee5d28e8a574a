"""Trials made of named periods (fixation, stimulus, delay, go…), built without Python loops.

A task declares its periods with durations in ms, fixed or drawn per trial from an inclusive
range on the ``dt`` grid, and gives one constant input and target vector per (trial, period).
:class:`Timeline` lays the periods out on the step grid of every trial at once: trials of
different lengths share one array of ``n_steps`` (the longest possible trial) and the steps
after a trial's end are padding, with input 0, target 0 and loss mask 0. Loss masks leave out
a grace period at the start of a period (a fraction of it, as in the multitask delay
networks) and explicit ignore windows in ms (as in the engellab pipeline).

Optional input smoothing replaces every input channel by its centred moving average over a
window of w steps, w drawn per trial from U{1, …, w_max} (the multitask delay networks drew
one w per batch from [1, 20]); targets are never smoothed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import torch
from torch import Tensor

from rnntool.errors import ConfigError

Duration = float | tuple[float, float]


@dataclass(frozen=True)
class Period:
    """A named period lasting ``duration`` ms, or a duration drawn from [low, high] ms."""

    name: str
    duration: Duration

    def bounds(self) -> tuple[float, float]:
        d = self.duration
        return (float(d[0]), float(d[1])) if isinstance(d, tuple) else (float(d), float(d))


def to_steps(ms: float, dt: float, what: str) -> int:
    """``ms`` on the grid of ``dt``; a duration that is not a multiple of dt is an error."""
    steps = ms / dt
    if abs(steps - round(steps)) > 1e-6:
        raise ConfigError(f"{what} = {ms:g} ms is not a multiple of dt = {dt:g} ms")
    return int(round(steps))


def parse_durations(text: str, names: Sequence[str], presets: Mapping[str, Sequence[Duration]]
                    ) -> tuple[Duration, ...]:
    """Durations from a preset name or ``name=MS`` / ``name=LOW-HIGH`` items separated by commas.

    Periods an explicit list leaves out keep the first preset's duration.
    """
    if text in presets:
        return tuple(presets[text])
    base = dict(zip(names, next(iter(presets.values()))))
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in base:
            raise ConfigError(f"durations: expected one of {', '.join(presets)} or items "
                              f"PERIOD=MS or PERIOD=LOW-HIGH with PERIOD in {', '.join(names)}; "
                              f"got {item!r}")
        low, dash, high = value.strip().partition("-")
        try:
            base[key] = (float(low), float(high)) if dash else float(low)
        except ValueError:
            raise ConfigError(f"durations: {item!r} is not PERIOD=MS or PERIOD=LOW-HIGH") from None
    return tuple(base[n] for n in names)


@dataclass(frozen=True)
class TrialStructure:
    """The periods of a task on a grid of ``dt`` ms."""

    periods: tuple[Period, ...]
    dt: float

    def __post_init__(self) -> None:
        if not self.dt > 0:
            raise ConfigError(f"dt must be positive, got {self.dt}")
        names = [p.name for p in self.periods]
        if len(set(names)) != len(names):
            raise ConfigError(f"period names must be distinct: {names}")
        for p in self.periods:
            low, high = p.bounds()
            if low < 0 or high < low:
                raise ConfigError(f"period {p.name!r}: duration range {low:g}-{high:g} ms is empty "
                                  "or negative")
        self.step_bounds()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.periods)

    def step_bounds(self) -> Tensor:
        """Shortest and longest duration of every period in steps, (P, 2)."""
        return torch.tensor([[to_steps(b, self.dt, f"duration of {p.name!r}") for b in p.bounds()]
                             for p in self.periods], dtype=torch.long)

    @property
    def n_steps(self) -> int:
        """Steps of the longest possible trial."""
        return int(self.step_bounds()[:, 1].sum())

    def draw(self, batch: int, generator: torch.Generator) -> Tensor:
        """Durations in steps (B, P), each uniform on its inclusive range."""
        bounds = self.step_bounds()
        span = (bounds[:, 1] - bounds[:, 0] + 1).double()
        u = torch.rand((batch, len(self.periods)), generator=generator, dtype=torch.float64)
        return bounds[:, 0] + torch.floor(u * span).long()

    def timeline(self, durations: Tensor) -> "Timeline":
        return Timeline(durations, self.names, self.n_steps)


class Timeline:
    """Periods laid out on the steps of B trials: durations (B, P) in steps, padded to n_steps."""

    def __init__(self, durations: Tensor, names: Sequence[str], n_steps: int) -> None:
        self.durations = durations.long()
        self.names = tuple(names)
        self.n_steps = int(n_steps)
        ends = self.durations.cumsum(1)
        self.onsets = ends - self.durations
        self.lengths = ends[:, -1]
        if int(self.lengths.max()) > self.n_steps:
            raise ConfigError("trial longer than the task's n_steps")
        t = torch.arange(self.n_steps)
        #: period index of every step (B, T); P on padding after the trial's end
        self.period = (t[None, None, :] >= ends[:, :, None]).sum(1)
        onset = torch.cat([self.onsets, self.lengths[:, None]], 1).gather(1, self.period)
        #: steps since the onset of the current period (B, T)
        self.elapsed = t[None, :] - onset

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise ConfigError(f"no period {name!r} (periods: {', '.join(self.names)})") from None

    @property
    def active(self) -> Tensor:
        """Steps inside the trial (B, T)."""
        return self.period < len(self.names)

    def during(self, *names: str) -> Tensor:
        """Steps inside any of the named periods (B, T)."""
        out = torch.zeros_like(self.active)
        for name in names:
            out |= self.period == self.index(name)
        return out

    def fill(self, values: Tensor) -> Tensor:
        """Per-period values (B, P, C) spread over the steps (B, T, C); zeros on padding."""
        padded = torch.cat([values, values.new_zeros(values.shape[0], 1, values.shape[2])], 1)
        return padded.gather(1, self.period[..., None].expand(-1, -1, values.shape[2]))

    def mask(self, n_out: int, scored: Sequence[str] | None = None,
             grace: Mapping[str, float] | None = None,
             ignore: Sequence[tuple[str, float, float]] = (), dt: float = 1.0) -> Tensor:
        """Loss mask (B, T, n_out): 1 inside the ``scored`` periods (all by default), except

        - the first ⌈f·d⌉ steps of a period of d steps, for ``grace = {period: f}``;
        - steps from ``start`` to ``stop`` ms after a period's onset, for each
          ``(period, start, stop)`` in ``ignore``.
        """
        keep = self.during(*scored) if scored is not None else self.active.clone()
        for name, fraction in (grace or {}).items():
            if not 0 <= fraction < 1:
                raise ConfigError(f"grace fraction of {name!r} must lie in [0, 1), got {fraction}")
            k = self.index(name)
            cut = torch.ceil(fraction * self.durations[:, k].double()).long()
            keep &= ~((self.period == k) & (self.elapsed < cut[:, None]))
        for name, start, stop in ignore:
            k = self.index(name)
            a, b = to_steps(start, dt, "ignore start"), to_steps(stop, dt, "ignore stop")
            keep &= ~((self.period == k) & (self.elapsed >= a) & (self.elapsed < b))
        return keep[..., None].expand(-1, -1, n_out).float()

    def records(self) -> dict[str, Tensor]:
        """Per-trial timing records: durations and onsets of every period (B, P), length (B,)."""
        return {"durations": self.durations, "onsets": self.onsets, "length": self.lengths}


def smooth_inputs(inputs: Tensor, max_window: int, generator: torch.Generator) -> Tensor:
    """Centred moving average of every channel over w ∈ U{1, …, max_window} steps per trial.

    Zero padding at both ends (a step edge becomes a ramp of w steps); ``max_window ≤ 1`` is
    the identity. inputs (B, T, C) → (B, T, C).
    """
    if max_window <= 1:
        return inputs
    b, t, _ = inputs.shape
    w = torch.randint(1, max_window + 1, (b,), generator=generator)
    left, right = (w - 1) // 2, w // 2
    pad = max_window
    cs = torch.nn.functional.pad(inputs, (0, 0, pad + 1, pad)).cumsum(1)
    steps = torch.arange(t)[None, :] + pad + 1
    hi = (steps + right[:, None])[..., None].expand(-1, -1, inputs.shape[2])
    lo = (steps - left[:, None] - 1)[..., None].expand(-1, -1, inputs.shape[2])
    return (cs.gather(1, hi) - cs.gather(1, lo)) / w[:, None, None].to(inputs.dtype)


def ceil_steps(ms: float, dt: float) -> int:
    """Whole steps covering ``ms``."""
    return int(math.ceil(ms / dt - 1e-9))
