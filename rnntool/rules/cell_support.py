"""What a learning rule needs to know of a cell: whether it can train it, and the limits the
cell puts on the rule's default hyper-parameters. Both are checked before any work starts."""

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


def limit_defaults(rule_name: str, cell: str, defaults: dict[str, Any],
                   rule_defaults: dict[str, Any]) -> dict[str, Any]:
    """``defaults`` (the task's, over the rule's own ``rule_defaults``) with every value the
    cell bounds for this rule (:attr:`Cell.rule_limits`) lowered to the bound.

    Tasks tune their learning rates for the continuous-time cells; a discrete map such as
    ``rnn`` moves its dynamics 1/α times further per optimiser step, so it caps them.
    Values the user gives explicitly are not passed here and are never changed.
    """
    from rnntool.network.cells import CELLS

    limits = CELLS.get(cell).rule_limits.get(rule_name, {})
    out = dict(defaults)
    for key, bound in limits.items():
        value = out.get(key, rule_defaults.get(key))
        if value is not None and value > bound:
            out[key] = bound
    return out
