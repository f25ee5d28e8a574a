"""A sweep: a grid of training settings, seeds per cell, and the analyses and figures to make.

:func:`load_sweep` turns a sweep file (see ``docs/sweeps.md``) into a :class:`Sweep` whose
every setting has been checked by building the objects it describes (task, rule, network,
finder, metric) for every cell, so a bad value stops the sweep before any work starts and
is reported with its line.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rnntool.analysis.fixedpoints import FinderSettings, input_set
from rnntool.analysis.similarity import METRICS, make_metric
from rnntool.analysis.topology import DESCRIPTORS
from rnntool.errors import ConfigError
from rnntool.rules import RULES
from rnntool.sweeps.sweep_file import KeyPath, SweepSource, read_sweep_file
from rnntool.tasks import TASKS
from rnntool.tasks.probes import probe_inputs, probe_levels
from rnntool.tasks.static_inputs import NAMED_SETS
from rnntool.training import TrainSettings

TABLES = ("sweep", "grid", "task", "network", "train", "rules", "evaluate", "fixedpoints",
          "compare", "analysis", "figure")
#: Grid axes are "rule" or "<section>.<setting>" with one of these sections.
AXIS_SECTIONS = ("task", "network", "train", "opt")
NETWORK_KEYS = ("n_rec", "preset", "alpha", "phi", "readout", "output_nonlinearity", "noise_in",
                "noise_rec", "x0_std", "clamp_units", "clamp_values", "init", "g", "trainable",
                "dtype")
ANALYSIS_KINDS = ("svcca", "topology")
SVCCA_KEYS = ("metric", "keep", "components", "levels", "conditions", "seed", "rows_as_features")
TOPOLOGY_KEYS = ("descriptor", "mode", "seed", "rows_as_features", "epsilon", "max_steps")
STATISTICS = ("silhouette", "stress", "within", "between")
FIGURE_KINDS = ("summary", "populations")
CELLS = "cells"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


@dataclass(frozen=True)
class Cell:
    """One combination of the grid's values: every setting a model of the cell is trained with."""

    label: str
    values: tuple[tuple[str, Any], ...]
    rule: str
    task: dict[str, Any]
    network: dict[str, Any]
    train: dict[str, Any]
    options: dict[str, Any]

    def value(self, axis: str) -> Any:
        return dict(self.values)[axis]

    def model_name(self, seed: int) -> str:
        return f"{self.label}_s{seed}"


@dataclass(frozen=True)
class Compare:
    """Group files across cells: one group per value of ``groups``, one file per combination
    of the other axes."""

    name: str
    groups: str


@dataclass(frozen=True)
class Analysis:
    """A population analysis (``svcca`` or ``topology``) run on the group files of ``on``."""

    name: str
    kind: str
    on: tuple[str, ...]
    options: dict[str, Any]


@dataclass(frozen=True)
class Figure:
    """A summary figure (a statistic against a grid axis) or the population figures."""

    kind: str
    compare: str | None = None
    x: str | None = None
    statistic: str = "silhouette"
    analyses: tuple[str, ...] = ()


@dataclass
class Sweep:
    """Everything a sweep file asks for, checked."""

    source: Path
    name: str
    description: str
    scale: str | None
    out: Path
    axes: tuple[tuple[str, tuple[Any, ...]], ...]
    seeds: tuple[int, ...]
    chunk: int
    cells: list[Cell]
    evaluate: dict[str, Any] | None
    fixedpoints: dict[str, Any] | None
    compares: list[Compare]
    analyses: list[Analysis]
    figures: list[Figure]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def axis_names(self) -> tuple[str, ...]:
        return tuple(a for a, _ in self.axes)

    def axis_label(self, axis: str, value: Any) -> str:
        """``rule`` values as they are; other axes as ``<setting><value>``, e.g. contexts3."""
        text = _value_text(value)
        if axis == "rule":
            return _safe(text)
        leaf = axis.rsplit(".", 1)[-1]
        if sum(a.rsplit(".", 1)[-1] == leaf for a in self.axis_names) > 1:
            leaf = axis.replace(".", "-")
        return _safe(f"{leaf}{text}")


