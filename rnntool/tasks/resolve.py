"""Task names beyond the registry: task lists, tasks in the user's own files, neurogym tasks.

- ``delaygo,delayanti`` — a :class:`~rnntool.tasks.multitask.MultiTask` of registered tasks;
  each setting goes to every task that has it (``mix`` to the list itself).
- ``path/to/file.py:ClassName`` — a :class:`~rnntool.tasks.base.Task` subclass defined in the
  user's file (see ``docs/user_tasks.md``). The model file stores the path, the class name
  and the settings; rebuilding the task needs the file.
- ``neurogym:ENV_ID`` — a neurogym environment (optional extra).
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from rnntool.errors import ConfigError
from rnntool.tasks.base import Task


def special_task(name: str, settings: dict[str, Any]) -> Task:
    """The task a list, file or neurogym name stands for."""
    settings = {k: v for k, v in settings.items() if v is not None}
    if "," in name:
        return _task_list(name, settings)
    from rnntool.tasks.neurogym_task import PREFIX, NeurogymTask
    if name.startswith(PREFIX):
        return _construct(NeurogymTask, name, {**settings, "env_id": name[len(PREFIX):]})
    return _file_task(name, settings)


def _task_list(name: str, settings: dict[str, Any]) -> Task:
    from rnntool.tasks.multitask import MultiTask, multitask_settings
    from rnntool.tasks.registry import TASKS, make_task, task_from_config
    if "tasks" in settings:  # rebuilt from a stored configuration
        return MultiTask(tuple(task_from_config(c) for c in settings["tasks"]),
                         settings.get("mix", "batch"))
    names = [n.strip() for n in name.split(",") if n.strip()]
    unknown = [n for n in names if n not in TASKS]
    if unknown:
        raise ConfigError(f"unknown task(s) {', '.join(unknown)} in the list {name!r} "
                          f"(known: {', '.join(sorted(TASKS))})")
    own, per_task = multitask_settings([TASKS[n] for n in names], settings)
    return MultiTask(tuple(make_task(n, **s) for n, s in zip(names, per_task)), **own)


def _construct(cls: type[Task], name: str, settings: dict[str, Any]) -> Task:
    known = {f.name for f in fields(cls)}
    unknown = set(settings) - known
    if unknown:
        raise ConfigError(f"task {name!r} takes no setting(s) {', '.join(sorted(unknown))}")
    try:
        return cls(**settings)
    except TypeError as err:
        raise ConfigError(f"bad settings for task {name!r}: {err}") from None


def _file_task(name: str, settings: dict[str, Any]) -> Task:
    path_text, _, class_name = name.rpartition(":")
    path = Path(path_text).expanduser()
    if not path_text.endswith(".py") or not class_name:
        raise ConfigError(f"task {name!r}: expected a registered name, a comma list, "
                          "neurogym:ENV_ID or FILE.py:ClassName")
    if not path.is_file():
        raise ConfigError(f"task {name!r}: the file {path} that defines it does not exist")
    source = path.read_bytes()
    module_name = f"rnntool_user_task_{hashlib.sha256(source).hexdigest()[:16]}"
    module = sys.modules.get(module_name)
    if module is None:
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as err:
            del sys.modules[module_name]
            raise ConfigError(f"task file {path} failed to load: {type(err).__name__}: {err}") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Task) and is_dataclass(cls)):
        raise ConfigError(f"{path} defines no dataclass {class_name!r} deriving from rnntool.tasks.Task")
    settings = {k: v for k, v in settings.items() if k != "source"}
    source = {"path": str(path.resolve()), "class": class_name,
              "sha256": hashlib.sha256(source).hexdigest()}
    return _construct(_with_source(cls, source), name, settings)


def _with_source(cls: type[Task], source: dict[str, str]) -> type[Task]:
    """``cls`` whose stored configuration names the file and class it came from."""
    def config(self: Task) -> dict[str, Any]:
        return {"name": f"{source['path']}:{source['class']}", "source": dict(source),
                **{f.name: getattr(self, f.name) for f in fields(self)}}
    return type(cls.__name__, (cls,), {"config": config, "__module__": cls.__module__,
                                       "__doc__": cls.__doc__})
