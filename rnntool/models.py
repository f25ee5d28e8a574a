"""Loading a stored model as a ready network and task."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rnntool.errors import ConfigError, CorruptFileError
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
    try:
        net = Network.from_numpy(record.network_config(), record.weights, device)
        task = task_or_environment(record.task)
    except ConfigError as err:
        raise CorruptFileError(f"{path}: stored configuration refused ({err})") from None
    except (TypeError, ValueError, KeyError, AttributeError) as err:
        raise CorruptFileError(f"{path}: damaged stored configuration ({err})") from None
    return Model(Path(path), record, net, task)


def open_loop(model: Model, analysis: str) -> Model:
    """``model`` itself when its task is open-loop; a one-line ConfigError naming the
    analysis for a closed-loop model (environments have no trial batches to probe)."""
    if isinstance(model.task, Environment):
        raise ConfigError(f"{model.path}: {analysis} needs an open-loop task, and "
                          f"{model.record.name} was trained in the closed-loop environment "
                          f"{model.task.name!r}")
    return model
