"""One analysis result kept in one group of a model file, with its settings.

The IBL analyses (state space, vector field, circuit) each store a tree of arrays under
``analyses/<name>`` with the settings that produced it as a JSON attribute, ask whether it is
there, and read it back; :class:`StoredAnalysis` does those three things once for all of them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnntool.errors import RnnToolError
from rnntool.storage.model_file import list_groups, read_group, update_model
from rnntool.storage.tree import Tree


@dataclass(frozen=True)
class StoredAnalysis:
    """Where an analysis lives in a model file and how to tell a user it is missing.

    Attributes:
        group: '/'-separated group path, e.g. ``analyses/statespace``.
        what: the analysis in words, for the error when it is missing ("state space").
        command: the ``rnntool`` subcommand that computes it ("statespace").
    """

    group: str
    what: str
    command: str

    def store(self, path: str | os.PathLike, tree: Tree, settings: dict[str, Any]) -> Path:
        """Replace the group with ``tree`` and ``settings``, atomically; the file written
        (a shipped sample model's copy in the models folder, see :func:`update_model`)."""
        return update_model(path, self.group, tree, {"settings": settings})

    def exists(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` holds this analysis."""
        parent, _, name = self.group.rpartition("/")
        return name in list_groups(path, parent)

    def load(self, path: str | os.PathLike) -> tuple[Tree, dict[str, Any]]:
        """The stored tree (without the settings) and the settings; RnnToolError naming the
        subcommand to run when the analysis is missing."""
        tree = read_group(path, self.group)
        if tree is None:
            raise RnnToolError(f"{path}: no {self.what} (run rnntool {self.command} first)")
        settings = tree.pop("settings", "{}")
        return tree, json.loads(settings) if isinstance(settings, str) else settings
