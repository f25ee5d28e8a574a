"""Shell completion of model names and registry names, without importing torch or h5py.

Model names are the ``*.h5`` stems in the models folder (``--models-dir``, ``$RNNTOOL_MODELS``
or ``./models``) and in the shipped ``sample_models/``; registry names (rules, tasks,
metrics, …) come from :mod:`rnntool.cli.catalogue`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Sequence

import click
from click.shell_completion import CompletionItem

from rnntool.cli.catalogue import PACKAGE, names

#: The shipped sample models (the same folder :mod:`rnntool.storage.names` falls back to;
#: not imported from there because that package imports h5py).
SAMPLE_MODELS = PACKAGE.parent / "sample_models"


def model_names(models_dir: str | None = None) -> list[str]:
    """Names that resolve to a model file, models folder first."""
    folders = [Path(models_dir or os.environ.get("RNNTOOL_MODELS") or "models"), SAMPLE_MODELS]
    found: dict[str, None] = {}
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.glob("*.h5")):
                found.setdefault(path.stem, None)
    return list(found)


def complete_models(ctx: click.Context, param: click.Parameter, incomplete: str
                    ) -> list[CompletionItem]:
    """Model names starting with ``incomplete``, then file paths (``.h5`` files)."""
    if "/" in incomplete or incomplete.endswith(".h5"):
        return [CompletionItem(incomplete, type="file")]
    matches = [CompletionItem(n, help="model")
               for n in model_names(ctx.params.get("models_dir")) if n.startswith(incomplete)]
    return matches or [CompletionItem(incomplete, type="file")]


class RegistryChoice(click.Choice):
    """A choice among registry names that are looked up only when needed (help, a given
    value, completion), through the cached :func:`~rnntool.cli.catalogue.names`."""

    def __init__(self, lookup: Callable[[dict[str, Any]], Sequence[str]]) -> None:
        self._lookup = lookup
        self._choices: tuple[str, ...] | None = None
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        if self._choices is None:
            self._choices = tuple(self._lookup(names()))
        return self._choices

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        self._choices = tuple(value)


def rule_choice() -> RegistryChoice:
    return RegistryChoice(lambda n: sorted(n["rules"]))


def task_choice() -> RegistryChoice:
    return RegistryChoice(lambda n: n["tasks"])


def task_names(ctx: click.Context, param: click.Parameter, incomplete: str
               ) -> list[CompletionItem]:
    """Registered task and environment names for a free-text ``--task`` (which also takes
    comma lists, FILE.py:Class and neurogym:ID)."""
    head, _, last = incomplete.rpartition(",")
    prefix = f"{head}," if head else ""
    return [CompletionItem(prefix + n) for n in names()["tasks"] if n.startswith(last)]


def cell_choice() -> RegistryChoice:
    return RegistryChoice(lambda n: n["cells"])


def preset_choice() -> RegistryChoice:
    return RegistryChoice(lambda n: n["presets"])


def nonlinearity_choice() -> RegistryChoice:
    return RegistryChoice(lambda n: n["nonlinearities"])


def metric_choice() -> RegistryChoice:
    return RegistryChoice(lambda n: n["metrics"])


def descriptor_choice() -> RegistryChoice:
    return RegistryChoice(lambda n: n["descriptors"])


def method_choice() -> RegistryChoice:
    return RegistryChoice(lambda n: n["finder_methods"])


SCRIPTS = {
    "bash": 'eval "$(_RNNTOOL_COMPLETE=bash_source rnntool)"',
    "zsh": 'eval "$(_RNNTOOL_COMPLETE=zsh_source rnntool)"',
    "fish": "_RNNTOOL_COMPLETE=fish_source rnntool | source",
}
