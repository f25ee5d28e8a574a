"""Task registry: tasks are created and rebuilt from stored configurations by name."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from rnntool.errors import ConfigError
from rnntool.tasks.base import Task

TASKS: dict[str, type[Task]] = {}


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator adding a task to the registry under ``cls.name``."""
    TASKS[cls.name] = cls
    return cls


def make_task(name: str, **settings: Any) -> Task:
    """Create the task registered as ``name``; settings that are None keep their defaults.

    Comma lists, ``FILE.py:Class`` and ``neurogym:ID`` names: see :mod:`rnntool.tasks.resolve`.
    """
    if name not in TASKS and ("," in name or ":" in name):
        from rnntool.tasks.resolve import special_task
        return special_task(name, settings)
    try:
        cls = TASKS[name]
    except KeyError:
        raise ConfigError(f"unknown task {name!r} (known: {', '.join(sorted(TASKS))})") from None
    known = {f.name for f in fields(cls)}
    unknown = {k for k, v in settings.items() if v is not None} - known
    if unknown:
        raise ConfigError(f"task {name!r} takes no setting(s) {', '.join(sorted(unknown))}")
    try:
        return cls(**{k: v for k, v in settings.items() if v is not None})
    except TypeError as err:
        raise ConfigError(f"bad settings for task {name!r}: {err}") from None


def task_from_config(config: dict[str, Any]) -> Task:
    """Rebuild a task from :meth:`Task.config`."""
    settings = dict(config)
    return make_task(settings.pop("name"), **settings)
