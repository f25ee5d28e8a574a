"""Checks of population-command options against the models they will compare."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from rnntool.errors import ConfigError
from rnntool.storage import read_model


def check_components(components: int | None, models: Sequence[Path]) -> None:
    """``--components`` cannot exceed the units of the smallest model (the SVD would keep
    fewer without saying so)."""
    if components is None:
        return
    smallest = min((int(read_model(p).network["n_rec"]), p) for p in models)
    if components > smallest[0]:
        raise ConfigError(f"--components {components} is more than the {smallest[0]} units "
                          f"of {smallest[1].stem}")
