"""Training a model end to end: build the network from a preset, fit it with a rule, record it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console

from rnntool import __version__
from rnntool.network import CTRNN, NetworkConfig, preset_config
from rnntool.rules import LearningRule, Monitor, StoppingRule, ValidationSet
from rnntool.runtime import tune_allocator
from rnntool.seeding import Seeds
from rnntool.storage import ModelRecord
from rnntool.tasks import Task


@dataclass
class TrainSettings:
    """Settings shared by every rule: seed, stopping rule, validation, device."""

    seed: int = 0
    stop_window: int = 10
    stop_threshold: float = 0.9
    validation_trials: int = 2000
    validate_from: float = 0.75
    device: str = "cpu"

    def config(self) -> dict[str, Any]:
        return dict(self.__dict__)


def network_for(rule: type[LearningRule], task: Task, n_rec: int = 50,
                preset: str | None = None, **overrides: Any) -> NetworkConfig:
    """The network a rule trains by default on ``task``, with explicit overrides.

    Defaults come from the task's :attr:`Task.network_defaults` first, then the rule.
    """
    task_net = task.network_defaults
    overrides.setdefault("trainable", tuple(task_net.get("trainable", rule.trainable)))
    return preset_config(preset or task_net.get("preset") or rule.preset, task.n_in, n_rec,
                         task.n_out, **overrides)


def train(name: str, task: Task, rule: LearningRule, net_config: NetworkConfig,
          settings: TrainSettings, console: Console | None = None) -> ModelRecord:
    """Train one model and return its record (not yet written to disk)."""
    tune_allocator()
    seeds = Seeds(settings.seed)
    net = CTRNN.initialise(net_config, seeds.generator("init"), device=settings.device)
    validation = ValidationSet.create(task, seeds, net.state_size, settings.validation_trials,
                                      settings.validate_from)
    stopping = StoppingRule(settings.stop_window, settings.stop_threshold, rule.max_iters)
    with Monitor(task, validation, stopping, rule.unit, console) as monitor:
        trained = rule.fit(net, task, seeds, monitor)
    summary = monitor.summary()
    summary["final_val_accuracy"] = float(validation.accuracy(trained, task)[0])
    training = {"history": monitor.history_arrays(), **summary, "settings": settings.config()}
    return ModelRecord(name=name, task=task.config(), network=trained.config.to_dict(),
                       rule=rule.config(), seed=settings.seed, weights=trained.to_numpy(),
                       training=training, version=__version__)

