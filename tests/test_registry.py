"""One registry type: duplicate names and unknown settings are errors everywhere."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rnntool.analysis.similarity import METRICS, make_metric, register_metric
from rnntool.errors import ConfigError
from rnntool.network import CELLS
from rnntool.network.nonlinearities import NONLINEARITIES
from rnntool.registry import Registry
from rnntool.rules import RULES, get_rule, register_rule
from rnntool.tasks import TASKS, make_task, register_task


def test_unknown_settings_are_rejected_the_same_way_for_tasks_and_metrics() -> None:
    with pytest.raises(ConfigError, match=r"task 'cdi' takes no setting\(s\) bogus"):
        make_task("cdi", bogus=1)
    with pytest.raises(ConfigError, match=r"metric 'cka' takes no setting\(s\) bogus"):
        make_metric("cka", bogus=1)
    assert make_metric("svcca", keep=None).keep == 0.95  # None keeps the default


@pytest.mark.parametrize("registry,entry", [
    (TASKS, "cdi"), (METRICS, "cka"), (RULES, "bptt"), (CELLS, "ctrnn"), (NONLINEARITIES, "tanh")])
def test_registering_a_taken_name_is_an_error(registry: Registry, entry: str) -> None:
    before = registry[entry]
    with pytest.raises(ConfigError, match="already registered"):
        registry.register(entry, object())
    assert registry[entry] is before


def test_register_helpers_refuse_to_replace() -> None:
    with pytest.raises(ConfigError, match="already registered"):
        register_task(type(make_task("cdi")))
    with pytest.raises(ConfigError, match="already registered"):
        register_metric(METRICS["cka"])
    with pytest.raises(ConfigError, match="already"):
        register_rule(get_rule("ga"), "ga")


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown cell 'nope' \(known: .*ctrnn"):
        CELLS.get("nope")
    with pytest.raises(ConfigError, match=r"unknown learning rule 'nope'"):
        get_rule("nope")


def test_make_builds_dataclasses_with_checked_settings() -> None:
    @dataclass
    class Thing:
        a: int = 1

    things: Registry[type] = Registry("thing")
    things.register("t", Thing)
    assert things.make("t", a=3).a == 3 and things.make("t", a=None).a == 1
    with pytest.raises(ConfigError, match=r"thing 't' takes no setting\(s\) b"):
        things.make("t", b=2)
