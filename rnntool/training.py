"""Training a model end to end: build the network from a preset, fit it with a rule, record it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console

from rnntool import __version__
from rnntool.engine.checkpoint import Checkpointer
from rnntool.engine.monitor import Monitor, ScalarLogger, recorded_keys
from rnntool.engine.stopping import StopCriteria
from rnntool.engine.validation import ValidationSet
from rnntool.errors import ConfigError
from rnntool.network import CTRNN, NetworkConfig, preset_config
from rnntool.rules import LearningRule, get_rule, rule_from_model_name
from rnntool.runtime import tune_allocator
from rnntool.seeding import Seeds
from rnntool.storage import ModelRecord
from rnntool.tasks import Task


@dataclass
class TrainSettings:
    """Settings shared by every rule: seed, stopping rules, validation, device.

    ``stop`` lists stopping-rule specifications (``rnntool.engine.stopping``); None takes the
    task's defaults (McMahan et al. 2021's ``val_accuracy>=0.9 for 10`` for tasks with a
    correct answer). ``stop_threshold``/``stop_window``, when given, set the accuracy rule
    ``val_accuracy>=THRESHOLD for WINDOW`` (the earlier interface). The rule's ``max_iters``
    is always a budget.
    """

    seed: int = 0
    stop: tuple[str, ...] | None = None
    stop_window: int | None = None
    stop_threshold: float | None = None
    validation_trials: int = 2000
    validate_from: float = 0.75
    validate_every: int = 1
    device: str = "cpu"

    def config(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if v is not None}
        if self.stop is not None:
            out["stop"] = list(self.stop)
        return out

    def stop_specs(self, task: Task) -> list[str]:
        """The stopping rules for ``task`` (besides the budget)."""
        specs = list(task.stop_specs if self.stop is None else self.stop)
        if self.stop_window is not None or self.stop_threshold is not None:
            rule = (f"val_accuracy>={0.9 if self.stop_threshold is None else self.stop_threshold}"
                    f" for {10 if self.stop_window is None else self.stop_window}")
            specs = [s for s in specs if not s.replace(" ", "").startswith("val_accuracy>=")] + [rule]
        return specs

    def check(self) -> None:
        if self.validate_every < 1 or self.validation_trials < 1:
            raise ConfigError("validate_every and validation_trials must be ≥ 1")
        if self.stop_window is not None and self.stop_window < 1:
            raise ConfigError("the stopping window must be ≥ 1")


def rule_for(model_name: str, task: Task, explicit: str | None = None) -> type[LearningRule]:
    """The rule named explicitly, else by the model name's prefix, else the task's default."""
    if explicit is not None:
        return get_rule(explicit)
    try:
        return get_rule(rule_from_model_name(model_name))
    except ConfigError:
        if task.default_rule is None:
            raise
        return get_rule(task.default_rule)


def network_for(rule: type[LearningRule], task: Task, n_rec: int | None = None,
                preset: str | None = None, **overrides: Any) -> NetworkConfig:
    """The network a rule trains by default on ``task``, with explicit overrides.

    Defaults come from the task's :attr:`Task.network_defaults` first (``preset``,
    ``trainable``, ``n_rec`` and any network setting), then the rule.
    """
    task_net = dict(task.network_defaults)
    task_preset = task_net.pop("preset", None)
    n_rec = n_rec if n_rec is not None else int(task_net.pop("n_rec", 50))
    task_net.pop("n_rec", None)
    task_net.setdefault("trainable", tuple(rule.trainable))
    settings = {**task_net, **{k: v for k, v in overrides.items() if v is not None}}
    settings["trainable"] = tuple(settings["trainable"])
    return preset_config(preset or task_preset or rule.preset, task.n_in, n_rec, task.n_out,
                         **settings)


def stopping_for(task: Task, rule: LearningRule, settings: TrainSettings) -> StopCriteria:
    """The stopping rules of a run, checked against the metrics it records (ConfigError)."""
    settings.check()
    stopping = StopCriteria.from_specs(settings.stop_specs(task), rule.max_iters)
    stopping.check_metrics(recorded_keys(task))
    return stopping


def make_monitor(task: Task, rule: LearningRule, settings: TrainSettings, seeds: Seeds | list[Seeds],
                 state_size: int, console: Console | None = None) -> Monitor:
    """The monitor of one run (``seeds`` a Seeds) or of a batched ensemble (a list)."""
    stopping = stopping_for(task, rule, settings)
    validation = ValidationSet.create(task, seeds, state_size, settings.validation_trials,
                                      settings.validate_from)
    members = len(seeds) if isinstance(seeds, list) else 1
    return Monitor(task, validation, stopping, rule.unit, console, members, settings.validate_every)


def model_record(name: str, task: Task, rule: LearningRule, net: CTRNN, monitor: Monitor,
                 settings: TrainSettings, seed: int, member: int = 0,
                 final_metrics: dict[str, Any] | None = None) -> ModelRecord:
    """The record of member ``member``: weights, configuration, history and summary.

    ``final_metrics`` (name → (K,)) are the trained networks' validation metrics when
    already computed.
    """
    trained = net.member(member) if net.members > 1 else net
    summary = monitor.summary(member)
    scores = final_metrics if final_metrics is not None else monitor.validation.metrics(net, task)
    final = {f"final_val_{k}": float(v[member]) for k, v in scores.items()}
    training = {"history": monitor.history_arrays(member), **summary, **final,
                "settings": {**settings.config(), "seed": seed}}
    return ModelRecord(name=name, task=task.config(), network=trained.config.to_dict(),
                       rule=rule.config(), seed=seed, weights=trained.to_numpy(),
                       training=training, version=__version__)


def check_checkpointing(rule: LearningRule, checkpointer: Checkpointer | None) -> None:
    """ConfigError if checkpoints are asked of a rule that cannot resume exactly."""
    if checkpointer is not None and not getattr(rule, "checkpoints", False):
        raise ConfigError(f"checkpoints and --resume are available for bptt, not {rule.name!r}")


def train(name: str, task: Task, rule: LearningRule, net_config: NetworkConfig,
          settings: TrainSettings, console: Console | None = None,
          checkpointer: Checkpointer | None = None, logger: ScalarLogger | None = None) -> ModelRecord:
    """Train one model and return its record (not yet written to disk).

    ``checkpointer`` writes checkpoints and may hold one to resume from; ``logger``
    receives every recorded scalar (TensorBoard).
    """
    check_checkpointing(rule, checkpointer)
    tune_allocator()
    seeds = Seeds(settings.seed)
    net = CTRNN.initialise(net_config, seeds.generator("init"), device=settings.device)
    with make_monitor(task, rule, settings, seeds, net.state_size, console) as monitor:
        monitor.checkpointer, monitor.logger = checkpointer, logger
        trained = rule.fit(net, task, seeds, monitor)
    return model_record(name, task, rule, trained, monitor, settings, settings.seed)
