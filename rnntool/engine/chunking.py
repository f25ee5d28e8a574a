"""Ensembles too large for one batched pass: members trained in chunks that fit in memory.

Backpropagation through time keeps every step's activations of every member until the
backward pass: about ``ACTIVATION_COPIES`` tensors of T × B × S floats per member (S the
cell's state size). System A's full-size study (T = 7000, B = 32, N = 500, float32) needs
~3.8 GB per member, ~76 GB for 20 members as one pass. The plan is made before any work:
members run in chunks of the largest size whose activations fit in ``MEMORY_SHARE`` of the
device's available memory, each chunk one batched pass (members sharing a frozen G keep the
shared product within their chunk), one chunk after another. Every member draws only from
its own seed's streams and is optimised, validated and stopped on its own, so a chunked
ensemble ends with the same weights and histories as one pass, to float rounding: the forward
pass is bit-identical, but the W_in gradient's sum over steps is ordered by the number of
members in the pass (measured on 5 members split 3 + 2, 150 updates: three bit-identical,
the others within 2e-6 relative; ``tests/test_chunking.py``), as
:mod:`rnntool.engine.ensemble` says of an ensemble against single runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import torch
from rich.console import Console

from rnntool.engine.checkpoint import Checkpointer
from rnntool.engine.ensemble import batches_members, train_ensemble
from rnntool.engine.monitor import ScalarLogger
from rnntool.errors import ConfigError
from rnntool.network import NetworkConfig
from rnntool.network.cells import make_cell
from rnntool.network.shared_recurrence import declares_shared_recurrence
from rnntool.rules import LearningRule
from rnntool.storage import ModelRecord
from rnntool.tasks import Task
from rnntool.training import TrainSettings

#: (T, B, S) tensors one BPTT member holds at its peak (drive, states, rates, their gradients
#: and the readout's copies). Peak resident memory of one ``duration`` update, ctrnn cell,
#: N = 500, B = 32, T = 700 and 1400, K = 1, 2, 4, shared-G and generic paths: 7.2–8.3.
ACTIVATION_COPIES = 8.5
#: Share of the available memory the activations may take (the rest: weights, the training
#: and validation sets, the allocator's slack and other processes).
MEMORY_SHARE = 0.75


def activation_bytes(task: Task, rule: LearningRule, config: NetworkConfig) -> float | None:
    """Estimated peak bytes of one member's training pass; None when the rule keeps no
    unrolled trial (FORCE, Hebbian, the genetic algorithm) or the task has no fixed length."""
    batch = getattr(rule, "batch_size", None)
    steps = getattr(task, "n_steps", None)
    if not getattr(rule, "batches_members", False) or batch is None or not isinstance(steps, int):
        return None
    itemsize = 8 if config.dtype == "float64" else 4
    return ACTIVATION_COPIES * steps * batch * make_cell(config).state_size * itemsize


def available_bytes(device: str | torch.device = "cpu") -> int | None:
    """Memory free for new work on ``device``: MemAvailable of /proc/meminfo on the CPU, the
    free memory the driver reports on a CUDA GPU; None where it cannot be told."""
    device = torch.device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    if device.type != "cpu":
        return None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


@dataclass(frozen=True)
class ChunkPlan:
    """How an ensemble's members are split into batched passes, and why."""

    sizes: tuple[int, ...]
    per_member: float | None
    available: int | None
    explicit: bool = False

    def describe(self) -> str:
        """One log line: the chunking and the estimate behind it."""
        members = sum(self.sizes)
        what = (f"{members} members in one batched pass" if len(self.sizes) == 1
                else f"{members} members in {len(self.sizes)} batched passes of "
                     f"{'/'.join(str(s) for s in sorted(set(self.sizes), reverse=True))}")
        if self.per_member is None:
            return what
        memory = (f"{self.available / 2 ** 30:.3g} GiB available, {MEMORY_SHARE:.0%} usable"
                  if self.available is not None else "available memory unknown")
        how = "--chunk-size" if self.explicit else "from the estimate"
        return (f"{what} ({how}: ~{self.per_member / 2 ** 30:.3g} GiB of activations per "
                f"member; {memory})")


