"""What figures need to know about a task: channel names, trial conditions, phases and
how to group trials and constant inputs. Tasks may provide ``input_names`` themselves;
otherwise the names follow the task family (evidence tasks of McMahan et al. 2021,
flip-flop, anything else)."""

from __future__ import annotations

import numpy as np
import torch

from rnntool.tasks.base import Batch, Task
from rnntool.tasks.evidence import EvidenceTask

#: Decision-task panels as fractions of the trial (McMahan et al. 2021: steps 0–50, 50–200,
#: 200–750): stimulus onset, integration, decision.
DECISION_PHASES = (("early", 0.0, 1 / 15), ("middle", 1 / 15, 4 / 15), ("late", 4 / 15, 1.0))


def input_names(task: Task) -> list[str]:
    """A readable name per input channel."""
    given = getattr(task, "input_names", None)
    if given:
        return list(given)
    if isinstance(task, EvidenceTask):
        k = task.n_contexts
        if k == 0:
            return ["motion evidence"]
        return [f"evidence {c}" for c in range(task.n_sensory)] + [f"context cue {c}" for c in range(k)]
    if task.name == "flipflop":
        return [f"bit {b} pulses" for b in range(task.n_in)]
    return [f"input {c}" for c in range(task.n_in)]


def phases(task: Task) -> tuple[tuple[str, float, float], ...]:
    """Panels of the trajectory figure: decision phases for evidence tasks, else the whole trial."""
    return DECISION_PHASES if isinstance(task, EvidenceTask) else (("whole trials", 0.0, 1.0),)


def condition_text(task: Task, batch: Batch, i: int) -> str:
    """One line describing trial ``i``'s condition."""
    c = batch.conditions
    if isinstance(task, EvidenceTask) and "coherence" in c:
        parts = []
        if task.n_contexts:
            parts.append(f"context {int(c['context'][i])} cued")
        coherence = float(c["coherence"][i])
        signs = np.atleast_1d(np.asarray(c["signs"][i]))
        signed = ", ".join(f"{coherence * s:+.3f}" for s in signs)
        parts.append(f"coherence {signed}" + (" (per evidence channel)" if signs.size > 1 else ""))
        parts.append(f"target {float(c['target'][i]):+g}" if "target" in c else "")
        return ", ".join(p for p in parts if p)
    described = _condition_items(c, i)
    if described:
        return described
    final = np.sign(final_targets(batch)[i])
    return "final target " + " ".join("+" if v > 0 else ("−" if v < 0 else "0") for v in final)


def _condition_items(conditions: dict, i: int) -> str:
    """``task delaygo, stimulus 2``: trial ``i``'s scalar conditions (timing records left
    out; of a task list, the trial's own task's only)."""
    items, prefix = [], ""
    names = [k.split(".", 1)[0] for k in conditions if "." in k]
    if "task" in conditions and names:
        own = list(dict.fromkeys(names))[int(conditions["task"][i])]
        items.append(f"task {own}")
        prefix = own + "."
    for key, value in conditions.items():
        short = key[len(prefix):] if prefix and key.startswith(prefix) else (None if prefix else key)
        if short is None or short in TIMING or key == "task" or value.dim() != 1:
            continue
        items.append(f"{short} {float(value[i]):g}")
    return ", ".join(items)


#: per-trial timing records of period-based tasks, not conditions
TIMING = ("durations", "onsets", "length")


def final_targets(batch: Batch) -> np.ndarray:
    """Each trial's target at its last scored step (B, n_out): trials padded past their end
    are judged by their own end, not by the padding."""
    scored = batch.mask.sum(-1) > 0
    steps = torch.arange(scored.shape[1])
    last = torch.where(scored, steps, -1).max(1).values.clamp(min=0)
    return batch.targets[torch.arange(len(batch)), last].numpy()


def example_pool(task: Task, generator: torch.Generator) -> Batch:
    """Trials to pick example trials from: a validation set covering every condition (and
    every task of a list) where the task has one, else 64 fresh trials."""
    if hasattr(task, "all_conditions") or hasattr(task, "tasks"):
        return task.validation_batch(generator, 512)
    return task.sample(64, generator)


def trial_keys(batch: Batch) -> np.ndarray:
    """A key per trial that differs between conditions worth showing apart: the final
    target class, the cued context and the task of a list."""
    classes, _ = trial_classes(batch)
    key = classes.astype(np.int64) * 1000
    for extra in ("context", "task"):
        if extra in batch.conditions and batch.conditions[extra].dim() == 1:
            key = key * 100 + batch.conditions[extra].numpy().astype(np.int64)
    return key


def trial_end(batch: Batch, i: int) -> int | None:
    """Trial ``i``'s length in steps when shorter than the batch (padded), else None."""
    # a task list records each task's lengths as NAME.length, zero in other tasks' trials
    lengths = [v for k, v in batch.conditions.items()
               if (k == "length" or k.endswith(".length")) and v.dim() == 1]
    length = int(sum(int(v[i]) for v in lengths))
    return length if 0 < length < batch.inputs.shape[1] else None


def trial_classes(batch: Batch, task: Task | None = None) -> tuple[np.ndarray, list[str]]:
    """Class index per trial and class labels, from the final targets: the answer channel
    by name where the task names its outputs and answers on at most one of them (CDDM
    "answer right", a delay task's "answer response 1", "no answer"), else the signs: the
    decision (+/−) for one output, the pattern of bits (flip-flop) or of target signs."""
    final = final_targets(batch)
    names = tuple(getattr(task, "output_names", ()) or ())
    if len(names) == final.shape[1] > 1 and (final >= 0).all() and ((final > 0).sum(1) <= 1).all():
        answer = np.where((final > 0).any(1), final.argmax(1), len(names))
        present = sorted(set(answer.tolist()))
        lookup = {a: k for k, a in enumerate(present)}
        return (np.array([lookup[a] for a in answer.tolist()]),
                [f"answer {names[a]}" if a < len(names) else "no answer" for a in present])
    signs = np.sign(final).astype(int)
    symbols = {1: "+", -1: "−", 0: "0"}
    patterns = sorted({tuple(r) for r in signs.tolist()}, reverse=True)
    lookup = {p: k for k, p in enumerate(patterns)}
    prefix = ("target " if signs.shape[1] == 1 else
              "final bits " if getattr(task, "name", None) == "flipflop" else "final target signs ")
    return (np.array([lookup[tuple(r)] for r in signs.tolist()]),
            [prefix + "".join(symbols[s] for s in p) for p in patterns])


def input_groups(task: Task, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    """Group constant inputs for colouring: (group per input, value per input, group names,
    value name). Evidence tasks: group = cued context, value = input on its evidence
    channel; otherwise one group, value = position in the set."""
    inputs = np.asarray(inputs, float)
    m = inputs.shape[0]
    if isinstance(task, EvidenceTask) and inputs.shape[1] == task.n_in:
        k = task.n_contexts
        if k == 0:
            return np.zeros(m, int), inputs[:, 0], ["RDM"], "u (motion evidence)"
        cues = inputs[:, task.n_sensory:]
        groups = np.where(cues.max(1) > 0, cues.argmax(1), -1)
        if (groups >= 0).all():
            values = inputs[np.arange(m), groups % task.n_sensory]
            return groups, values, [f"context {g} cued" for g in range(k)], "u on the cued channel"
    return np.zeros(m, int), np.arange(m, dtype=float), ["inputs"], "input (set order)"

