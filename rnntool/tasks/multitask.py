"""Several tasks trained into one network: union of channels plus a one-hot task ID.

``make_task("delaygo,delayanti")`` builds a :class:`MultiTask`. Input and output channels
with the same name are shared (all delay tasks share fixation, stimulus 1 and 2); the others
are appended in task order. One extra input channel per task carries its ID (1 during the
whole trial), as in the multitask delay networks. A batch holds one task (``mix = batch``,
the original's scheme) or trials of every task (``mix = trial``); shorter tasks are padded
with mask 0 and outputs a task does not use are not scored. Every per-trial condition of
task ``name`` is recorded as ``name.KEY`` (zeros in other tasks' trials), and ``task`` gives
each trial's task index.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch
from torch import Tensor

from rnntool.engine.metrics import Tally, direction, register_metric
from rnntool.errors import ConfigError
from rnntool.tasks.base import Batch, NamedChannels, Task

MIXES = ("batch", "trial")


def channel_names(task: Task, side: str) -> tuple[str, ...]:
    """A task's input (``in``) or output (``out``) channel names; generic ones when undeclared."""
    declared = getattr(task, "input_names" if side == "in" else "output_names", ())
    width = task.n_in if side == "in" else task.n_out
    if len(declared) == width:
        return tuple(declared)
    return tuple(f"{task.name} {side} {i}" for i in range(width))