def plan_chunks(members: int, per_member: float | None, available: int | None,
                chunk_size: int | None = None, what: str = "one member") -> ChunkPlan:
    """Split ``members`` into the fewest chunks whose activations fit (or of at most
    ``chunk_size``), of sizes differing by at most one (9 members by at most 4: 3, 3, 3).

    Raises ConfigError when even one member cannot fit in the usable memory.
    """
    if chunk_size is not None and chunk_size < 1:
        raise ConfigError("the chunk size must be at least 1 member")
    usable = None if available is None else MEMORY_SHARE * available
    if per_member is not None and usable is not None and per_member > usable:
        raise ConfigError(f"{what} needs ~{per_member / 2 ** 30:.3g} GiB for its training "
                          f"activations, more than the {usable / 2 ** 30:.3g} GiB usable "
                          f"({MEMORY_SHARE:.0%} of {available / 2 ** 30:.3g} GiB available): "
                          "use a coarser --dt, a smaller batch (--opt batch_size=…) or fewer units")
    if chunk_size is None:
        fit = members if per_member is None or usable is None else int(usable // per_member)
        size = max(1, min(members, fit))
    else:
        size = min(members, chunk_size)
    count = -(-members // size)  # as few passes as fit, as even as possible: 9 by 4 → 3, 3, 3
    sizes = [members // count + (i < members % count) for i in range(count)]
    return ChunkPlan(tuple(sizes), per_member, available, chunk_size is not None)


def plan_training(task: Task, rule: LearningRule, config: NetworkConfig, members: int,
                  device: str = "cpu", chunk_size: int | None = None, label: str = "") -> ChunkPlan:
    """The chunk plan of a training run of ``members`` seeds, before any work starts.

    A single model gets the check that it fits; a rule that trains seeds one by one keeps
    no unrolled trials and gets one chunk (its own fallback trains the seeds in turn).
    """
    per_member = activation_bytes(task, rule, config)
    available = available_bytes(device) if per_member is not None else None
    what = f"one member of {label}" if label else "one member"
    return plan_chunks(members, per_member, available, chunk_size, what)


def train_chunks(names: list[str], seeds: list[int], task: Task, rule: LearningRule,
                 net_config: NetworkConfig, settings: TrainSettings, plan: ChunkPlan,
                 console: Console | None = None, checkpointer: Checkpointer | None = None,
                 logger: ScalarLogger | None = None) -> Iterator[list[ModelRecord]]:
    """Train the members chunk by chunk (:func:`train_ensemble` per chunk), yielding each
    chunk's records as soon as it finishes, so they can be written before the next starts.

    Checkpoints and TensorBoard logs belong to one batched pass: with several chunks they
    raise ConfigError (before any work, from :func:`check_chunked`).
    """
    check_chunked(plan, rule, checkpointer, logger)
    if len(names) != len(seeds) or len(names) != sum(plan.sizes):
        raise ValueError("one name per seed, as many as the plan's members")
    start = 0
    for size in plan.sizes:
        part = slice(start, start + size)
        yield train_ensemble(names[part], seeds[part], task, rule, net_config, settings,
                             console, checkpointer, logger)
        start += size


def check_chunked(plan: ChunkPlan, rule: LearningRule, checkpointer: Checkpointer | None,
                  logger: object | None) -> None:
    """ConfigError for what a run split into several batched passes cannot do."""
    if len(plan.sizes) > 1 and batches_members(rule) and (checkpointer is not None
                                                          or logger is not None):
        raise ConfigError(f"this ensemble trains in {len(plan.sizes)} batched passes (memory): "
                          "checkpoints and TensorBoard follow one pass; train fewer --seeds "
                          "per name, or set --chunk-size to all members where memory allows")


def shared_g_note(config: NetworkConfig) -> str:
    """The group file's statement that an ensemble shares one frozen G ('' when it does not)."""
    if not declares_shared_recurrence(config):
        return ""
    return (f"the models share one frozen W_rec (G), drawn from rec_seed "
            f"{config.cell_options['rec_seed']}; they differ in W_in (I) and W_out (w)")
