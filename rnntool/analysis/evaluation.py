"""Scoring a trained model: accuracy on a seeded test set, psychometric curves, per context."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from rnntool.engine.metrics import metric_values
from rnntool.engine.validation import output_trace
from rnntool.analysis.geometry import duration_evaluation
from rnntool.analysis.task_scores import task_evaluation
from rnntool.network.ctrnn import CTRNN
from rnntool.rules.base import decision_outputs
from rnntool.seeding import Seeds
from rnntool.tasks.base import Task
from rnntool.tasks.evidence import PSYCHOMETRIC_COHERENCES, EvidenceTask


def _last_outputs(net: CTRNN, task: Task, batch: Any, gen: torch.Generator) -> torch.Tensor:
    """Member-0 outputs the task's ``correct`` can read: last step only where that suffices."""
    return decision_outputs(net, task, batch.inputs, net.initial_state(len(batch), gen))[0]


def evaluate(net: CTRNN, task: Task, seed: int = 0, trials: int = 2000) -> dict[str, Any]:
    """Every task metric on ``trials`` fresh test trials (seeded): ``metrics`` (mse always,
    accuracy where the task has a correct answer, …) and, for evidence tasks, the
    psychometric curve per context: P(y_T > 0) at McMahan et al. 2021's signed coherences,
    with the number of decided trials (y_T ≠ 0) behind each point.

    The test set and the network's noise are drawn from the ``evaluation`` stream of
    ``seed``, which training never uses; the default seed 0 (also the CLI's) gives every
    model the same test trials, and the same call the same scores. Task suites also get
    their scores per task on these very trials (``per_task``).

    Returns a tree ready to be stored under ``/evaluation`` of the model file.
    """
    gen = Seeds(seed).generator("evaluation")
    batch = task.validation_batch(gen, trials)
    trace = output_trace(net, batch.inputs, net.initial_state(len(batch), gen), gen)[:1].cpu()
    metrics = {k: float(v[0]) for k, v in metric_values(task.metric_sums(trace, batch)).items()}
    result: dict[str, Any] = {"seed": int(seed), "trials": int(trials), "metrics": metrics,
                              "primary_metric": task.primary}
    result.update(duration_evaluation(net, task, gen, trials))
    outputs = trace[0]
    result.update(task_evaluation(net, task, gen, outputs, batch))
    if not task.has_correct_answer:
        return result
    correct = task.correct(outputs, batch)
    scored = task.scored(batch)
    result.update({"accuracy": metrics["accuracy"], "scored_trials": int(scored.sum())})
    if isinstance(task, EvidenceTask):
        result.update(_evidence_tables(net, task, batch, outputs, correct, scored, gen, trials))
    return result


def _evidence_tables(net: CTRNN, task: EvidenceTask, batch: Any, outputs: torch.Tensor,
                     correct: torch.Tensor, scored: torch.Tensor, gen: torch.Generator,
                     trials: int) -> dict[str, Any]:
    zero = ~scored
    contexts = max(task.n_contexts, 1)
    ctx = batch.conditions["context"]
    per_context = np.array([float(correct[scored & (ctx == k)].float().mean())
                            for k in range(contexts)])
    coherences = np.asarray(PSYCHOMETRIC_COHERENCES)
    curve = np.empty((contexts, coherences.size))
    counts = np.zeros((contexts, coherences.size), dtype=np.int64)
    for k in range(contexts):
        for j, c in enumerate(coherences):
            probe = task.psychometric_batch(float(c), k, trials, gen)
            y = _last_outputs(net, task, probe, gen)[:, -1, 0]
            decided = y != 0
            curve[k, j] = float((y[decided] > 0).float().mean())
            counts[k, j] = int(decided.sum())
    y0 = outputs[zero, -1, 0]
    return {"accuracy_per_context": per_context,
            "zero_coherence_fraction_positive": float((y0 > 0).float().mean()) if len(y0) else float("nan"),
            "psychometric": {"coherences": coherences, "fraction_positive": curve,
                             "decided_trials": counts, "probed_channel": 0}}