@dataclass
class MultiTask(NamedChannels, Task):
    """One network, several tasks; see the module docstring."""

    tasks: tuple[Task, ...] = ()
    mix: str = "batch"

    def __post_init__(self) -> None:
        self.tasks = tuple(self.tasks)
        self.check()
        self.input_names = tuple(dict.fromkeys(
            c for t in self.tasks for c in channel_names(t, "in"))) + tuple(
            f"task {t.name}" for t in self.tasks)
        self.output_names = tuple(dict.fromkeys(c for t in self.tasks for c in channel_names(t, "out")))
        self._in = [torch.tensor([self.input_names.index(c) for c in channel_names(t, "in")])
                    for t in self.tasks]
        self._out = [torch.tensor([self.output_names.index(c) for c in channel_names(t, "out")])
                     for t in self.tasks]
        for task in self.tasks:
            for metric in ("mse", "accuracy"):
                register_metric(f"{task.name}.{metric}", direction(metric))
        # the first task's system configures the network and its training
        first = self.tasks[0]
        for key in ("network_defaults", "default_rule", "rule_defaults", "default_stop",
                    "primary_metric", "training_defaults"):
            if hasattr(first, key):
                setattr(self, key, getattr(first, key))

    def check(self) -> None:
        if len(self.tasks) < 2:
            raise ConfigError("a task list needs at least two tasks")
        names = [t.name for t in self.tasks]
        if len(set(names)) != len(names):
            raise ConfigError(f"a task appears twice in the list {','.join(names)}")
        if self.mix not in MIXES:
            raise ConfigError(f"mix must be one of {', '.join(MIXES)}, got {self.mix!r}")

    @property
    def name(self) -> str:  # type: ignore[override]
        """The task list as given: ``delaygo,delayanti``."""
        return ",".join(t.name for t in self.tasks)

    @property
    def n_steps(self) -> int:
        return max(t.n_steps for t in self.tasks)

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "mix": self.mix, "tasks": [t.config() for t in self.tasks]}

    # building batches ------------------------------------------------------------------
    def embed(self, parts: list[tuple[int, Batch]]) -> Batch:
        """Stack per-task batches into the union channels, padding time with mask 0."""
        b, t = sum(len(p) for _, p in parts), self.n_steps
        inputs = torch.zeros(b, t, self.n_in)
        targets = torch.zeros(b, t, self.n_out)
        mask = torch.zeros(b, t, self.n_out)
        task_index = torch.cat([torch.full((len(p),), k) for k, p in parts])
        conditions: dict[str, Tensor] = {"task": task_index}
        start = 0
        for k, part in parts:
            rows = slice(start, start + len(part))
            steps = part.inputs.shape[1]
            inputs[rows, :steps, self._in[k]] = part.inputs
            inputs[rows, :, self.n_in - len(self.tasks) + k] = 1.0
            targets[rows, :steps, self._out[k]] = part.targets
            mask[rows, :steps, self._out[k]] = part.mask
            for key, value in part.conditions.items():
                full = conditions.setdefault(f"{self.tasks[k].name}.{key}",
                                             value.new_zeros((b,) + tuple(value.shape[1:])))
                full[rows] = value
            start += len(part)
        return Batch(inputs, targets, mask, conditions)

    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        if self.mix == "batch":
            k = int(torch.randint(len(self.tasks), (1,), generator=generator))
            return self.embed([(k, self.tasks[k].sample(batch_size, generator))])
        counts = torch.bincount(torch.randint(len(self.tasks), (batch_size,), generator=generator),
                                minlength=len(self.tasks))
        return self.embed([(k, t.sample(int(n), generator))
                           for k, (t, n) in enumerate(zip(self.tasks, counts)) if n > 0])

    def validation_batch(self, generator: torch.Generator, size: int = 2000) -> Batch:
        """Each task's own validation set, ``size`` trials shared evenly among the tasks."""
        share = [size // len(self.tasks) + (k < size % len(self.tasks)) for k in range(len(self.tasks))]
        return self.embed([(k, t.validation_batch(generator, n))
                           for k, (t, n) in enumerate(zip(self.tasks, share)) if n > 0])

    # per-task views --------------------------------------------------------------------
    def rows(self, batch: Batch, k: int) -> Tensor:
        return torch.nonzero(batch.conditions["task"] == k)[:, 0]

    def part(self, batch: Batch, k: int, rows: Tensor) -> Batch:
        """Task ``k``'s trials of ``batch`` in its own channels and length."""
        steps, prefix = self.tasks[k].n_steps, f"{self.tasks[k].name}."
        return Batch(batch.inputs[rows, :steps][..., self._in[k]],
                     batch.targets[rows, :steps][..., self._out[k]],
                     batch.mask[rows, :steps][..., self._out[k]],
                     {key[len(prefix):]: v[rows] for key, v in batch.conditions.items()
                      if key.startswith(prefix)})

    def outputs_of(self, outputs: Tensor, k: int, rows: Tensor) -> Tensor:
        rows = rows.to(outputs.device)
        return outputs.index_select(-3, rows)[..., :self.tasks[k].n_steps, :][..., self._out[k].to(outputs.device)]

    def _per_task(self, outputs: Tensor | None, batch: Batch, method: str) -> Tensor:
        lead = outputs.shape[:-3] if outputs is not None else ()
        device = outputs.device if outputs is not None else torch.device("cpu")
        result = torch.zeros(*lead, len(batch), dtype=torch.bool, device=device)
        for k, task in enumerate(self.tasks):
            rows = self.rows(batch, k)
            if len(rows) == 0:
                continue
            part = self.part(batch, k, rows)
            if outputs is None:
                result[..., rows] = task.scored(part).to(device)
            else:
                result[..., rows.to(device)] = getattr(task, method)(self.outputs_of(outputs, k, rows), part)
        return result

    def correct(self, outputs: Tensor, batch: Batch) -> Tensor:
        """Each trial judged by its own task's rule."""
        return self._per_task(outputs, batch, "correct")

    def scored(self, batch: Batch) -> Tensor:
        return self._per_task(None, batch, "scored")

    def metric_sums(self, outputs: Tensor, batch: Batch) -> dict[str, Tally]:
        """MSE and accuracy over all trials and per task (``delaygo.mse``, …; NaN for a task
        with no trial in the batch)."""
        out = super().metric_sums(outputs, batch)
        empty = outputs.new_zeros(outputs.shape[:-3])
        for k, task in enumerate(self.tasks):
            rows = self.rows(batch, k)
            if len(rows):
                sums = task.metric_sums(self.outputs_of(outputs, k, rows), self.part(batch, k, rows))
            else:
                sums = {"mse": Tally(empty, empty), "accuracy": Tally(empty, empty)}
            out.update({f"{task.name}.{name}": tally for name, tally in sums.items()})
        return out

    def period_inputs(self) -> tuple[np.ndarray, list[str]]:
        """Every task's period inputs in the union channels with its ID on: (M, n_in), labels."""
        rows, labels = [], []
        for k, task in enumerate(self.tasks):
            if not hasattr(task, "period_inputs"):
                continue
            values, names = task.period_inputs()
            full = np.zeros((len(values), self.n_in))
            full[:, self._in[k].numpy()] = values
            full[:, self.n_in - len(self.tasks) + k] = 1.0
            rows.append(full)
            labels += [f"{task.name} {n}" for n in names]
        if not rows:
            raise ConfigError(f"none of the tasks {self.name} is made of periods")
        return np.concatenate(rows), labels

    def embed_inputs(self, k: int, values: Tensor) -> Tensor:
        """Task ``k``'s inputs (…, n_in_k) in the union channels with its ID on (…, n_in)."""
        full = values.new_zeros(*values.shape[:-1], self.n_in)
        full[..., self._in[k]] = values
        full[..., self.n_in - len(self.tasks) + k] = 1.0
        return full

    def task_index(self, name: str) -> int:
        names = [t.name for t in self.tasks]
        if name not in names:
            raise ConfigError(f"no task {name!r} in {self.name}")
        return names.index(name)


def multitask_settings(tasks: list[type[Task]], settings: dict[str, Any]) -> tuple[dict, list[dict]]:
    """Split settings into the mixing scheme and each task's own (those it has as fields)."""
    settings = {k: v for k, v in settings.items() if v is not None}
    own = {"mix"} & set(settings)
    per_task = []
    for cls in tasks:
        known = {f.name for f in fields(cls)}
        per_task.append({k: v for k, v in settings.items() if k in known})
    unused = set(settings) - own - {k for d in per_task for k in d}
    if unused:
        raise ConfigError(f"no task in the list takes setting(s) {', '.join(sorted(unused))}")
    return {k: settings[k] for k in own}, per_task
