"""One registry type for everything looked up by name: tasks, rules, cells, metrics,
nonlinearities, presets.

A :class:`Registry` is a read-only mapping from names to entries. Registering a name twice
is an error (nothing is silently replaced), an unknown name is a one-line
:class:`~rnntool.errors.ConfigError` listing the known ones, and settings are checked the
same way everywhere by :func:`check_settings`: a setting the entry does not take is an
error, a setting given as None keeps its default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, Callable, Generic, Iterable, TypeVar

from rnntool.errors import ConfigError

T = TypeVar("T")


def check_settings(kind: str, name: str, settings: dict[str, Any],
                   known: Iterable[str]) -> dict[str, Any]:
    """The settings that are not None; ConfigError if any is not in ``known``."""
    given = {k: v for k, v in settings.items() if v is not None}
    unknown = set(given) - set(known)
    if unknown:
        raise ConfigError(f"{kind} {name!r} takes no setting(s) {', '.join(sorted(unknown))} "
                          f"(it takes: {', '.join(sorted(known)) or 'none'})")
    return given


def dataclass_settings(cls: type) -> tuple[str, ...]:
    """The init fields of a dataclass: the settings it takes."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)


class Registry(Mapping[str, T], Generic[T]):
    """Named entries of one kind (``kind`` names it in error messages)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T) -> T:
        """Add ``entry`` under ``name``; a name already taken is a ConfigError."""
        if name in self._entries:
            raise ConfigError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry
        return entry

    def add(self, name_attr: str = "name") -> Callable[[T], T]:
        """Class decorator registering a class under its ``name`` attribute."""
        def decorate(entry: T) -> T:
            return self.register(getattr(entry, name_attr), entry)
        return decorate

    def get(self, name: str, default: Any = ...) -> T:  # type: ignore[override]
        """The entry ``name``; an unknown name is a ConfigError listing the known ones."""
        try:
            return self._entries[name]
        except KeyError:
            if default is not ...:
                return default
            raise ConfigError(f"unknown {self.kind} {name!r} "
                              f"(known: {', '.join(sorted(self._entries))})") from None

    def make(self, name: str, **settings: Any) -> Any:
        """Instantiate the dataclass registered as ``name`` with checked settings."""
        cls = self.get(name)
        given = check_settings(self.kind, name, settings, dataclass_settings(cls))
        try:
            return cls(**given)
        except TypeError as err:
            raise ConfigError(f"bad settings for {self.kind} {name!r}: {err}") from None

    def __getitem__(self, name: str) -> T:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"
