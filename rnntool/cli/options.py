"""Parsing of repeated ``KEY=VALUE`` options into typed settings."""

from __future__ import annotations

import json
from typing import Any

import click


def parse_assignments(items: tuple[str, ...], what: str) -> dict[str, Any]:
    """``("lr=1e-3", "shared_x0=false")`` → ``{"lr": 0.001, "shared_x0": False}``."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{what} must look like KEY=VALUE, got {item!r}")
        out[key.strip().replace("-", "_")] = parse_value(text.strip())
    return out


def parse_value(text: str) -> Any:
    """JSON numbers, booleans and lists; anything else is a string."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_range(text: str) -> list[int]:
    """``"1-4,7"`` → ``[1, 2, 3, 4, 7]``."""
    out: list[int] = []
    for part in text.split(","):
        lo, sep, hi = part.partition("-")
        try:
            out.extend(range(int(lo), int(hi) + 1) if sep else [int(lo)])
        except ValueError:
            raise click.BadParameter(f"bad seed range {text!r} (use e.g. 1-20 or 1,3,5)") from None
    return out
