"""The library objects a grid cell describes: its task, learning rule, network and training
settings, built exactly as ``rnntool train`` builds them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from rnntool.errors import ConfigError
from rnntool.network import NetworkConfig
from rnntool.rules import LearningRule, get_rule
from rnntool.sweeps.spec import Cell, CellSettingError
from rnntool.tasks import TASKS, Task, make_task
from rnntool.training import TrainSettings, network_for


@dataclass
class CellObjects:
    """What one model of a cell is trained with (``seed`` set per model)."""

    task: Task
    rule: LearningRule
    network: NetworkConfig
    settings: TrainSettings

    def expected_config(self) -> dict[str, Any]:
        """The configuration a model file trained with these objects stores."""
        return {"task": self.task.config(), "rule": self.rule.config(),
                "network": self.network.to_dict(), "seed": self.settings.seed}


def _blame(section: str, given: dict[str, Any], rule: str, err: Exception) -> CellSettingError:
    """Point an error at the first given key its message names, else at the section."""
    text = str(err)
    key = next((k for k in given if k in text), None)
    return CellSettingError(section, key, rule, text)


def cell_task(cell: Cell) -> Task:
    """The cell's task (``name`` defaults to cdi, like ``rnntool train``)."""
    settings = dict(cell.task)
    name = settings.pop("name", "cdi")
    if name not in TASKS:
        raise CellSettingError("task", "name", cell.rule,
                               f"unknown task {name!r} (known: {', '.join(sorted(TASKS))})")
    cls = TASKS[name]
    known = {f.name for f in fields(cls)}
    for key in settings:
        if key not in known:
            raise CellSettingError("task", key, cell.rule,
                             f"task {name!r} has no setting {key!r} (known: {', '.join(sorted(known))})")
    try:
        return make_task(name, **settings)
    except (ConfigError, TypeError, ValueError) as err:
        raise _blame("task", settings, cell.rule, err) from None


def cell_objects(cell: Cell, seed: int) -> CellObjects:
    """Build (and so check) everything a model of ``cell`` with ``seed`` is trained with."""
    task = cell_task(cell)
    rule_cls = get_rule(cell.rule)
    known = {f.name for f in fields(rule_cls)}
    for key in cell.options:
        if key not in known:
            raise CellSettingError("opt", key, cell.rule, f"rule {cell.rule!r} has no option {key!r} "
                                                    f"(known: {', '.join(sorted(known))})")
    net = dict(cell.network)
    n_rec, preset = net.pop("n_rec", 50), net.pop("preset", None)
    if "trainable" in net and isinstance(net["trainable"], str):
        net["trainable"] = tuple(t.strip() for t in net["trainable"].split(",") if t.strip())
    try:
        config = network_for(rule_cls, task, n_rec, preset, **net)
    except (ConfigError, TypeError, ValueError) as err:
        raise _blame("network", {"n_rec": n_rec, "preset": preset, **net}, cell.rule, err) from None
    try:
        rule = rule_cls.create(task, cell=config.cell, **cell.options)
    except (ConfigError, TypeError, ValueError) as err:
        raise _blame("opt", cell.options, cell.rule, err) from None
    try:
        settings = TrainSettings(seed=seed, **cell.train)
    except TypeError as err:
        raise _blame("train", cell.train, cell.rule, err) from None
    return CellObjects(task, rule, config, settings)
