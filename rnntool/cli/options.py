"""Parsing and validation of option values, before any work starts.

Every check here raises a one-line :class:`click.BadParameter` / ``ConfigError`` (exit 2):
numbers must be finite and in range, integers integral, seeds fit the 64-bit integers the
files store, sizes fit in memory, ``KEY=VALUE`` settings match the type of the setting they
name. Commands apply these as click types or call the helpers on parsed values.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import types
import typing
from typing import Any

import click

from rnntool.errors import ConfigError

#: Seeds are stored as signed 64-bit integers.
MAX_SEED = 2**63 - 1
#: Most seeds one ``--seeds`` range may expand to.
MAX_SEEDS = 100_000
#: Most initial states of a fixed-point search (FixedPointFinder's default is 1024).
MAX_INITS = 10**6


class FiniteFloat(click.ParamType):
    """A float that is not NaN or ±Inf, optionally bounded (``min_open``: strictly above)."""

    name = "float"

    def __init__(self, min: float | None = None, max: float | None = None,
                 min_open: bool = False, max_open: bool = False) -> None:
        self.min, self.max, self.min_open, self.max_open = min, max, min_open, max_open

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float) and math.isfinite(value):
            number = value
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number", param, ctx)
            if not math.isfinite(number):
                self.fail(f"{value!r} is not a finite number", param, ctx)
        low_bad = self.min is not None and (number <= self.min if self.min_open else number < self.min)
        high_bad = self.max is not None and (number >= self.max if self.max_open else number > self.max)
        if low_bad or high_bad:
            self.fail(f"{value} is not in {self._range()}", param, ctx)
        return number

    def _range(self) -> str:
        low = "(-inf" if self.min is None else f"{'(' if self.min_open else '['}{self.min:g}"
        high = "inf)" if self.max is None else f"{self.max:g}{')' if self.max_open else ']'}"
        return f"the range {low}, {high}"


SEED = click.IntRange(0, MAX_SEED)
FINITE = FiniteFloat()
NON_NEGATIVE = FiniteFloat(min=0.0)
POSITIVE = FiniteFloat(min=0.0, min_open=True)
FRACTION = FiniteFloat(0.0, 1.0)


def count(maximum: int, minimum: int = 1) -> click.IntRange:
    """An integer option counting things (trials, units, initial states) with a sane bound."""
    return click.IntRange(minimum, maximum)


def physical_memory() -> int:
    """Bytes of RAM on this machine (a large number where it cannot be told)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 50


def check_memory(needed: float, what: str) -> None:
    """Refuse a request that cannot fit in this machine's memory, before allocating it."""
    available = physical_memory()
    if needed > available:
        raise ConfigError(f"{what} needs at least {needed / 2**30:.3g} GiB of memory; this "
                          f"machine has {available / 2**30:.3g} GiB")


def check_seed(seed: int, what: str = "seed") -> int:
    """A seed must be a non-negative 64-bit integer."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"{what} must be an integer in 0..2^63-1, got {seed!r}")
    return seed


def parse_assignments(items: tuple[str, ...], what: str) -> dict[str, Any]:
    """``("lr=1e-3", "shared_x0=false")`` → ``{"lr": 0.001, "shared_x0": False}``."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{what} must look like KEY=VALUE, got {item!r}")
        out[key.strip().replace("-", "_")] = parse_value(text.strip())
    return out


def parse_value(text: str) -> Any:
    """JSON numbers, booleans and lists; anything else is a string."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered.lstrip("+-") in ("nan", "inf", "infinity"):
        return float(lowered)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def check_settings(cls: type, values: dict[str, Any], what: str) -> dict[str, Any]:
    """Check ``KEY=VALUE`` settings against the fields of dataclass ``cls``: unknown keys,
    and values of the wrong type (``lr=abc``, ``batch_size=2.5``, ``lr=nan``) are errors.

    Integral floats become ints for integer fields (``n_inits=1e3``); ints become floats for
    float fields. Returns the converted settings.
    """
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    out = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{what}: unknown setting {key!r} (known: {', '.join(sorted(known))})")
        out[key] = _coerce(value, hints.get(key, Any), f"{what} {key}")
    return out


def _coerce(value: Any, hint: Any, where: str) -> Any:
    if value is None:
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _coerce(value, options[0], where)
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"{where} must be a finite number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be text, got {value!r}")
        if any(ord(c) < 32 for c in value):
            raise ConfigError(f"{where} contains control characters")
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where} must be a finite number, got {value!r}")
    return value


def check_counts(settings: Any, limits: dict[str, int], what: str) -> None:
    """Refuse settings (attributes of ``settings``) above their limits, before any work."""
    for key, limit in limits.items():
        value = getattr(settings, key, None)
        if value is not None and value > limit:
            raise ConfigError(f"{what} {key}={value} is more than the {limit} allowed")


def parse_range(text: str, maximum: int = MAX_SEED) -> list[int]:
    """``"1-4,7"`` → ``[1, 2, 3, 4, 7]``; empty or descending ranges are errors."""
    out: list[int] = []
    for part in text.split(","):
        lo, sep, hi = part.strip().partition("-")
        try:
            first, last = int(lo), int(hi) if sep else int(lo)
        except ValueError:
            raise click.BadParameter(f"bad seed range {text!r} (use e.g. 1-20 or 1,3,5)") from None
        if not 0 <= first <= last <= maximum:
            raise click.BadParameter(f"bad seed range {part.strip()!r}: need 0 ≤ first ≤ last "
                                     f"≤ {maximum}")
        if len(out) + last - first + 1 > MAX_SEEDS:
            raise click.BadParameter(f"seed range {text!r} gives more than {MAX_SEEDS} seeds")
        out.extend(range(first, last + 1))
    if len(set(out)) != len(out):
        raise click.BadParameter(f"seed range {text!r} repeats a seed")
    return out
