"""The N-bit flip-flop (memory) task of the engellab pipeline, for tanh networks.

Each of ``bits`` channels receives ±1 pulses lasting ``pulse_steps`` steps at random onsets;
successive onsets on a channel are ``refractory`` + ⌊Exp(steps / mean_pulses)⌋ steps apart.
The target of a channel is the sign of its most recent pulse from that pulse's onset on, and
0 before its first pulse; the loss covers the whole trial. A trained network holds 2^bits
stable states (the corners of a cube in output space) joined by saddles.

Recommended training command (tanh rates read out, every weight trained)::

    rnntool train flipflop_1 --task flipflop --bits 3 --rule bptt --n-rec 64 \\
        --opt lr=1e-2 --opt batch_size=64

The task's defaults make BPTT (for names without a rule prefix), lr 1e-2, batches of 64,
the masked mean squared error (per output element, as ``val_mse``) as the loss and
``--preset ctrnn`` with W_in, W_rec, b and W_out trained the defaults for this task.
``variant=engellab`` trains instead with the engellab pipeline's configuration for this
task (a 50-unit tanh rate network, spectral radius 1.2, noise 0.03, Adam lr 0.02 with
weight decay, orthogonality and rate penalties, 1000 iterations); the trials are the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.tasks.base import Batch, Task, check_positive
from rnntool.tasks.static_inputs import constant_inputs
from rnntool.tasks.suite_defaults import ENGELLAB, ENGELLAB_STOP, ENGELLAB_VALIDATION

VARIANTS = ("standard", "engellab")


@dataclass
class FlipFlop(Task):
    """N-bit flip-flop: remember the sign of the last pulse on every channel."""

    bits: int = 3
    steps: int = 200
    pulse_steps: int = 10
    refractory: int = 10
    mean_pulses: float = 6.0
    accuracy_fraction: float = 0.9
    variant: str = "standard"

    name: ClassVar[str] = "flipflop"
    network_defaults: ClassVar[dict[str, Any]] = {
        "preset": "ctrnn", "trainable": ("W_in", "W_rec", "b", "W_out")}
    default_rule: ClassVar[str | None] = "bptt"
    rule_defaults: ClassVar[dict[str, dict[str, Any]]] = {
        "bptt": {"lr": 1e-2, "batch_size": 64, "loss": "mse", "loss_reduction": "mean"}}

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        check_positive(bits=self.bits, steps=self.steps, pulse_steps=self.pulse_steps,
                       mean_pulses=self.mean_pulses)
        if self.refractory < self.pulse_steps:
            raise ConfigError("refractory must be at least pulse_steps (pulses must not overlap)")
        if not 0 < self.accuracy_fraction <= 1:
            raise ConfigError("accuracy_fraction must lie in (0, 1]")
        if self.variant not in VARIANTS:
            raise ConfigError(f"variant must be one of {', '.join(VARIANTS)}, got {self.variant!r}")
        if self.variant == "engellab":
            network, training = ENGELLAB["flipflop"]
            self.network_defaults, self.rule_defaults = network, {"bptt": training}
            self.default_stop, self.primary_metric = ENGELLAB_STOP, "mse"
            self.training_defaults = ENGELLAB_VALIDATION

    @property
    def n_in(self) -> int:
        return self.bits

    @property
    def n_out(self) -> int:
        return self.bits

    @property
    def n_steps(self) -> int:
        return self.steps

    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        b, c, t = batch_size, self.bits, self.steps
        most = t // self.refractory + 1
        rate = torch.full((b, c, most), self.mean_pulses / t)
        gaps = self.refractory + torch.floor(
            -torch.log1p(-torch.rand((b, c, most), generator=generator)) / rate)
        onsets = gaps.cumsum(-1).long()
        signs = torch.randint(0, 2, (b, c, most), generator=generator).float() * 2 - 1
        valid = onsets < t
        events = torch.zeros((b, c, t + 1))
        events.scatter_(2, torch.where(valid, onsets, t), torch.where(valid, signs, 0.0))
        events = events[..., :t]
        time = torch.arange(t).expand(b, c, t)
        last = torch.where(events != 0, time, -1).cummax(-1).values
        held = events.gather(2, last.clamp(min=0)) * (last >= 0)
        pulse = held * ((time - last) < self.pulse_steps) * (last >= 0)
        inputs, targets = pulse.transpose(1, 2), held.transpose(1, 2)
        return Batch(inputs.contiguous(), targets.contiguous(), torch.ones_like(targets),
                     {"pulses": valid.sum(-1)})

    def validation_batch(self, generator: torch.Generator, size: int = 2000) -> Batch:
        return self.sample(size, generator)

    def correct(self, outputs: Tensor, batch: Batch) -> Tensor:
        """Correct when, between pulses, every set bit's output lies within 0.5 of its target
        on at least ``accuracy_fraction`` of the steps (memory, not tracking the pulse)."""
        target = batch.targets.to(outputs.device)
        held = ((target != 0) & (batch.inputs.to(outputs.device) == 0)).float()
        hits = (((outputs - target).abs() < 0.5).float() * held).sum(dim=(-1, -2))
        return hits >= self.accuracy_fraction * held.sum(dim=(-1, -2)).clamp(min=1)

    def scored(self, batch: Batch) -> Tensor:
        """Trials in which no channel received a pulse have nothing to remember."""
        return (batch.targets != 0).any(dim=2).any(dim=1)

    def static_inputs(self, mode: str) -> tuple[np.ndarray, list[str]]:
        """Constant inputs for fixed-point analysis: ``zeros`` (the memory period) or ``pulses``."""
        return constant_inputs(mode, self.n_in)
