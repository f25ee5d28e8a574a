"""Warnings for models whose place in a population comparison is not meaningful.

A nearly untrained network can have activity that a single direction dominates; SVCCA
then keeps one component, whose canonical correlation with any other model is close to 1,
so it lands at distance ≈ 0 from everyone. Networks without fixed-point structure (one
stable point, no saddles) have identical topology descriptors. Both look like perfect
similarity; these checks say so instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from rnntool.storage import read_group

#: SVD components below which SVCCA/PWCCA distances to a model are meaningless (trained
#: CDI networks keep 2 at 95 % variance; an untrained one often keeps 1).
MIN_COMPONENTS = 2


def training_warning(path: Path) -> str:
    """Why a model's training makes it a doubtful member, or ''."""
    training = read_group(path, "training") or {}
    if "converged" not in training or bool(training["converged"]):
        return ""
    best = training.get("best_val_accuracy", float("nan"))
    text = f"{best:.3f}" if best is not None and best >= 0 else "never validated"
    return f"did not reach its stopping criterion (best validation accuracy {text})"


def component_warning(components: int) -> str:
    """Warning for a model that keeps too few SVD components, or ''."""
    if 0 <= components < MIN_COMPONENTS:
        return (f"keeps only {components} SVD component: its activity is one-dimensional, "
                "so SVCCA distances to it are close to 0 whatever it computes")
    return ""


def fixed_point_warning(fixed: int, unstable: int, descriptor: str = "graph") -> str:
    """Warning for a model with no fixed-point structure to compare, or ''."""
    if fixed < 2:
        return f"has {fixed} fixed point(s): its topology descriptor is trivial"
    if unstable == 0 and descriptor == "graph":
        return (f"has no unstable fixed point ({fixed} stable): its fixed-point graph has no "
                "edges, so graph distances to it only compare the points' stability labels")
    return ""


def identical_pairs(names: Sequence[str], distances: np.ndarray) -> list[str]:
    """Warnings for pairs of different models at distance 0 (indistinguishable)."""
    d = np.asarray(distances)
    i, j = np.nonzero(np.triu(d <= 1e-12 * max(float(d.max()), 1.0), 1))
    return [f"{names[a]} and {names[b]} are at distance 0: the measure cannot tell them apart"
            for a, b in zip(i, j)]


def model_warnings(paths: Sequence[Path], extra: Sequence[str] | None = None) -> list[str]:
    """Per model, the warnings joined with '; ' ('' when none)."""
    out = []
    for k, path in enumerate(paths):
        parts = [w for w in (training_warning(path), extra[k] if extra else "") if w]
        out.append("; ".join(parts))
    return out
