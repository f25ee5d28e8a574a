"""Environment registry: closed-loop environments are created by name with checked settings."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from rnntool.envs.base import Environment
from rnntool.errors import ConfigError

ENVIRONMENTS: dict[str, type[Environment]] = {}


def register_environment(cls: type[Environment]) -> type[Environment]:
    """Class decorator adding an environment under ``cls.name``; a duplicate name is an error."""
    if ENVIRONMENTS.get(cls.name, cls) is not cls:
        raise ConfigError(f"environment {cls.name!r} is already registered")
    ENVIRONMENTS[cls.name] = cls
    return cls


def make_environment(name: str, **settings: Any) -> Environment:
    """Create the environment registered as ``name``; settings that are None keep defaults."""
    try:
        cls = ENVIRONMENTS[name]
    except KeyError:
        raise ConfigError(f"unknown environment {name!r} (known: {', '.join(sorted(ENVIRONMENTS))})") from None
    known = {f.name for f in fields(cls)}
    unknown = {k for k, v in settings.items() if v is not None} - known
    if unknown:
        raise ConfigError(f"environment {name!r} takes no setting(s) {', '.join(sorted(unknown))}")
    try:
        return cls(**{k: v for k, v in settings.items() if v is not None})
    except (TypeError, ValueError) as err:
        raise ConfigError(f"bad settings for environment {name!r}: {err}") from None


def task_or_environment(config: dict[str, Any]) -> Any:
    """Rebuild a stored task, or a stored environment (a closed-loop model's task)."""
    settings = dict(config)
    name = settings.pop("name")
    if name in ENVIRONMENTS:
        return make_environment(name, **settings)
    from rnntool.tasks import task_from_config

    return task_from_config(config)
