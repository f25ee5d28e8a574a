"""Learning rules behind one interface, looked up by name or by a model name's prefix."""

from __future__ import annotations

import re

from rnntool.errors import ConfigError
from rnntool.registry import Registry
from rnntool.engine.monitor import Monitor
from rnntool.engine.stopping import StopCriteria
from rnntool.engine.validation import ValidationSet
from rnntool.rules.base import LearningRule
from rnntool.rules.bptt import BPTT
from rnntool.rules.cell_support import check_rule_cell
from rnntool.rules.force import Force
from rnntool.rules.fullforce import FullForce
from rnntool.rules.genetic import GeneticAlgorithm
from rnntool.rules.hebbian import Hebbian

RULES: Registry[type[LearningRule]] = Registry("learning rule")
#: Model-name prefixes that select a rule (McMahan et al. 2021's naming convention).
PREFIXES: dict[str, str] = {"bptt": "bptt", "bp": "bptt"}


def register_rule(cls: type[LearningRule], *prefixes: str) -> type[LearningRule]:
    """Add a rule to the registry, selectable by ``--rule NAME`` and by name prefixes."""
    taken = [p for p in prefixes if PREFIXES.get(p, cls.name) != cls.name]
    if taken:
        raise ConfigError(f"name prefix(es) {', '.join(taken)} already select another rule")
    RULES.register(cls.name, cls)
    for prefix in prefixes:
        PREFIXES[prefix] = cls.name
    return cls


def get_rule(name: str) -> type[LearningRule]:
    """The rule registered as ``name``."""
    return RULES.get(name)


def rule_from_model_name(model_name: str) -> str:
    """The rule a model name selects by its first word, e.g. ``ga_0050``, ``bptt-3``, ``ff``.

    The prefix must be the whole first word (letters and digits up to ``_``, ``-``, ``.`` or
    the end), so ``ff2``, ``gamma`` or ``general`` select no rule and leave the choice to
    ``--rule`` or the task's default rule.
    """
    stem = model_name.rsplit("/", 1)[-1].lower()
    word = re.match(r"[a-z0-9]*", stem).group()
    if word in PREFIXES:
        return PREFIXES[word]
    raise ConfigError(f"cannot tell the learning rule from the name {model_name!r}: begin it "
                      f"with one of {', '.join(sorted(PREFIXES))} as a word of its own "
                      f"(e.g. bptt_1) or pass --rule")


register_rule(BPTT, "bptt", "bp")
register_rule(GeneticAlgorithm, "ga", "ge")
register_rule(FullForce, "ff")
register_rule(Force, "force")
register_rule(Hebbian, "hebb", "he")

__all__ = ["BPTT", "Force", "FullForce", "GeneticAlgorithm", "Hebbian", "LearningRule", "Monitor", "PREFIXES", "RULES", "StopCriteria",
           "ValidationSet", "check_rule_cell", "get_rule", "register_rule", "rule_from_model_name"]
