"""Static probe inputs for comparing the hidden activity of different models.

McMahan et al. 2021 drives every model with the same constant, noise-free inputs: for RDM, 10 levels
evenly spaced in [−μ_max, μ_max]; for N-CDI, the same 10 levels on each context's sensory
channel with that context's cue on and every other channel 0 (10·K conditions). Other tasks
register their own probes with :func:`probe_inputs.register`.
"""

from __future__ import annotations

from functools import singledispatch

import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.tasks.base import Task
from rnntool.tasks.evidence import EvidenceTask


@singledispatch
def probe_inputs(task: Task, levels: int = 10) -> Tensor:
    """Constant probe trials (C, T, n_in) shared by every model trained on ``task``."""
    raise ConfigError(f"task {task.name!r} defines no probe inputs")


@probe_inputs.register
def _evidence_probes(task: EvidenceTask, levels: int = 10) -> Tensor:
    if levels < 1:
        raise ConfigError(f"the number of probe levels must be ≥ 1, got {levels}")
    values = torch.linspace(-task.coherence_max, task.coherence_max, levels)
    contexts = max(task.n_contexts, 1)
    inputs = torch.zeros(contexts, levels, task.n_in)
    for k in range(contexts):
        inputs[k, :, k] = values
        if task.n_contexts:
            inputs[k, :, task.n_sensory + k] = 1.0
    return inputs.reshape(contexts * levels, 1, task.n_in).expand(-1, task.n_steps, -1)


def probe_levels(task: Task, levels: int = 10, conditions: int | None = None) -> int:
    """Probe levels per context: ``levels``, or ``conditions`` in all split evenly over the
    task's contexts (McMahan et al. 2021's shipped distance matrix used 120 conditions,
    120/K per context, so that networks trained with different K give as many samples)."""
    if conditions is None:
        return levels
    contexts = max(getattr(task, "n_contexts", 0), 1)
    if conditions < 1 or conditions % contexts:
        raise ConfigError(f"{conditions} probe conditions cannot be split evenly over "
                          f"{contexts} contexts")
    return conditions // contexts
