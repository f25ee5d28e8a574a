"""Checkpoints for exact resume, in HDF5 (no pickle), written atomically.

A checkpoint file (``format = "rnntool-checkpoint"``, ``schema_version = 1``) holds:

- attribute ``config``: JSON of everything needed to rebuild the run (names, seeds, task,
  rule, network and training settings);
- group ``weights``: every parameter with its member axis (K, …);
- group ``optimiser``: one subgroup per parameter index with its state tensors (datasets
  keep their dtype, so Adam's ``step`` counter round-trips exactly) and attribute
  ``param_groups`` (JSON);
- attribute ``schedule``: the learning-rate scheduler's state (JSON);
- group ``generators``: the state of every torch random stream (uint8 datasets);
- group ``monitor``: per member the history (float64 datasets), counters, stopping-rule
  state, best value, iteration and best weights; attribute ``seconds`` (time spent so far).

Resuming restores all of it, so a run killed at any point and resumed ends bit-identical to
an uninterrupted one (weights and history; wall-clock ``seconds`` excepted).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

from rnntool.errors import CorruptFileError
from rnntool.storage.atomic import atomic_path
from rnntool.storage.tree import read_tree, write_tree

FORMAT = "rnntool-checkpoint"
SCHEMA_VERSION = 1


def checkpoint_path(model_path: str | os.PathLike) -> Path:
    """``models/NAME.h5`` → ``models/NAME.ckpt.h5``."""
    path = Path(model_path)
    return path.with_name(path.stem + ".ckpt.h5")


@dataclass
class Checkpointer:
    """Writes a checkpoint every ``every`` units of progress (0: never) and holds the one
    to resume from, if any."""

    path: Path
    every: int = 0
    config: dict[str, Any] | None = None
    resume_from: dict[str, Any] | None = None

    def due(self, iteration: int) -> bool:
        return self.every > 0 and iteration % self.every == 0

    def save(self, state: dict[str, Any]) -> None:
        write_checkpoint(self.path, {**state, "config": self.config or {}})

    def discard(self) -> None:
        """Remove the checkpoint once the finished model is written."""
        if self.path.exists():
            self.path.unlink()


def write_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["schema_version"] = SCHEMA_VERSION
            f.attrs["config"] = json.dumps(state["config"])
            f.attrs["schedule"] = json.dumps(state["schedule"])
            write_tree(f.create_group("weights"), state["weights"])
            write_tree(f.create_group("generators"), state["generators"])
            opt = f.create_group("optimiser")
            opt.attrs["param_groups"] = json.dumps(state["optimiser"]["param_groups"])
            for index, entries in state["optimiser"]["state"].items():
                write_tree(opt.create_group(str(index)), entries)
            write_tree(f.create_group("monitor"), state["monitor"])
    return path


def read_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    path = Path(path)
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise CorruptFileError(f"{path}: not a readable checkpoint (truncated or corrupt?)") from None
    with f:
        if f.attrs.get("format") != FORMAT or int(f.attrs.get("schema_version", -1)) != SCHEMA_VERSION:
            raise CorruptFileError(f"{path}: not an rnntool checkpoint of schema {SCHEMA_VERSION}")
        opt = f["optimiser"]
        return {"config": json.loads(f.attrs["config"]), "schedule": json.loads(f.attrs["schedule"]),
                "weights": read_tree(f["weights"]), "generators": read_tree(f["generators"]),
                "optimiser": {"param_groups": json.loads(opt.attrs["param_groups"]),
                              "state": {int(k): read_tree(g) for k, g in opt.items()}},
                "monitor": read_tree(f["monitor"])}


def optimiser_state(optimiser: torch.optim.Optimizer) -> dict[str, Any]:
    """An optimiser's state as arrays and JSON-able groups."""
    sd = optimiser.state_dict()
    return {"param_groups": sd["param_groups"],
            "state": {i: {k: v.detach().cpu().numpy() for k, v in s.items() if torch.is_tensor(v)}
                      for i, s in sd["state"].items()}}


def load_optimiser_state(optimiser: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    optimiser.load_state_dict({
        "param_groups": state["param_groups"],
        "state": {int(i): {k: torch.from_numpy(np.array(v)) for k, v in s.items()}
                  for i, s in state["state"].items()}})


def generator_states(generators: dict[str, torch.Generator]) -> dict[str, np.ndarray]:
    return {name: g.get_state().numpy() for name, g in generators.items()}


def load_generator_states(generators: dict[str, torch.Generator], states: dict[str, Any]) -> None:
    for name, g in generators.items():
        g.set_state(torch.from_numpy(np.array(states[name], dtype=np.uint8)))
