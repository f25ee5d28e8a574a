"""Group files: named groups of models compared by the population analyses.

One group per line, ``LABEL model model …`` (whitespace-separated); models are names or
``.h5`` paths. ``#`` starts a comment; blank lines are ignored. Names resolve like any model
argument (``--models-dir``, ``$RNNTOOL_MODELS``, ``./models``, ``sample_models/``) and then in
the group file's own folder; relative paths are tried from the working directory and then
from the group file's folder. Every problem is reported with the file and line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rnntool.errors import ConfigError, ModelNotFoundError
from rnntool.storage.names import is_path, resolve_model
from rnntool.storage.text_file import read_input_text


class GroupFileError(ConfigError):
    """A group file is malformed or names a model that does not exist."""


@dataclass(frozen=True)
class ModelGroups:
    """Models in group-file order, each with the label of its group."""

    source: Path
    labels: tuple[str, ...]
    models: tuple[Path, ...]
    groups: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Model names (file stems), for tables and plots."""
        return tuple(p.stem for p in self.models)

    def members(self, label: str) -> list[int]:
        """Indices of the models in group ``label``."""
        return [i for i, g in enumerate(self.groups) if g == label]


def read_group_file(path: str | os.PathLike, models_dir: str | os.PathLike | None = None,
                    text: str | None = None) -> ModelGroups:
    """Parse and resolve a group file; any problem raises :class:`GroupFileError`.

    ``text`` gives the file's contents directly (a group file read from stdin); ``path``
    then only names it in messages and locates relative model paths.
    """
    path = Path(path)
    if text is None:
        text = read_input_text(path, "group file", GroupFileError)
    labels: list[str] = []
    models: list[Path] = []
    groups: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        where = f"{path}, line {number}"
        label, names = tokens[0], tokens[1:]
        if label in labels:
            raise GroupFileError(f"{where}: group {label!r} is defined twice")
        if not names:
            raise GroupFileError(f"{where}: group {label!r} lists no models")
        labels.append(label)
        for name in names:
            models.append(_resolve(name, path.parent, models_dir, where))
            groups.append(label)
    if not labels:
        raise GroupFileError(f"{path}: no groups (expected lines 'LABEL model model …')")
    return ModelGroups(path, tuple(labels), tuple(models), tuple(groups))


def _resolve(name: str, folder: Path, models_dir: str | os.PathLike | None, where: str) -> Path:
    try:
        if is_path(name):
            candidate = Path(name)
            if not candidate.is_absolute() and not candidate.is_file():
                candidate = folder / candidate
            return resolve_model(str(candidate))
        try:
            return resolve_model(name, models_dir)
        except ModelNotFoundError:
            return resolve_model(name, folder)
    except ModelNotFoundError:
        raise GroupFileError(f"{where}: model {name!r} not found") from None
    except ConfigError as err:
        raise GroupFileError(f"{where}: {err}") from None
