"""The effective circuit of an IBL agent (Schaeffer et al. 2020): which units belong
together and how the groups are wired.

- **Correlation clustering:** the correlation matrix of the hidden units over the recorded
  steps (with the task variables trial side, trial side orthogonalised to the block side,
  block side and feedback appended as extra rows, for reading only); units are clustered
  hierarchically (complete linkage) by the Euclidean distance between their rows of the
  unit–unit correlation matrix, cut at ``cut`` × the largest merge distance; W_rec is
  reordered by cluster, with the mean, standard deviation and count of the weights from
  every cluster to every cluster.
- **Readout-based grouping:** each unit is binned by its components in the trial and block
  vectors (cutoff 0.15): "stim +", "stim −" (block component below the cutoff), "block +",
  "block −" (trial component below it), "remainder"; with the same weight statistics.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rnntool.errors import ConfigError, RnnToolError
from rnntool.storage.stored_analysis import StoredAnalysis

GROUP = "analyses/circuit"
STORED = StoredAnalysis(GROUP, "circuit analysis", "statespace")
TASK_VARIABLES = ("trial side", "trial side ⊥ block", "block side", "feedback")
READOUT_GROUPS = ("stim +", "stim −", "block +", "block −", "remainder")


@dataclass
class Circuit:
    """Unit groups and their connectivity (N units).

    Attributes:
        correlation: (N + 4, N + 4) correlations of units and task variables.
        cluster: (N,) cluster of each unit (0, 1, …); order: (N,) units sorted by cluster.
        cluster_weights: (C, C, 3) mean, std and count of W_rec from cluster j (column) to
            cluster i (row).
        readout_group: (N,) index into :data:`READOUT_GROUPS`; group_weights likewise.
        task_correlation: (C, 4) mean correlation of each cluster's units with the task
            variables.
        w_rec: (N, N) the recurrent weights analysed.
    """

    correlation: np.ndarray
    cluster: np.ndarray
    order: np.ndarray
    cluster_weights: np.ndarray
    task_correlation: np.ndarray
    readout_group: np.ndarray
    group_weights: np.ndarray
    w_rec: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)

    def to_tree(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "settings"}

    @classmethod
    def from_tree(cls, tree: dict[str, Any], settings: dict[str, Any]) -> "Circuit":
        return cls(**{k: tree[k] for k in cls.__dataclass_fields__ if k != "settings"},
                   settings=settings)


def recurrent_weights(network: Any) -> np.ndarray:
    """The unit-to-unit weights W_rec (N, N) of a cell whose recurrence acts on h alone."""
    cfg = network.config
    if cfg.cell not in ("ctrnn", "rnn", "rate"):
        raise ConfigError(f"the circuit analysis reads a single recurrent matrix; a {cfg.cell!r} "
                          "cell has gates")
    return np.asarray(network.to_numpy()["W_rec"], float)


def block_statistics(w: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """Mean, std and count of w[i, j] for every (label of i, label of j) pair (count, count, 3)."""
    out = np.full((count, count, 3), np.nan)
    for a in range(count):
        for b in range(count):
            block = w[np.ix_(labels == a, labels == b)]
            if block.size:
                out[a, b] = (block.mean(), block.std(), block.size)
            else:
                out[a, b, 2] = 0
    return out


def readout_groups(trial: np.ndarray, block: np.ndarray, cutoff: float = 0.15) -> np.ndarray:
    """Group of each unit by its trial- and block-vector components (see module docstring)."""
    t_big, b_big = np.abs(trial) >= cutoff, np.abs(block) >= cutoff
    group = np.full(len(trial), 4)
    group[t_big & ~b_big & (trial > 0)] = 0
    group[t_big & ~b_big & (trial < 0)] = 1
    group[b_big & ~t_big & (block > 0)] = 2
    group[b_big & ~t_big & (block < 0)] = 3
    return group


def circuit(rows: dict[str, np.ndarray], w_rec: np.ndarray, trial_vector: np.ndarray,
            block_vector: np.ndarray, cut: float = 0.5, cutoff: float = 0.15) -> Circuit:
    """The circuit analyses of a session table (see the module docstring)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if not 0 < cut < 1:
        raise ConfigError("cut must lie in (0, 1)")
    h = np.asarray(rows["hidden_state"], float)
    n = h.shape[1]
    side, block = rows["trial_side"].astype(float), rows["block_side"].astype(float)
    orth = side - (side @ block) / max(block @ block, 1e-300) * block
    extra = np.stack([side, orth, block, np.asarray(rows["previous_feedback"], float)], 1)
    data = np.concatenate([h, extra], 1)
    std = data.std(0)
    centred = (data - data.mean(0)) / np.where(std > 0, std, 1)
    corr = centred.T @ centred / len(data)
    corr[:, std == 0] = corr[std == 0, :] = 0
    units = corr[:n, :n]
    if n < 2:
        raise RnnToolError("clustering needs at least two units")
    tree = linkage(units, method="complete", metric="euclidean")
    cluster = fcluster(tree, cut * tree[:, 2].max(), criterion="distance") - 1
    order = np.lexsort((np.arange(n), cluster))
    count = int(cluster.max()) + 1
    task = np.stack([corr[:n, n:][cluster == c].mean(0) for c in range(count)])
    groups = readout_groups(trial_vector, block_vector, cutoff)
    return Circuit(correlation=corr, cluster=cluster, order=order,
                   cluster_weights=block_statistics(w_rec, cluster, count),
                   task_correlation=task, readout_group=groups,
                   group_weights=block_statistics(w_rec, groups, len(READOUT_GROUPS)),
                   w_rec=w_rec, settings={"cut": cut, "cutoff": cutoff})


def analyse_model(path: str | os.PathLike, space_settings: Any = None, cut: float = 0.5,
                  cutoff: float = 0.15) -> Circuit:
    """The circuit of a closed-loop model (its state space computed on the way)."""
    from rnntool.analysis.ibl_statespace import (StateSpaceSettings, initial_activity,
                                                 session_data, state_space)
    from rnntool.models import load_model

    model = load_model(path)
    w_rec = recurrent_weights(model.network)
    settings = space_settings or StateSpaceSettings()
    rows = session_data(model.network, model.task, settings.sessions, settings.blocks,
                        settings.seed)
    space = state_space(rows, model.record.weights["W_out"], initial_activity(model.network),
                        settings)
    return circuit(rows, w_rec, space.trial_vector, space.block_vector, cut, cutoff)


def store_circuit(path: str | os.PathLike, result: Circuit) -> Path:
    """Write ``result`` under ``analyses/circuit``; returns the file written."""
    return STORED.store(path, result.to_tree(), result.settings)


def has_circuit(path: str | os.PathLike) -> bool:
    return STORED.exists(path)


def load_circuit(path: str | os.PathLike) -> Circuit:
    return Circuit.from_tree(*STORED.load(path))
