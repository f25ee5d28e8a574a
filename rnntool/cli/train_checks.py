"""Checks around a training run: will it fit in memory (before), did it diverge (after).

A diverged run (NaN or Inf in the loss) is a failure (exit 1), but the best validated model
is finite and is kept: the rules return the network with the best validation accuracy,
which a NaN network can never be. Only when even that holds NaN/Inf is nothing written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from rnntool.cli.options import check_memory
from rnntool.network import NetworkConfig
from rnntool.rules import LearningRule
from rnntool.storage import ModelRecord
from rnntool.storage.model_checks import first_nonfinite, nonfinite_weights

#: Copies of the recurrent weights a training run keeps (weights, gradient, Adam's moments).
WEIGHT_COPIES = 4


def check_network_size(config: NetworkConfig, rule: LearningRule) -> None:
    """Refuse a network whose weights alone cannot fit in this machine's memory."""
    members = int(getattr(rule, "population", 1) or 1)
    itemsize = 8 if config.dtype == "float64" else 4
    needed = float(members) * config.n_rec ** 2 * itemsize * WEIGHT_COPIES
    check_memory(needed, f"a network of {config.n_rec} units"
                         + (f" × {members} population members" if members > 1 else ""))


def finish_record(path: Path, record: ModelRecord,
                  write: Callable[[Path, ModelRecord], Path]) -> tuple[bool, str | None]:
    """Write a trained model unless its weights are not finite; return whether it was
    written and, when the training diverged, a one-line failure message."""
    bad = nonfinite_weights(record.weights)
    t = record.training
    unit = t.get("unit", "iteration")
    if bad:
        return False, (f"training of {record.name} diverged (NaN/Inf in {', '.join(bad)}) "
                       "before any model was validated; nothing written")
    write(path, record)
    loss = t.get("history", {}).get("loss", [])
    at = first_nonfinite(loss) if len(loss) else None
    if at is None:
        return True, None
    metric = t.get("primary_metric", "val_accuracy")
    best = t.get(f"best_{metric}", float("nan"))
    return True, (f"training of {record.name} diverged at {unit} {at} (loss "
                  f"{float(loss[at])}); kept the best finite model ({metric} {best:.4g} at "
                  f"{unit} {t.get('best_iteration', -1)}) in {path}")
