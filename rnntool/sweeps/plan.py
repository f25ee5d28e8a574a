"""Turning a checked sweep into files and jobs: where every model, group file, population file
and figure goes, and which jobs still have work to do.

Layout under the sweep's output folder::

    models/<cell>_s<seed>.h5             one model per cell and seed
    groups/cells/<cell>.txt              one group file per cell (its seeds)
    groups/<compare>[_<others>].txt      one group file per compare and combination of the
                                         other axes, one group per value of its axis
    groups/…/<stem>.<analysis>.h5        population files next to their group file
    figures/                             population figures and summary figures
    sweep.json                           the merged settings, the scale and the version
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnntool.errors import ConfigError
from rnntool.executor import Job
from rnntool.storage.groups import ModelGroups
from rnntool.sweeps import jobs
from rnntool.sweeps.cells import cell_objects
from rnntool.sweeps.spec import CELLS, Cell, Sweep


@dataclass(frozen=True)
class Population:
    """One group file of the sweep and the cells (one group each) it holds."""

    population: str
    path: Path
    labels: tuple[str, ...]
    cells: tuple[Cell, ...]
    values: tuple[tuple[str, Any], ...]


@dataclass
class SweepPlan:
    """Every path of a sweep, the state of its models, and the jobs left to run."""

    sweep: Sweep
    out: Path
    models: dict[str, dict[int, Path]]
    states: dict[Path, str]
    populations: list[Population]
    outputs: dict[tuple[str, Path], Path]
    jobs: list[Job] = field(default_factory=list)

    def model_paths(self) -> list[Path]:
        return [p for per_cell in self.models.values() for p in per_cell.values()]

    def group_file_text(self, pop: Population) -> str:
        """The group file of ``pop``: one line per group, models as paths relative to it."""
        lines = [f"# {self.sweep.name}: {pop.population}"
                 + (" at " + ", ".join(f"{a} = {v}" for a, v in pop.values) if pop.values else "")]
        for label, cell in zip(pop.labels, pop.cells):
            names = [os.path.relpath(p, pop.path.parent) for p in self.models[cell.label].values()]
            lines.append(" ".join([label, *names]))
        return "\n".join(lines) + "\n"

    def model_groups(self, pop: Population) -> ModelGroups:
        models, groups = [], []
        for label, cell in zip(pop.labels, pop.cells):
            for path in self.models[cell.label].values():
                models.append(path)
                groups.append(label)
        return ModelGroups(pop.path, pop.labels, tuple(models), tuple(groups))


def plan_sweep(sweep: Sweep) -> SweepPlan:
    """Paths, model states and the jobs still to run (nothing is written)."""
    out = sweep.out.resolve()
    models = {cell.label: {s: out / "models" / f"{cell.model_name(s)}.h5" for s in sweep.seeds}
              for cell in sweep.cells}
    states: dict[Path, str] = {}
    for cell in sweep.cells:
        for seed, path in models[cell.label].items():
            state = jobs.model_state(path, cell_objects(cell, seed).expected_config())
            if state == jobs.DIFFERENT:
                raise ConfigError(f"{path} exists but was trained with other settings than this "
                                  "sweep file gives; use another --out or remove it")
            states[path] = state
    populations = _populations(sweep, out)
    outputs = {(a.name, pop.path): pop.path.with_name(f"{pop.path.stem}.{a.name}.h5")
               for a in sweep.analyses for pop in populations if pop.population in a.on}
    plan = SweepPlan(sweep, out, models, states, populations, outputs)
    plan.jobs = _jobs(plan)
    return plan


def _populations(sweep: Sweep, out: Path) -> list[Population]:
    pops = [Population(CELLS, out / "groups" / CELLS / f"{cell.label}.txt", (cell.label,),
                       (cell,), cell.values) for cell in sweep.cells]
    for compare in sweep.compares:
        others = [(a, v) for a, v in sweep.axes if a != compare.groups]
        group_values = dict(sweep.axes)[compare.groups]
        for combo in itertools.product(*(v for _, v in others)):
            fixed = tuple(zip((a for a, _ in others), combo))
            suffix = "_".join(sweep.axis_label(a, v) for a, v in fixed)
            path = out / "groups" / (f"{compare.name}_{suffix}.txt" if suffix else f"{compare.name}.txt")
            cells = tuple(next(c for c in sweep.cells
                               if dict(c.values) == {**dict(fixed), compare.groups: g})
                          for g in group_values)
            labels = tuple(sweep.axis_label(compare.groups, g) for g in group_values)
            pops.append(Population(compare.name, path, labels, cells, fixed))
    return pops


def _jobs(plan: SweepPlan) -> list[Job]:
    sweep = plan.sweep
    out: list[Job] = []
    ready: dict[Path, str] = {}       # model → the job after which it is fully analysed
    for cell in sweep.cells:
        seeds = list(sweep.seeds)
        for start in range(0, len(seeds), sweep.chunk):
            chunk = seeds[start:start + sweep.chunk]
            paths = [plan.models[cell.label][s] for s in chunk]
            train_name = None
            if any(plan.states[p] != jobs.COMPLETE for p in paths):
                train_name = f"train {cell.label} seeds {_span(chunk)}"
                out.append(Job(train_name, jobs.train_models, (cell, chunk, [str(p) for p in paths])))
            for path in paths:
                if _needs_analysis(plan, path):
                    name = f"analyse {path.stem}"
                    out.append(Job(name, jobs.analyse_model,
                                   (str(path), sweep.evaluate, sweep.fixedpoints),
                                   (train_name,) if train_name else ()))
                    ready[path] = name
                elif train_name:
                    ready[path] = train_name
    finder_method = (sweep.fixedpoints or {}).get("settings", {}).get("method", "approx")
    for analysis in sweep.analyses:
        for pop in plan.populations:
            if pop.population not in analysis.on:
                continue
            groups = plan.model_groups(pop)
            after = tuple(dict.fromkeys(ready[p] for p in groups.models if p in ready))
            name = f"{analysis.name} {pop.path.stem}"
            target = plan.outputs[(analysis.name, pop.path)]
            args = (analysis.kind, analysis.options, groups, str(target), finder_method)
            current = not after and jobs.population_is_current(*args)
            if not current:
                out.append(Job(name, jobs.population_job, args, after))
            folder = str(plan.out / "figures")
            if any(f.kind == "populations" and analysis.name in f.analyses for f in sweep.figures) \
                    and not (current and jobs.figures_are_current(str(target), folder)):
                out.append(Job(f"figures {target.stem}", jobs.population_figures,
                               (str(target), folder), () if current else (name,)))
    return out


def _needs_analysis(plan: SweepPlan, path: Path) -> bool:
    sweep = plan.sweep
    if sweep.evaluate is None and sweep.fixedpoints is None:
        return False
    if plan.states[path] != jobs.COMPLETE:
        return True
    return ((sweep.evaluate is not None and jobs.needs_evaluation(path))
            or (sweep.fixedpoints is not None and jobs.needs_fixed_points(path, sweep.fixedpoints)))


def _span(seeds: list[int]) -> str:
    if len(seeds) > 1 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ",".join(map(str, seeds))

