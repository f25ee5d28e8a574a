"""Loading a stored model as a ready network and task."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rnntool.envs import Environment
from rnntool.envs.registry import task_or_environment
from rnntool.network import Network
from rnntool.storage import ModelRecord, read_model
from rnntool.tasks import Task


@dataclass
class Model:
    """A model file opened for analysis: its record, network (K = 1) and task."""

    path: Path
    record: ModelRecord
    network: Network
    task: Task | Environment


def load_model(path: str | os.PathLike, device: str = "cpu") -> Model:
    """Open a model file; the dynamics come from its stored configuration, never its name."""
    record = read_model(path)
    net = Network.from_numpy(record.network_config(), record.weights, device)
    return Model(Path(path), record, net, task_or_environment(record.task))