def load_sweep(path: str | Path, scale: str | None = None, out: str | Path | None = None
               ) -> Sweep:
    """Read and check a sweep file; ``scale`` picks a ``[scale.NAME]`` variant and ``out``
    overrides its output folder."""
    src = read_sweep_file(path, scale)
    data = src.data
    for key in data:
        if key not in TABLES:
            raise src.error((key,), f"unknown table (known: {', '.join(TABLES)}, scale)")
    for key in ("sweep", "grid", "task", "network", "train", "rules", "evaluate", "fixedpoints"):
        if key in data and not isinstance(data[key], dict):
            raise src.error((key,), "must be a table")
    head = data.get("sweep", {})
    _only(src, ("sweep",), head, ("name", "description", "out", "seeds", "chunk"))
    name = _typed(src, ("sweep", "name"), head.get("name", Path(path).stem), str)
    description = _typed(src, ("sweep", "description"), head.get("description", ""), str)
    out_dir = Path(out) if out is not None else Path(
        _typed(src, ("sweep", "out"), head.get("out", name), str))
    seeds = _seeds(src, head.get("seeds", 4))
    chunk = _typed(src, ("sweep", "chunk"), head.get("chunk", 1), int)
    if chunk < 1:
        raise src.error(("sweep", "chunk"), "must be ≥ 1")
    axes = _axes(src, data.get("grid", {}))
    sweep = Sweep(Path(path), name, description, scale, out_dir, axes, seeds, chunk, [],
                  None, None, [], [], [], settings=data)
    sweep.cells = _cells(src, sweep)
    sweep.evaluate = _evaluate(src, data)
    sweep.fixedpoints = _fixedpoints(src, sweep, data)
    sweep.compares = _compares(src, sweep, data.get("compare", []))
    sweep.analyses = _analyses(src, sweep, data.get("analysis", []))
    sweep.figures = _figures(src, sweep, data.get("figure", []))
    return sweep


# helpers --------------------------------------------------------------------------------
def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{value:.1f}"
    return str(value)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]", "-", text)


def _only(src: SweepSource, at: KeyPath, table: dict[str, Any], known: tuple[str, ...]) -> None:
    for key in table:
        if key not in known:
            raise src.error(at + (key,), f"unknown setting (known: {', '.join(known)})")


def _typed(src: SweepSource, at: KeyPath, value: Any, kind: type) -> Any:
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise src.error(at, f"must be {'a string' if kind is str else 'an integer' if kind is int else kind.__name__}, "
                            f"got {value!r}")
    return value


def _seeds(src: SweepSource, value: Any) -> tuple[int, ...]:
    at = ("sweep", "seeds")
    if isinstance(value, bool):
        raise src.error(at, f"must be a count, a range like \"0-19\" or a list, got {value!r}")
    if isinstance(value, int):
        if value < 1:
            raise src.error(at, "the number of seeds must be ≥ 1")
        seeds = list(range(value))
    elif isinstance(value, str):
        seeds = []
        for part in value.split(","):
            lo, sep, hi = part.strip().partition("-")
            try:
                seeds.extend(range(int(lo), int(hi) + 1) if sep else [int(lo)])
            except ValueError:
                raise src.error(at, f"bad seed range {value!r} (use e.g. \"0-19\" or \"1,3,5\")") from None
    elif isinstance(value, list) and all(isinstance(s, int) and not isinstance(s, bool)
                                         for s in value):
        seeds = list(value)
    else:
        raise src.error(at, f"must be a count, a range like \"0-19\" or a list, got {value!r}")
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise src.error(at, "seeds must be distinct non-negative integers, at least one")
    return tuple(seeds)


def _axes(src: SweepSource, grid: dict[str, Any]) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    axes = []
    for key, values in grid.items():
        at = ("grid", key)
        section, dot, setting = key.partition(".")
        if key != "rule" and (not dot or section not in AXIS_SECTIONS or not setting):
            raise src.error(at, "a grid axis is \"rule\" or \"SECTION.SETTING\" with SECTION "
                                f"one of {', '.join(AXIS_SECTIONS)} (quote dotted keys)")
        if isinstance(values, dict):
            raise src.error(at, "dotted grid keys must be quoted, e.g. \"task.contexts\" = [1, 2]")
        if not isinstance(values, list) or not values:
            raise src.error(at, f"must be a non-empty list of values, got {values!r}")
        if any(isinstance(v, (dict, list)) for v in values):
            raise src.error(at, "values must be numbers, strings or booleans")
        if len({repr(v) for v in values}) != len(values):
            raise src.error(at, "lists a value twice")
        if key == "rule":
            for v in values:
                if v not in RULES:
                    raise src.error(at, f"unknown learning rule {v!r} (known: {', '.join(sorted(RULES))})")
        axes.append((key, tuple(values)))
    if not axes:
        raise src.error(("grid",), "the grid needs at least one axis, e.g. rule = [\"bptt\"]")
    return tuple(axes)


