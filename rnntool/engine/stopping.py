"""Stopping rules on any metric of the training history, looked up from short specifications.

A check is one call of :meth:`StopRule.update` with the values recorded for an iteration
(``loss``, ``train_accuracy``, ``val_<metric>``, ``iteration``, ``seconds``, …). Validation
metrics are absent on iterations that are not checks and NaN on checks that were skipped
(training accuracy below ``validate_from``); a skipped check counts as failed.

Specifications (``--stop``):

- ``"val_accuracy>=0.9 for 10"`` — the metric meets the bound on W consecutive checks
  (McMahan et al. 2021 use exactly this); ``for W`` defaults to 1; operators
  ``>=``, ``<=``, ``>``, ``<``.
- ``"val_mse plateau 20"`` or ``"val_mse plateau 20 1e-4"`` — no improvement (by more than
  the optional min_delta, in the metric's direction) for P consecutive checks.
- ``"iterations 5000"`` — a budget (the rule's ``max_iters`` is always one).

A new kind of rule is a :class:`StopRule` subclass plus a parser added with
:func:`register_stop_rule`.
"""

from __future__ import annotations

import copy
import math
import operator
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from rnntool.engine.metrics import improves
from rnntool.errors import ConfigError

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}


@dataclass
class StopRule:
    """Base class: ``update`` one check, True once the rule fires; state is plain numbers."""

    def update(self, values: dict[str, float]) -> bool:
        raise NotImplementedError

    @property
    def metric(self) -> str:
        raise NotImplementedError

    @property
    def spec(self) -> str:
        raise NotImplementedError

    def state(self) -> dict[str, float]:
        """Counters to checkpoint (the dataclass fields)."""
        return {k: float(v) for k, v in asdict(self).items() if isinstance(v, (int, float))}

    def load_state(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            if key in self.__dataclass_fields__:
                setattr(self, key, type(getattr(self, key))(value))


@dataclass
class Threshold(StopRule):
    """Fires when ``key op value`` holds on ``window`` consecutive checks."""

    key: str = "val_accuracy"
    op: str = ">="
    value: float = 0.9
    window: int = 1
    streak: int = 0

    @property
    def metric(self) -> str:
        return self.key

    @property
    def spec(self) -> str:
        return f"{self.key}{self.op}{self.value:g} for {self.window}"

    def update(self, values: dict[str, float]) -> bool:
        if self.key not in values:
            return False
        v = values[self.key]
        self.streak = self.streak + 1 if (v == v and OPERATORS[self.op](v, self.value)) else 0
        return self.streak >= self.window


@dataclass
class Plateau(StopRule):
    """Fires after ``patience`` consecutive checks without improvement by more than ``min_delta``."""

    key: str = "val_mse"
    patience: int = 10
    min_delta: float = 0.0
    best: float = math.nan
    waited: int = 0

    @property
    def metric(self) -> str:
        return self.key

    @property
    def spec(self) -> str:
        return f"{self.key} plateau {self.patience} {self.min_delta:g}"

    def update(self, values: dict[str, float]) -> bool:
        if self.key not in values:
            return False
        v = values[self.key]
        if v != v:  # a skipped check: waiting for it would stop earlier than validating
            return False
        if improves(self.key, v, self.best, self.min_delta):
            self.best, self.waited = v, 0
        else:
            self.waited += 1
        return self.waited >= self.patience


@dataclass
class Budget(StopRule):
    """Fires when ``iteration`` (1-based count of recorded units) reaches ``limit``."""

    limit: int = 2000

    @property
    def metric(self) -> str:
        return "iteration"

    @property
    def spec(self) -> str:
        return f"iterations {self.limit}"

    def update(self, values: dict[str, float]) -> bool:
        return values["iteration"] >= self.limit


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
PARSERS: list[Callable[[str], StopRule | None]] = []


def register_stop_rule(parser: Callable[[str], StopRule | None]) -> Callable[[str], StopRule | None]:
    """Add a parser: it returns a rule for specifications it understands, else None."""
    PARSERS.append(parser)
    return parser


@register_stop_rule
def _threshold(spec: str) -> StopRule | None:
    m = re.fullmatch(rf"(\w+)\s*(>=|<=|>|<)\s*({_NUMBER})(?:\s+for\s+(\d+))?", spec)
    if not m:
        return None
    window = int(m.group(4) or 1)
    if window < 1:
        raise ConfigError(f"stopping rule {spec!r}: the window must be ≥ 1")
    return Threshold(m.group(1), m.group(2), float(m.group(3)), window)


@register_stop_rule
def _plateau(spec: str) -> StopRule | None:
    m = re.fullmatch(rf"(\w+)\s+plateau\s+(\d+)(?:\s+({_NUMBER}))?", spec)
    if not m:
        return None
    if int(m.group(2)) < 1:
        raise ConfigError(f"stopping rule {spec!r}: the patience must be ≥ 1")
    return Plateau(m.group(1), int(m.group(2)), float(m.group(3) or 0.0))


@register_stop_rule
def _budget(spec: str) -> StopRule | None:
    m = re.fullmatch(r"iterations\s+(\d+)", spec)
    return Budget(int(m.group(1))) if m else None


def parse_stop(spec: str) -> StopRule:
    """One rule from its specification; ConfigError (one line) if nothing understands it."""
    text = " ".join(spec.split())
    for parser in PARSERS:
        rule = parser(text)
        if rule is not None:
            return rule
    raise ConfigError(f"cannot read stopping rule {spec!r} (use e.g. 'val_accuracy>=0.9 for 10', "
                      f"'val_mse plateau 20' or 'iterations 5000')")


@dataclass
class StopCriteria:
    """Every stopping rule of one network member; any rule that fires stops it.

    ``converged`` is True when a threshold rule fired (the network met its criterion), False
    after a plateau or the budget.
    """

    rules: list[StopRule]
    max_iters: int
    fired: str = ""
    converged: bool = False
    budget: Budget = field(init=False)

    def __post_init__(self) -> None:
        self.budget = Budget(self.max_iters)

    @classmethod
    def from_specs(cls, specs: list[str] | tuple[str, ...], max_iters: int) -> "StopCriteria":
        return cls([parse_stop(s) for s in specs], max_iters)

    def check_metrics(self, known: list[str]) -> None:
        """ConfigError if a rule names a metric that is never recorded."""
        for rule in self.rules:
            if rule.metric not in known:
                raise ConfigError(f"stopping rule {rule.spec!r} names {rule.metric!r}, which this "
                                  f"training does not record (recorded: {', '.join(known)})")

    def fresh(self) -> "StopCriteria":
        """An independent copy with every counter reset (one per ensemble member)."""
        return StopCriteria([copy.deepcopy(r) for r in self.rules], self.max_iters)

    def update(self, values: dict[str, float]) -> bool:
        """Feed one iteration's values to every rule (all of them, so counters stay exact)."""
        fired = [r for r in self.rules if r.update(values)]
        if fired:
            self.fired, self.converged = fired[0].spec, isinstance(fired[0], Threshold)
            return True
        if self.budget.update(values):
            self.fired = self.budget.spec
            return True
        return False

    def state(self) -> dict[str, Any]:
        return {"fired": self.fired, "converged": int(self.converged),
                **{f"rule{i}": r.state() for i, r in enumerate(self.rules)}}

    def load_state(self, state: dict[str, Any]) -> None:
        self.fired, self.converged = str(state["fired"]), bool(state["converged"])
        for i, r in enumerate(self.rules):
            r.load_state(state[f"rule{i}"])
