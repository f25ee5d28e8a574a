"""Per-member data for K networks trained side by side, each drawing from its own seed's streams.

With one generator (a single run) these return exactly what the single-network code draws,
so member k of an ensemble sees the data and initial states that a run with seed k sees.
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnntool.network.ctrnn import CTRNN
from rnntool.tasks.base import Batch, Task


def stack_batches(batches: list[Batch]) -> Batch:
    """One batch per member → a batch with a leading member axis (unchanged for one member)."""
    if len(batches) == 1:
        return batches[0]
    return Batch(torch.stack([b.inputs for b in batches]), torch.stack([b.targets for b in batches]),
                 torch.stack([b.mask for b in batches]),
                 {k: torch.stack([b.conditions[k] for b in batches]) for k in batches[0].conditions})


def member_batch(batch: Batch, k: int, members: int) -> Batch:
    """Member ``k``'s trials of a batch from :func:`stack_batches`."""
    if members == 1:
        return batch
    return Batch(batch.inputs[k], batch.targets[k], batch.mask[k],
                 {name: v[k] for name, v in batch.conditions.items()})


def sample_members(task: Task, batch_size: int, generators: list[torch.Generator]) -> Batch:
    """Fresh training trials for every member from its own data generator."""
    return stack_batches([task.sample(batch_size, g) for g in generators])


def initial_states(net: CTRNN, batch: int, generators: list[torch.Generator],
                   shared: bool = False) -> Tensor:
    """x(0) = x0 + x0_std·ξ for every member, member k drawing ξ from ``generators[k]``
    ((1 or B) × N per member, as :meth:`CTRNN.initial_state` draws for one network)."""
    std = net.config.x0_std
    x = net.params["x0"][:, None, :].expand(-1, batch, -1)
    if std > 0:
        shape = (1, 1 if shared else batch, net.state_size)
        noise = torch.cat([torch.randn(shape, generator=g, dtype=net.dtype) for g in generators])
        x = x + std * noise.to(net.device)
    return net.clamp(x)
