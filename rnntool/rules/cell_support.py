"""Which cells a learning rule can train, checked before any work starts."""

from __future__ import annotations

from typing import Any

from rnntool.errors import ConfigError


def check_rule_cell(rule: Any, cell: str) -> None:
    """Refuse a cell the rule cannot train. A rule's ``cells`` attribute lists those it can;
    a rule without one (BPTT, the GA) trains every cell through the cell protocol."""
    cells = getattr(rule, "cells", None)
    if cells is not None and cell not in cells:
        raise ConfigError(f"rule {rule.name!r} cannot train cell {cell!r} "
                          f"(it trains {', '.join(cells)})")
