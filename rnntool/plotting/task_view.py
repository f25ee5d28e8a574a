"""What figures need to know about a task: channel names, trial conditions, phases and
how to group trials and constant inputs. Tasks may provide ``input_names`` themselves;
otherwise the names follow the task family (evidence tasks of McMahan et al. 2021,
flip-flop, anything else)."""

from __future__ import annotations

import numpy as np

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
    final = np.sign(batch.targets[i, -1].numpy())
    return "final target " + " ".join("+" if v > 0 else ("−" if v < 0 else "0") for v in final)


def trial_classes(batch: Batch) -> tuple[np.ndarray, list[str]]:
    """Class index per trial and class labels, from the signs of the final targets: the
    decision (+/−) for one output, the pattern of bits for several."""
    signs = np.sign(batch.targets[:, -1, :].numpy()).astype(int)
    symbols = {1: "+", -1: "−", 0: "0"}
    patterns = sorted({tuple(r) for r in signs.tolist()}, reverse=True)
    lookup = {p: k for k, p in enumerate(patterns)}
    prefix = "target " if signs.shape[1] == 1 else "final bits "
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