def _cells(src: SweepSource, sweep: Sweep) -> list[Cell]:
    data = sweep.settings
    task_base = dict(data.get("task", {}))
    net_base = dict(data.get("network", {}))
    train_base = dict(data.get("train", {}))
    rules_table = data.get("rules", {})
    for rule, opts in rules_table.items():
        if rule not in RULES:
            raise src.error(("rules", rule), f"unknown learning rule (known: {', '.join(sorted(RULES))})")
        if not isinstance(opts, dict):
            raise src.error(("rules", rule), "must be a table of rule options")
    if "name" in task_base and task_base["name"] not in TASKS:
        raise src.error(("task", "name"), f"unknown task {task_base['name']!r} (known: {', '.join(sorted(TASKS))})")
    _only(src, ("network",), net_base, NETWORK_KEYS)
    train_keys = tuple(f.name for f in fields(TrainSettings) if f.name not in ("seed", "device"))
    _only(src, ("train",), train_base, train_keys)
    cells, labels = [], set()
    names = sweep.axis_names
    for combo in itertools.product(*(values for _, values in sweep.axes)):
        values = tuple(zip(names, combo))
        task = {k: v for k, v in task_base.items()}
        net, train, opts = dict(net_base), dict(train_base), {}
        rule = None
        for axis, value in values:
            section, _, setting = axis.partition(".")
            if axis == "rule":
                rule = value
            else:
                {"task": task, "network": net, "train": train, "opt": opts}[section][setting] = value
        if rule is None:
            raise src.error(("grid",), "the grid needs a rule axis, e.g. rule = [\"bptt\"]")
        options = {**rules_table.get(rule, {}), **opts}
        label = "_".join(sweep.axis_label(a, v) for a, v in values)
        if label in labels:
            raise src.error(("grid",), f"two cells would both be called {label!r}")
        labels.add(label)
        cell = Cell(label, values, rule, task, net, train, options)
        _check_cell(src, sweep, cell)
        cells.append(cell)
    return cells


def _check_cell(src: SweepSource, sweep: Sweep, cell: Cell) -> None:
    """Build the cell's task, rule, network and training settings once (errors with lines)."""
    from rnntool.sweeps.cells import cell_objects

    try:
        cell_objects(cell, seed=0)
    except CellSettingError as err:
        raise src.error(err.at(sweep), err.message) from None


class CellSettingError(ConfigError):
    """A cell's setting is rejected by the library; ``where`` is (section, key or None)."""

    def __init__(self, section: str, key: str | None, rule: str, message: str) -> None:
        super().__init__(message)
        self.section, self.key, self.rule, self.message = section, key, rule, message

    def at(self, sweep: Sweep) -> KeyPath:
        base = ("rules", self.rule) if self.section == "opt" else (self.section,)
        if self.key is None:
            return base
        axis = f"{self.section}.{self.key}"
        if axis in sweep.axis_names:
            return ("grid", axis)
        return base + (self.key,)


def _evaluate(src: SweepSource, data: dict[str, Any]) -> dict[str, Any] | None:
    if "evaluate" not in data:
        return None
    table = data["evaluate"]
    _only(src, ("evaluate",), table, ("trials",))
    trials = _typed(src, ("evaluate", "trials"), table.get("trials", 2000), int)
    if trials < 1:
        raise src.error(("evaluate", "trials"), "must be ≥ 1")
    return {"trials": trials}


