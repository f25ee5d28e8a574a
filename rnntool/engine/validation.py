"""Held-out validation in bounded memory: outputs are simulated in time chunks and every
task metric is tallied per network member."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from rnntool.engine.metrics import Tally, metric_values
from rnntool.network.ctrnn import CTRNN
from rnntool.network.network import Noise
from rnntool.seeding import Seeds
from rnntool.tasks.base import Batch, Task

#: Elements of the (K, B, chunk, N) states a validation chunk may hold (≈ 128 MB in float32).
CHUNK_ELEMENTS = 1 << 25


@torch.no_grad()
def output_trace(net: CTRNN, inputs: Tensor, x_init: Tensor, generator: Noise = None,
                 time_chunk: int | None = None) -> Tensor:
    """Outputs at every step, (K, B, T, n_out), without holding the (K, B, T, N) states.

    Runs :meth:`CTRNN.simulate` over blocks of time, carrying the last state between them;
    the result equals one full ``simulate`` up to float rounding in the readout.
    """
    k, b, steps = net.members, inputs.shape[-3], inputs.shape[-2]
    if time_chunk is None:
        time_chunk = max(1, CHUNK_ELEMENTS // max(1, 2 * k * b * net.state_size))
    x, pieces = x_init, []
    for start in range(0, steps, time_chunk):
        run = net.simulate(inputs[..., start:start + time_chunk, :], x, generator)
        pieces.append(run.outputs)
        x = run.states[..., -1, :]
    return torch.cat(pieces, dim=-2)


@dataclass
class ValidationSet:
    """A fixed held-out set per member: trials, initial-state noise and network-noise seeds.

    ``batches`` holds one batch shared by every member (a single run, a population) or one
    per member (an ensemble, each member with its own seed), ``noise_seeds`` one seed of
    network noise likewise. Validation is forward-only.
    While a member's training-batch accuracy is below ``validate_from`` its check is skipped
    and counts as failed, so a stopping rule can only fire later than with validation after
    every update, never earlier.
    """

    batches: list[Batch]
    x_noise: Tensor
    noise_seeds: list[int]
    validate_from: float = 0.75

    @classmethod
    def create(cls, task: Task, seeds: Seeds | list[Seeds], state_size: int, size: int = 2000,
               validate_from: float = 0.75) -> "ValidationSet":
        """One set for ``seeds`` (a single run) or one per member for a list of seeds."""
        many = isinstance(seeds, list)
        batches, noises = [], []
        for s in (seeds if many else [seeds]):
            gen = s.generator("validation")
            batches.append(task.validation_batch(gen, size))
            noises.append(torch.randn((1, size, state_size), generator=gen))
        noise_seeds = [s.seed_of("validation") ^ 0x5EED for s in (seeds if many else [seeds])]
        return cls(batches, torch.cat(noises), noise_seeds, validate_from)

    @property
    def size(self) -> int:
        return len(self.batches[0])

    def inputs(self) -> Tensor:
        """(B, T, n_in) when shared, else (K, B, T, n_in)."""
        if len(self.batches) == 1:
            return self.batches[0].inputs
        return torch.stack([b.inputs for b in self.batches])

    def metrics(self, net: CTRNN, task: Task) -> dict[str, np.ndarray]:
        """Every task metric of every member of ``net`` on the held-out set: name → (K,)."""
        x_init = net.clamp(net.params["x0"][:, None, :]
                           + net.config.x0_std * self.x_noise.to(net.device, net.dtype))
        outputs = self._outputs(net, x_init)
        if len(self.batches) == 1:
            return metric_values(task.metric_sums(outputs, self.batches[0]))
        per_member = [task.metric_sums(outputs[k:k + 1], b) for k, b in enumerate(self.batches)]
        return metric_values({name: Tally(torch.cat([m[name].total for m in per_member]),
                                          torch.cat([torch.as_tensor(m[name].count).reshape(1)
                                                     for m in per_member]))
                              for name in per_member[0]})

    def _outputs(self, net: CTRNN, x_init: Tensor) -> Tensor:
        """Outputs (K, B, T, n_out) on the held-out trials. With network noise, each member
        of an ensemble runs on its own, so that it draws its seed's noise in the time chunks
        a single run draws (forward-only; training stays batched)."""
        generators = [torch.Generator().manual_seed(s) for s in self.noise_seeds]
        noisy = getattr(net.config, "noise_in", 0) > 0 or getattr(net.config, "noise_rec", 0) > 0
        if len(self.batches) == 1 or not noisy:
            return output_trace(net, self.inputs(), x_init, generators[0]).cpu()
        return torch.cat([output_trace(net.member(k), b.inputs, x_init[k:k + 1], g).cpu()
                          for k, (b, g) in enumerate(zip(self.batches, generators))])

    def accuracy(self, net: CTRNN, task: Task) -> np.ndarray:
        """Accuracy of every member, (K,) (tasks with a correct answer)."""
        return self.metrics(net, task)["accuracy"]
