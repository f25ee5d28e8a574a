"""Two minimal tasks written as a user writes one, shared by the tests.

``Echo`` repeats its input with no correct answer (a regression task: mse only); ``SignEcho``
repeats the input's sign and says when an output is correct (so accuracy exists too). The
user-task test loads a copy of this very file by path, as ``rnntool train --task FILE:CLASS``.
"""

from dataclasses import dataclass
from typing import ClassVar

import torch

from rnntool.tasks import Batch, Task


@dataclass
class Echo(Task):
    """Repeat the input on one channel; only the second half of the trial is scored."""

    steps: int = 12
    name: ClassVar[str] = "echo_test"

    n_in = property(lambda self: 1)
    n_out = property(lambda self: 1)
    n_steps = property(lambda self: self.steps)

    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        level = torch.rand((batch_size, 1, 1), generator=generator) - 0.5
        inputs = level.expand(batch_size, self.steps, 1).clone()
        mask = torch.zeros_like(inputs)
        mask[:, self.steps // 2:] = 1.0
        return Batch(inputs, inputs.clone(), mask, {"level": level[:, 0, 0]})

    def validation_batch(self, generator: torch.Generator, size: int = 2000) -> Batch:
        return self.sample(size, generator)


@dataclass
class SignEcho(Echo):
    """Repeat the input's sign (±1) at the last step; correct when the output's sign matches."""

    steps: int = 20
    name: ClassVar[str] = "echo"

    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        sign = torch.randint(0, 2, (batch_size,), generator=generator).float() * 2 - 1
        inputs = sign[:, None, None].expand(-1, self.steps, 1).clone()
        mask = torch.zeros_like(inputs)
        mask[:, -1] = 1
        return Batch(inputs, inputs.clone(), mask, {"sign": sign})

    def correct(self, outputs: torch.Tensor, batch: Batch) -> torch.Tensor:
        return torch.sign(outputs[..., -1, 0]) == batch.conditions["sign"]