def _fixedpoints(src: SweepSource, sweep: Sweep, data: dict[str, Any]) -> dict[str, Any] | None:
    if "fixedpoints" not in data:
        return None
    at = ("fixedpoints",)
    table = dict(data["fixedpoints"])
    known = ("mode", "inputs") + tuple(f.name for f in fields(FinderSettings) if f.name != "seed")
    _only(src, at, table, known)
    mode, inputs = table.pop("mode", None), table.pop("inputs", None)
    if mode is not None and inputs is not None:
        raise src.error(at + ("inputs",), "give mode (the task's static-input set) or inputs "
                                          f"({', '.join(NAMED_SETS)}), not both")
    if inputs is not None and inputs not in NAMED_SETS:
        raise src.error(at + ("inputs",), f"must be one of {', '.join(NAMED_SETS)}")
    if mode is None and inputs is None:
        mode = "small"
    try:
        FinderSettings(**table).check()
    except (ConfigError, TypeError) as err:
        raise src.error(at + _named(table, str(err)), str(err)) from None
    from rnntool.sweeps.cells import cell_task
    for cell in sweep.cells:
        task = cell_task(cell)
        try:
            input_set(task, task.n_in, mode, inputs)
        except ConfigError as err:
            raise src.error(at + (("mode",) if mode is not None and "mode" in data["fixedpoints"]
                                  else ()), f"{cell.label}: {err}") from None
    return {"mode": mode, "inputs": inputs, "stem": mode or inputs, "settings": table}


def _compares(src: SweepSource, sweep: Sweep, items: Any) -> list[Compare]:
    if not isinstance(items, list):
        raise src.error(("compare",), "must be an array of tables: [[compare]]")
    out: list[Compare] = []
    for i, item in enumerate(items):
        at = ("compare", i)
        if not isinstance(item, dict):
            raise src.error(at, "must be a table")
        _only(src, at, item, ("name", "groups"))
        if "groups" not in item:
            raise src.error(at, "needs groups = AXIS (the grid axis whose values are the groups)")
        groups = _typed(src, at + ("groups",), item["groups"], str)
        if groups not in sweep.axis_names:
            raise src.error(at + ("groups",), f"{groups!r} is not a grid axis "
                                              f"(axes: {', '.join(sweep.axis_names)})")
        name = _typed(src, at + ("name",), item.get("name", groups.rsplit(".", 1)[-1]), str)
        if not _NAME.match(name) or name == CELLS or any(c.name == name for c in out):
            raise src.error(at + ("name",), f"{name!r} must be a unique file-name-safe name "
                                            f"other than {CELLS!r}")
        out.append(Compare(name, groups))
    return out


def _analyses(src: SweepSource, sweep: Sweep, items: Any) -> list[Analysis]:
    if not isinstance(items, list):
        raise src.error(("analysis",), "must be an array of tables: [[analysis]]")
    populations = (CELLS,) + tuple(c.name for c in sweep.compares)
    out: list[Analysis] = []
    for i, item in enumerate(items):
        at = ("analysis", i)
        if not isinstance(item, dict):
            raise src.error(at, "must be a table")
        kind = item.get("kind")
        if kind not in ANALYSIS_KINDS:
            raise src.error(at + ("kind",), f"must be one of {', '.join(ANALYSIS_KINDS)}, got {kind!r}")
        keys = SVCCA_KEYS if kind == "svcca" else TOPOLOGY_KEYS
        _only(src, at, item, ("name", "kind", "on") + keys)
        name = _typed(src, at + ("name",), item.get("name", kind), str)
        if not _NAME.match(name) or any(a.name == name for a in out):
            raise src.error(at + ("name",), f"{name!r} must be a unique file-name-safe name")
        on = item.get("on", [c.name for c in sweep.compares] or [CELLS])
        on = [on] if isinstance(on, str) else on
        if not isinstance(on, list) or not on or any(p not in populations for p in on):
            raise src.error(at + ("on",), f"must list populations among {', '.join(populations)}")
        options = {k: v for k, v in item.items() if k in keys}
        _check_analysis(src, sweep, at, kind, options)
        out.append(Analysis(name, kind, tuple(on), options))
    return out


