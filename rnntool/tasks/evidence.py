"""Evidence-integration decision tasks of seed 002: RDM and (N-)CDI.

Sensory channel k carries s_k·μ + σ·ξ_k(t) with s_k = ±1, one coherence μ ~ U[0, μ_max) per
trial shared by all channels, ξ white noise, and σ the input-noise standard deviation (the
original called it "variance"). N-CDI with K contexts adds K noise-free one-hot context
channels; the target is the sign of the attended channel (0 when μ = 0). The loss of the
original penalises only the first step (towards 0) and the last step (towards the target).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.tasks.base import Batch, Task, check_positive
from rnntool.tasks.static_inputs import evidence_inputs

#: Seed 002's psychometric coherences: 2 × {±0.009, ±0.036, ±0.09, ±0.15}, sorted.
PSYCHOMETRIC_COHERENCES = (-0.30, -0.18, -0.072, -0.018, 0.018, 0.072, 0.18, 0.30)
COHERENCE_MAX = 0.1857


@dataclass
class EvidenceTask(Task):
    """Shared machinery of RDM and N-CDI. ``contexts = 0`` means no context channels."""

    noise_std: float = 0.5
    coherence_max: float = COHERENCE_MAX
    steps: int = 750
    loss_window: str = "first_last"
    response_start: int = 200

    name: ClassVar[str] = "evidence"
    decision_at_end: ClassVar[bool] = True
    #: A model name without a rule prefix trains with BPTT.
    default_rule: ClassVar[str | None] = "bptt"

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        if self.noise_std < 0:
            raise ConfigError(f"noise std (-v) must be non-negative, got {self.noise_std}")
        check_positive(coherence_max=self.coherence_max, steps=self.steps)
        if self.loss_window not in ("first_last", "response"):
            raise ConfigError("loss_window must be 'first_last' or 'response'")
        if self.loss_window == "response" and not 0 <= self.response_start < self.steps:
            raise ConfigError("response_start must lie inside the trial")

    @property
    def n_contexts(self) -> int:
        return 0

    @property
    def n_sensory(self) -> int:
        return max(self.n_contexts, 1)

    @property
    def n_in(self) -> int:
        return self.n_sensory + self.n_contexts

    @property
    def n_out(self) -> int:
        return 1

    @property
    def n_steps(self) -> int:
        return self.steps

    # trial construction ----------------------------------------------------------------
    def build(self, coherence: Tensor, signs: Tensor, context: Tensor,
              generator: torch.Generator, sensory_means: Tensor | None = None) -> Batch:
        """Trials from per-trial conditions: coherence μ (B,), signs (B, K_s), context (B,).

        ``sensory_means`` (B, K_s), when given, replaces s·μ as the channels' means.
        """
        b, ks, t = coherence.shape[0], self.n_sensory, self.steps
        means = signs * coherence[:, None] if sensory_means is None else sensory_means
        sensory = means[:, None, :] + self.noise_std * torch.randn(
            (b, t, ks), generator=generator)
        if self.n_contexts:
            cue = torch.nn.functional.one_hot(context, self.n_contexts).to(sensory.dtype)
            inputs = torch.cat([sensory, cue[:, None, :].expand(b, t, -1)], dim=2)
        else:
            inputs = sensory
        attended = signs.gather(1, context[:, None].clamp(max=ks - 1))[:, 0]
        target = torch.where(coherence > 0, attended, torch.zeros_like(attended))
        if not self.n_contexts:
            target = attended  # RDM: a zero-coherence trial keeps its random label
        targets = target[:, None, None].expand(b, t, 1).clone()
        mask = torch.zeros((b, t, 1))
        if self.loss_window == "first_last":
            mask[:, -1] = 1.0
            mask[:, 0] = 1.0
            targets[:, 0] = 0.0
        else:
            mask[:, self.response_start:] = 1.0
        conditions = {"coherence": coherence, "signs": signs, "context": context,
                      "target": target}
        return Batch(inputs, targets, mask, conditions)

    def _signs(self, b: int, generator: torch.Generator) -> Tensor:
        return torch.randint(0, 2, (b, self.n_sensory), generator=generator).float() * 2 - 1

    def _contexts(self, b: int, generator: torch.Generator) -> Tensor:
        if not self.n_contexts:
            return torch.zeros(b, dtype=torch.long)
        return torch.randint(0, self.n_contexts, (b,), generator=generator)

    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        coherence = torch.rand(batch_size, generator=generator) * self.coherence_max
        return self.build(coherence, self._signs(batch_size, generator),
                          self._contexts(batch_size, generator), generator)

    def validation_batch(self, generator: torch.Generator, size: int = 2000) -> Batch:
        """Seed 002's validation design: |μ| cycles through 20 levels from 0 to μ_max.

        The original used 0.1875 as the top level (not the training bound 0.1857) and
        counted zero-coherence trials as always right (N-CDI) or at chance (RDM); here the
        top level is the training bound and zero-coherence trials are excluded from
        accuracy (see :meth:`scored`).
        """
        levels = torch.linspace(0.0, self.coherence_max, 20)
        coherence = levels[torch.arange(size) % 20]
        return self.build(coherence, self._signs(size, generator),
                          self._contexts(size, generator), generator)

    # scoring ----------------------------------------------------------------------------
    def correct(self, outputs: Tensor, batch: Batch) -> Tensor:
        """A trial is correct when sign(y_T) equals the sign of its target."""
        return torch.sign(outputs[..., -1, 0]) == torch.sign(batch.conditions["target"])

    def scored(self, batch: Batch) -> Tensor:
        """Zero-coherence trials have no right answer and are not scored."""
        return batch.conditions["coherence"] > 0

    def static_inputs(self, mode: str) -> tuple[np.ndarray, list[str]]:
        """Seed 002's constant inputs (``large``, ``small``, ``sparse``) for fixed-point analysis."""
        return evidence_inputs(mode, self.n_contexts)

    def psychometric_batch(self, coherence: float, context: int, trials: int,
                           generator: torch.Generator) -> Batch:
        """Trials with a fixed signed coherence on channel 0 while cueing ``context``.

        Other sensory channels carry random evidence s·μ, μ ~ U[0, μ_max); for CDI the
        context-0 curve is the in-context curve and the others are out-of-context curves.
        """
        mu = torch.rand(trials, generator=generator) * self.coherence_max
        signs = self._signs(trials, generator)
        means = signs * mu[:, None]
        means[:, 0] = coherence
        ctx = torch.full((trials,), context, dtype=torch.long)
        signs[:, 0] = 1.0 if coherence >= 0 else -1.0
        return self.build(torch.full((trials,), abs(coherence)), signs, ctx, generator,
                          sensory_means=means)


@dataclass
class RDM(EvidenceTask):
    """Random-dot-motion evidence integration: one noisy channel, report its sign."""

    name: ClassVar[str] = "rdm"


@dataclass
class ContextIntegration(EvidenceTask):
    """N-context-dependent integration (CDI for K = 2): report the cued channel's sign."""

    contexts: int = 2
    name: ClassVar[str] = "cdi"

    def check(self) -> None:
        super().check()
        if self.contexts < 1:
            raise ConfigError(f"the number of contexts (--N) must be ≥ 1, got {self.contexts}")

    @property
    def n_contexts(self) -> int:
        return self.contexts
