"""One rule for results that already exist, shared by every command that stores results.

An existing result (a model file, a model's evaluation, a fixed-point group, a population
file computed from other inputs) is never replaced silently: the command stops before any
work with a one-line error unless ``--overwrite`` (compute again and replace it) or
``--keep`` (leave it, skip its computation, still print its path) is given.
"""

from __future__ import annotations

from typing import Callable, TypeVar

import click

from rnntool.errors import ConfigError

F = TypeVar("F", bound=Callable)


def existing_options(noun: str) -> Callable[[F], F]:
    """``--overwrite`` and ``--keep`` for a command that stores ``noun``."""
    def decorate(func: F) -> F:
        func = click.option("--keep", is_flag=True,
                            help=f"Keep {noun} if it exists: skip the work, still print the path.")(func)
        return click.option("--overwrite", is_flag=True, help=f"Replace {noun} if it exists.")(func)
    return decorate


def must_compute(exists: bool, what: str, overwrite: bool, keep: bool) -> bool:
    """True when the result ``what`` is to be computed; raises ConfigError when it exists and
    neither --overwrite nor --keep says what to do with it."""
    if overwrite and keep:
        raise click.UsageError("--overwrite and --keep exclude each other")
    if not exists or overwrite:
        return True
    if keep:
        return False
    raise ConfigError(f"{what} already exists; pass --overwrite to replace it or --keep to keep it")