def _check_analysis(src: SweepSource, sweep: Sweep, at: KeyPath, kind: str,
                    options: dict[str, Any]) -> None:
    for key in ("seed", "levels", "components", "conditions", "max_steps"):
        if key in options:
            _typed(src, at + (key,), options[key], int)
    for key in ("keep", "epsilon"):
        if key in options:
            options[key] = _typed(src, at + (key,), options[key], float)
    if "rows_as_features" in options:
        _typed(src, at + ("rows_as_features",), options["rows_as_features"], bool)
    if kind == "svcca":
        metric = options.get("metric", "svcca")
        if metric not in METRICS:
            raise src.error(at + ("metric",), f"unknown metric {metric!r} (known: {', '.join(sorted(METRICS))})")
        try:
            make_metric(metric, keep=options.get("keep"), components=options.get("components"))
        except ConfigError as err:
            raise src.error(at + _named(options, str(err)), str(err)) from None
        if "levels" in options and "conditions" in options:
            raise src.error(at + ("conditions",), "give levels (per context) or conditions "
                                                  "(in all), not both")
        if options.get("levels", 10) < 1:
            raise src.error(at + ("levels",), "must be ≥ 1")
        from rnntool.sweeps.cells import cell_task
        for cell in sweep.cells:
            task = cell_task(cell)
            try:
                probe_inputs(task, 1)
            except ConfigError as err:
                raise src.error(at + ("kind",), f"{cell.label}: {err}") from None
            try:
                probe_levels(task, options.get("levels", 10), options.get("conditions"))
            except ConfigError as err:
                raise src.error(at + _named(options, "conditions"), str(err)) from None
        return
    descriptor = options.get("descriptor", "graph")
    if descriptor not in DESCRIPTORS:
        raise src.error(at + ("descriptor",), f"unknown descriptor {descriptor!r} (known: {', '.join(DESCRIPTORS)})")
    if options.get("epsilon", 1e-2) <= 0 or options.get("max_steps", 3000) < 1:
        raise src.error(at, "epsilon must be positive and max_steps ≥ 1")
    mode = options.get("mode", sweep.fixedpoints["stem"] if sweep.fixedpoints else "small")
    if sweep.fixedpoints is None or sweep.fixedpoints["stem"] != mode:
        raise src.error(at + ("mode",) if "mode" in options else at,
                        f"topology reads the fixed points of mode {mode!r}: add a "
                        f"[fixedpoints] table with mode = \"{mode}\" so every model has them")
    options["mode"] = mode


def _named(options: dict[str, Any], text: str) -> KeyPath:
    """(key,) for the first option whose name the text mentions, else ()."""
    return next(((k,) for k in options if k in text), ())


def _figures(src: SweepSource, sweep: Sweep, items: Any) -> list[Figure]:
    if not isinstance(items, list):
        raise src.error(("figure",), "must be an array of tables: [[figure]]")
    out: list[Figure] = []
    names = {a.name: a for a in sweep.analyses}
    for i, item in enumerate(items):
        at = ("figure", i)
        if not isinstance(item, dict):
            raise src.error(at, "must be a table")
        kind = item.get("kind")
        if kind not in FIGURE_KINDS:
            raise src.error(at + ("kind",), f"must be one of {', '.join(FIGURE_KINDS)}, got {kind!r}")
        analyses = item.get("analyses", list(names))
        analyses = [analyses] if isinstance(analyses, str) else analyses
        if not isinstance(analyses, list) or any(a not in names for a in analyses):
            raise src.error(at + ("analyses",), f"must list analyses among {', '.join(names) or '(none)'}")
        if kind == "populations":
            _only(src, at, item, ("kind", "analyses"))
            out.append(Figure(kind, analyses=tuple(analyses)))
            continue
        _only(src, at, item, ("kind", "compare", "x", "statistic", "analyses"))
        compares = [c.name for c in sweep.compares]
        compare = item.get("compare", compares[0] if compares else None)
        if compare not in compares:
            raise src.error(at + ("compare",), f"must name a [[compare]] ({', '.join(compares) or 'none defined'})")
        groups_axis = next(c.groups for c in sweep.compares if c.name == compare)
        x = item.get("x")
        if x not in sweep.axis_names or x == groups_axis:
            raise src.error(at + ("x",), f"must be a grid axis other than the groups' "
                                         f"({', '.join(a for a in sweep.axis_names if a != groups_axis)})")
        statistic = item.get("statistic", "silhouette")
        if statistic not in STATISTICS:
            raise src.error(at + ("statistic",), f"must be one of {', '.join(STATISTICS)}")
        for a in analyses:
            if compare not in names[a].on:
                raise src.error(at + ("analyses",), f"analysis {a!r} does not run on {compare!r}")
        out.append(Figure(kind, compare, x, statistic, tuple(analyses)))
    return out
