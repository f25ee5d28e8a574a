"""Task registry: tasks are created and rebuilt from stored configurations by name."""

from __future__ import annotations

from typing import Any

from rnntool.registry import Registry
from rnntool.tasks.base import Task

TASKS: Registry[type[Task]] = Registry("task")


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator adding a task to the registry under ``cls.name`` (a taken name is an error)."""
    return TASKS.register(cls.name, cls)


def make_task(name: str, **settings: Any) -> Task:
    """Create the task registered as ``name``; settings that are None keep their defaults.

    Comma lists, ``FILE.py:Class`` and ``neurogym:ID`` names: see :mod:`rnntool.tasks.resolve`.
    """
    if name not in TASKS and ("," in name or ":" in name):
        from rnntool.tasks.resolve import special_task
        return special_task(name, settings)
    return TASKS.make(name, **settings)


def task_from_config(config: dict[str, Any]) -> Task:
    """Rebuild a task from :meth:`Task.config`."""
    settings = dict(config)
    return make_task(settings.pop("name"), **settings)
