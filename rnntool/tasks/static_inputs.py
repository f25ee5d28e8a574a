"""Sets of constant inputs at which fixed points are sought, with readable labels.

McMahan et al. 2021's sets (``large``, ``small``, ``sparse``) are defined for RDM and for N-CDI with any
number of contexts K (the original hard-coded K = 2 for ``large`` and ``sparse``). Values on
one channel are ordered from 0 outward (0, −a, +a, −2a, …) and N-CDI rows are interleaved by
context: row i·K + k holds value i on sensory channel k with cue k on.
"""

from __future__ import annotations

import numpy as np

from rnntool.errors import ConfigError

EVIDENCE_MODES = ("large", "small", "sparse")
NAMED_SETS = ("zeros", "pulses")


def _outward(values: np.ndarray) -> np.ndarray:
    """Values sorted by magnitude, negative first on ties: 0, −a, +a, −2a, +2a, …"""
    values = np.round(np.asarray(values, dtype=float), 12)
    return values[np.lexsort((values, np.abs(values)))]


def rdm_levels(mode: str) -> np.ndarray:
    """McMahan et al. 2021's RDM static inputs for ``mode``."""
    if mode == "large":
        return _outward(np.array([0.5, 0.2, 0.0, -0.2, -0.5]))
    if mode == "small":
        return _outward(0.03 * np.linspace(-1.0, 1.0, 21))
    if mode == "sparse":
        return _outward(0.03 * np.linspace(-1.0, 1.0, 11))
    raise ConfigError(f"unknown static-input mode {mode!r} (known: {', '.join(EVIDENCE_MODES)})")


def cdi_levels(mode: str) -> np.ndarray:
    """McMahan et al. 2021's per-context levels on the attended channel for N-CDI."""
    grids = {"large": (0.4, 5), "small": (0.02, 21), "sparse": (0.02, 11)}
    if mode not in grids:
        raise ConfigError(f"unknown static-input mode {mode!r} (known: {', '.join(EVIDENCE_MODES)})")
    bound, count = grids[mode]
    return _outward(np.linspace(-bound, bound, count))


def evidence_inputs(mode: str, contexts: int) -> tuple[np.ndarray, list[str]]:
    """Static inputs for RDM (``contexts = 0``) or N-CDI with K = ``contexts``: (M, n_in), labels."""
    if contexts == 0:
        levels = rdm_levels(mode)
        return levels[:, None], [f"u={v:+.3g}" for v in levels]
    levels = cdi_levels(mode)
    rows, labels = [], []
    for value in levels:
        for k in range(contexts):
            row = np.zeros(2 * contexts)
            row[k] = value
            row[contexts + k] = 1.0
            rows.append(row)
            labels.append(f"ctx {k}, u={value:+.3g}")
    return np.array(rows), labels


def constant_inputs(name: str, n_in: int) -> tuple[np.ndarray, list[str]]:
    """Named sets for any task: ``zeros`` (one all-zero input) or ``pulses`` (0 and ±1 on each channel)."""
    if name == "zeros":
        return np.zeros((1, n_in)), ["zero input"]
    if name == "pulses":
        eye = np.eye(n_in)
        rows = np.concatenate([np.zeros((1, n_in)), -eye, eye])
        labels = ["zero input"] + [f"ch {i} = -1" for i in range(n_in)] + [f"ch {i} = +1" for i in range(n_in)]
        return rows, labels
    raise ConfigError(f"unknown input set {name!r} (known: {', '.join(NAMED_SETS)}, or a "
                      ".txt/.csv/.npy file)")


def interpolated_inputs(start: np.ndarray, end: np.ndarray, steps: int) -> tuple[np.ndarray, list[str]]:
    """``steps`` inputs evenly spaced from ``start`` to ``end`` (both included)."""
    if steps < 2:
        raise ConfigError("--steps must be at least 2")
    start, end = np.asarray(start, float).ravel(), np.asarray(end, float).ravel()
    if start.shape != end.shape:
        raise ConfigError("the two interpolation end points have different lengths")
    w = np.linspace(0.0, 1.0, steps)
    return (1 - w)[:, None] * start + w[:, None] * end, [f"s={s:.3g}" for s in w]
