"""Constant inputs interpolated between the inputs of two task periods (fixed points along a sweep).

The multitask delay networks were analysed by finding fixed points at inputs interpolated
linearly between the constant inputs of two periods, e.g. stimulus → delay and delay → go
for each stimulus, or delay of DelayGo → delay of DelayAnti. A sweep spec is a comma list of
``A:B`` items; A and B are period names (``stim:delay``: within every task that has both,
for every condition) or ``TASK.PERIOD`` (``delaygo.delay:delayanti.delay``: across tasks of a
task list, condition by condition).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rnntool.errors import ConfigError
from rnntool.tasks.base import Task


@dataclass
class Sweep:
    """Inputs along S interpolation segments of n + 1 points each.

    Attributes:
        inputs: (S, n + 1, n_in); ``inputs[s, 0]`` is segment s's start, ``[s, -1]`` its end.
        labels: one label per segment, e.g. ``delaygo stim→delay (stimulus=1)``.
        positions: the interpolation weights 0 … 1 (n + 1,).
    """

    inputs: np.ndarray
    labels: list[str]
    positions: np.ndarray

    def flat(self) -> tuple[np.ndarray, list[str]]:
        """All inputs as one (S·(n + 1), n_in) set with a label per input."""
        labels = [f"{label} s={w:.3g}" for label in self.labels for w in self.positions]
        return self.inputs.reshape(-1, self.inputs.shape[-1]), labels


def _members(task: Task) -> list[tuple[int | None, Task]]:
    subtasks = getattr(task, "tasks", None)
    return list(enumerate(subtasks)) if subtasks else [(None, task)]


def _period_values(task: Task, owner: int | None, member: Task, period: str) -> tuple[torch.Tensor, list[str]]:
    """Inputs of ``period`` of ``member`` per condition, in ``task``'s channels, with labels."""
    if not hasattr(member, "input_of"):
        raise ConfigError(f"task {member.name!r} is not made of periods: it has no period inputs")
    values = member.input_of(period)
    if owner is not None:
        values = task.embed_inputs(owner, values)
    conditions = member.all_conditions()
    labels = [", ".join(f"{k}={v[c].item():g}" for k, v in conditions.items() if v.dim() == 1)
              for c in range(values.shape[0])]
    return values, labels


def _split(end: str) -> tuple[str | None, str]:
    task, dot, period = end.partition(".")
    return (task, period) if dot else (None, task)


def sweep_inputs(task: Task, spec: str, n_interp: int = 20) -> Sweep:
    """Inputs interpolated in ``n_interp`` steps along every segment named by ``spec``."""
    if n_interp < 1:
        raise ConfigError(f"--interp must be ≥ 1, got {n_interp}")
    members = _members(task)
    names = {m.name: (k, m) for k, m in members}
    weights = np.linspace(0.0, 1.0, n_interp + 1)
    segments, labels = [], []
    for item in spec.split(","):
        a, sep, b = item.strip().partition(":")
        if not sep or not a or not b:
            raise ConfigError(f"--sweep items are A:B (periods or TASK.PERIOD), got {item!r}")
        (ta, pa), (tb, pb) = _split(a), _split(b)
        if (ta is None) != (tb is None):
            raise ConfigError(f"--sweep {item!r}: qualify both ends with TASK. or neither")
        if ta is None:
            pairs = [(k, m, k, m) for k, m in members
                     if hasattr(m, "structure") and {pa, pb} <= set(m.structure().names)]
            if not pairs:
                raise ConfigError(f"--sweep {item!r}: no task has both periods {pa!r} and {pb!r}")
        else:
            for t in (ta, tb):
                if t not in names:
                    raise ConfigError(f"--sweep {item!r}: no task {t!r} (tasks: {', '.join(names)})")
            pairs = [(*names[ta], *names[tb])]
        for ka, ma, kb, mb in pairs:
            start, cond_a = _period_values(task, ka, ma, pa)
            end, cond_b = _period_values(task, kb, mb, pb)
            if start.shape[0] != end.shape[0]:
                raise ConfigError(f"--sweep {item!r}: the two tasks have different conditions")
            w = torch.as_tensor(weights)[None, :, None]
            segments.append(((1 - w) * start[:, None] + w * end[:, None]).numpy())
            where = ma.name if ma is mb else f"{ma.name}.{pa}→{mb.name}.{pb}"
            arrow = f"{pa}→{pb}" if ma is mb else ""
            for ca in cond_a:
                labels.append(" ".join(p for p in (where, arrow, f"({ca})" if ca else "") if p))
    inputs = np.concatenate(segments)
    _, index = np.unique(inputs.reshape(inputs.shape[0], -1), axis=0, return_index=True)
    keep = np.sort(index)
    return Sweep(inputs[keep], [labels[i] for i in keep], weights)
