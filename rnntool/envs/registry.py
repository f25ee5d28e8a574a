"""Environment registry: closed-loop environments are created by name with checked settings."""

from __future__ import annotations

from typing import Any

from rnntool.envs.base import Environment
from rnntool.errors import ConfigError
from rnntool.registry import Registry

ENVIRONMENTS: Registry[type[Environment]] = Registry("environment")


def register_environment(cls: type[Environment]) -> type[Environment]:
    """Class decorator adding an environment under ``cls.name``; a taken name is an error."""
    return ENVIRONMENTS.register(cls.name, cls)


def make_environment(name: str, **settings: Any) -> Environment:
    """Create the environment registered as ``name``; settings that are None keep defaults."""
    try:
        return ENVIRONMENTS.make(name, **settings)
    except ValueError as err:
        raise ConfigError(f"bad settings for environment {name!r}: {err}") from None


def task_or_environment(config: dict[str, Any]) -> Any:
    """Rebuild a stored task, or a stored environment (a closed-loop model's task)."""
    settings = dict(config)
    name = settings.pop("name")
    if name in ENVIRONMENTS:
        return make_environment(name, **settings)
    from rnntool.tasks import task_from_config

    return task_from_config(config)
