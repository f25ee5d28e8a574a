"""Training losses, looked up by name: each maps outputs of K members to one loss per member.

Every loss takes ``(task, outputs, batch, reduction)`` with outputs (K, B, T, n_out) and a
batch whose targets and mask are (B, T, n_out) or (K, B, T, n_out), and returns (K,).
For the classification losses the targets are probabilities over the n_out outputs
(one-hot for a class label) and a step counts when any of its mask entries is non-zero.

- ``task``: the task's own :meth:`Task.loss` (for McMahan et al. 2021's tasks the per-trial
  sum of masked squared errors, summed or averaged over trials by ``reduction``).
- ``mse``: squared error weighted by the mask, divided by the mask's sum.
- ``mse_all``: squared masked error averaged over *all* elements, masked zeros included
  (the multitask delay-task repository's loss, for replication).
- ``cross_entropy``: −Σ_a y_a log softmax(z)_a per evaluated step (outputs are logits).
- ``neg_p_correct``: −Σ_a y_a softmax(z)_a, the loss Schaeffer et al. 2020 trained with
  (their code called it a negative log-likelihood).
- ``soft_cross_entropy``: distillation, −Σ_a p_teacher(a) log p_student(a) with p_teacher =
  softmax(teacher logits / T) from ``batch.conditions["teacher_logits"]`` (or the targets as
  probabilities when absent), scaled by T².
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.tasks.base import Batch, Task

LossFn = Callable[..., Tensor]
LOSSES: dict[str, LossFn] = {}


def register_loss(name: str) -> Callable[[LossFn], LossFn]:
    """Decorator adding a loss to :data:`LOSSES` under ``name``."""
    def add(fn: LossFn) -> LossFn:
        LOSSES[name] = fn
        return fn
    return add


def get_loss(name: str) -> LossFn:
    try:
        return LOSSES[name]
    except KeyError:
        raise ConfigError(f"unknown loss {name!r} (known: {', '.join(sorted(LOSSES))})") from None


def compute_loss(name: str, task: Task, outputs: Tensor, batch: Batch,
                 reduction: str = "mean", **options: Any) -> Tensor:
    """The loss ``name`` of every member, (K,)."""
    return get_loss(name)(task, outputs, batch.to(outputs.device), reduction, **options)


@register_loss("task")
def task_loss(task: Task, outputs: Tensor, batch: Batch, reduction: str = "mean") -> Tensor:
    return task.loss(outputs, batch, reduction)


@register_loss("mse")
def mse(task: Task, outputs: Tensor, batch: Batch, reduction: str = "mean") -> Tensor:
    mask = batch.mask.to(outputs)
    err = (mask * (outputs - batch.targets) ** 2).sum(dim=(-1, -2, -3))
    return err / mask.sum(dim=(-1, -2, -3)).clamp(min=1e-12)


@register_loss("mse_all")
def mse_all(task: Task, outputs: Tensor, batch: Batch, reduction: str = "mean") -> Tensor:
    err = (batch.mask.to(outputs) * (outputs - batch.targets)) ** 2
    return err.mean(dim=(-1, -2, -3)).expand(outputs.shape[0])


def _steps(batch: Batch, like: Tensor) -> Tensor:
    """(…, B, T) weights of evaluated steps."""
    return (batch.mask.to(like) != 0).any(-1).to(like)


def _per_step_mean(per_step: Tensor, batch: Batch) -> Tensor:
    steps = _steps(batch, per_step)
    return (per_step * steps).sum(dim=(-1, -2)) / steps.sum(dim=(-1, -2)).clamp(min=1e-12)


@register_loss("cross_entropy")
def cross_entropy(task: Task, outputs: Tensor, batch: Batch, reduction: str = "mean") -> Tensor:
    logp = torch.log_softmax(outputs, dim=-1)
    return _per_step_mean(-(batch.targets * logp).sum(-1), batch)


@register_loss("neg_p_correct")
def neg_p_correct(task: Task, outputs: Tensor, batch: Batch, reduction: str = "mean") -> Tensor:
    p = torch.softmax(outputs, dim=-1)
    return _per_step_mean(-(batch.targets * p).sum(-1), batch)


@register_loss("soft_cross_entropy")
def soft_cross_entropy(task: Task, outputs: Tensor, batch: Batch, reduction: str = "mean",
                       temperature: float = 1.0) -> Tensor:
    teacher = batch.conditions.get("teacher_logits")
    if teacher is not None:
        p_teacher = torch.softmax(teacher.to(outputs) / temperature, dim=-1)
    else:
        p_teacher = batch.targets
    logp = torch.log_softmax(outputs / temperature, dim=-1)
    return temperature ** 2 * _per_step_mean(-(p_teacher * logp).sum(-1), batch)
