"""The jobs of a sweep: pure, idempotent functions of their arguments that run on any worker.

Each job reads and writes only files named in its arguments, skips work whose result is
already on disk, and writes every file atomically, so a job killed at any point leaves
either nothing or a complete file and can simply be run again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import h5py

from rnntool.analysis.activity import population_activity
from rnntool.analysis.evaluation import evaluate
from rnntool.analysis.fixedpoints import (FinderSettings, find_and_store, fixed_point_keys,
                                          result_key)
from rnntool.analysis.population import assemble, cached_distances, write_population_file
from rnntool.analysis.similarity import make_metric, pairwise_distances
from rnntool.analysis.topology import (GraphSettings, stored_or_found, topology_digest,
                                       topology_distances)
from rnntool.engine.ensemble import batches_members, train_ensemble
from rnntool.errors import CorruptFileError
from rnntool.models import load_model
from rnntool.storage import read_group, update_model, write_model
from rnntool.storage.digest import content_digest
from rnntool.storage.groups import ModelGroups
from rnntool.storage.model_file import FORMAT
from rnntool.storage.population_file import read_population
from rnntool.storage.tree import dumps, loads
from rnntool.sweeps.cells import cell_objects
from rnntool.sweeps.spec import Cell
from rnntool.training import train

MISSING, COMPLETE, DIFFERENT, CORRUPT = "missing", "complete", "different", "corrupt"


def model_state(path: Path, expected: dict[str, Any]) -> str:
    """Whether ``path`` holds a complete model trained with the ``expected`` configuration
    (:meth:`CellObjects.expected_config`): missing, complete, different or corrupt."""
    if not path.exists():
        return MISSING
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT or "weights" not in f or "config" not in f:
                return CORRUPT
            stored = {key: loads(f["config"].attrs[key]) for key in ("task", "rule", "network")}
            stored["seed"] = int(f.attrs["seed"])
    except (OSError, KeyError, ValueError):
        return CORRUPT
    same = all(_agrees(loads(dumps(stored[k])), loads(dumps(expected[k]))) for k in stored)
    return COMPLETE if same else DIFFERENT


def _agrees(stored: Any, expected: Any) -> bool:
    """Equal configurations, where a setting missing from the stored one (a file written
    before the setting existed) is not a difference."""
    if isinstance(stored, dict) and isinstance(expected, dict):
        return all(_agrees(stored[k], v) for k, v in expected.items() if k in stored)
    return stored == expected


def train_models(cell: Cell, seeds: Sequence[int], paths: Sequence[str]) -> dict[str, Any]:
    """Train the models of ``cell`` for ``seeds`` into ``paths``; complete ones are kept.

    Where the rule batches members (BPTT) the chunk trains as ONE batched ensemble
    (:func:`rnntool.engine.ensemble.train_ensemble`), always over all of its seeds, so a
    model is the same whether or not others of its chunk were written before a crash;
    only the missing files are written. Other rules train one seed after another.
    """
    objects = [cell_objects(cell, seed) for seed in seeds]
    paths_ = [Path(p) for p in paths]
    missing = [i for i, (o, p) in enumerate(zip(objects, paths_))
               if model_state(p, o.expected_config()) != COMPLETE]
    kept = [str(p) for i, p in enumerate(paths_) if i not in missing]
    if not missing:
        return {"trained": [], "kept": kept}
    first = objects[0]
    if len(seeds) > 1 and batches_members(first.rule):
        records = train_ensemble([p.stem for p in paths_], list(seeds), first.task, first.rule,
                                 first.network, first.settings)
        for i in missing:
            write_model(paths_[i], records[i])
    else:
        for i in missing:
            o = objects[i]
            write_model(paths_[i], train(paths_[i].stem, o.task, o.rule, o.network, o.settings))
    return {"trained": [str(paths_[i]) for i in missing], "kept": kept}


def analyse_model(path: str, evaluation: dict[str, Any] | None,
                  fixedpoints: dict[str, Any] | None) -> dict[str, Any]:
    """Store the model's evaluation and fixed points unless the file already has them."""
    path_ = Path(path)
    done = []
    if evaluation is not None and needs_evaluation(path_):
        model = load_model(path_)
        result = evaluate(model.network, model.task, model.record.seed + 1, evaluation["trials"])
        update_model(path_, "evaluation", result)
        done.append("evaluation")
    if fixedpoints is not None and needs_fixed_points(path_, fixedpoints):
        settings = FinderSettings(**fixedpoints["settings"])
        find_and_store(path_, mode=fixedpoints["mode"], inputs=fixedpoints["inputs"],
                       settings=settings)
        done.append("fixedpoints")
    return {"path": path, "done": done}


def needs_evaluation(path: Path) -> bool:
    """True when the model file stores no evaluation yet."""
    return not read_group(path, "evaluation")


def needs_fixed_points(path: Path, fixedpoints: dict[str, Any]) -> bool:
    """True when the model file lacks the fixed points of the sweep's mode and method."""
    method = fixedpoints["settings"].get("method", FinderSettings.method)
    return result_key(fixedpoints["stem"], method) not in fixed_point_keys(path)


def population_job(kind: str, options: dict[str, Any], groups: ModelGroups, path: str,
                   finder_method: str = "approx") -> dict[str, Any]:
    """Write the population file ``path`` of analysis ``kind`` over ``groups`` (reused
    unchanged when it was computed from the same models and settings)."""
    if kind == "svcca":
        return svcca_population(groups, Path(path), options)
    return topology_population(groups, Path(path), options, finder_method)


def population_is_current(kind: str, options: dict[str, Any], groups: ModelGroups, path: str,
                          finder_method: str = "approx") -> bool:
    """True when ``path`` already holds this analysis of exactly these models (cheap: reads
    digests, no activity or fixed points), so its job can be left out."""
    if not Path(path).is_file() or not all(p.is_file() for p in groups.models):
        return False
    try:
        if kind == "svcca":
            metric = make_metric(options.get("metric", "svcca"), keep=options.get("keep"),
                                 components=options.get("components"))
            name, parameters = metric.name, _svcca_parameters(metric, options)
            digests = [content_digest(p) for p in groups.models]
        else:
            keys = [_stored_key(p, options["mode"]) for p in groups.models]
            if None in keys:
                return False
            name, parameters = _topology_parameters(options, finder_method)
            digests = [topology_digest(p, k) for p, k in zip(groups.models, keys)]
    except CorruptFileError:
        return False
    cached = cached_distances(Path(path), kind, name, parameters, groups, digests)
    return cached is not None and _same_embedding(Path(path), options.get("seed", 0),
                                                  bool(options.get("rows_as_features", False)))


def _stored_key(path: Path, mode: str) -> str | None:
    stored = fixed_point_keys(path)
    return next((k for k in (result_key(mode, m) for m in ("exact", "approx")) if k in stored),
                None)


def _svcca_parameters(metric: Any, options: dict[str, Any]) -> dict[str, Any]:
    conditions = options.get("conditions")
    return {**metric.parameters(), "seed": options.get("seed", 0),
            **({"conditions": conditions} if conditions else {"levels": options.get("levels", 10)})}


def _topology_parameters(options: dict[str, Any], finder_method: str
                         ) -> tuple[str, dict[str, Any]]:
    descriptor = options.get("descriptor", "graph")
    graph = _graph(options)
    return descriptor, {"descriptor": descriptor, "mode": options["mode"],
                        "method": finder_method, "seed": options.get("seed", 0),
                        **({"graph": graph.config()} if descriptor == "graph" else {})}


def _graph(options: dict[str, Any]) -> GraphSettings:
    return GraphSettings(epsilon=options.get("epsilon", 1e-2),
                         max_steps=options.get("max_steps", 3000))


def svcca_population(groups: ModelGroups, path: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Representational distances (``rnntool svcca`` with the same options)."""
    metric = make_metric(options.get("metric", "svcca"), keep=options.get("keep"),
                         components=options.get("components"))
    seed, levels = options.get("seed", 0), options.get("levels", 10)
    conditions = options.get("conditions")
    rows = bool(options.get("rows_as_features", False))
    parameters = _svcca_parameters(metric, options)
    digests = [content_digest(p) for p in groups.models]
    distances = cached_distances(path, "svcca", metric.name, parameters, groups, digests)
    if distances is not None and _same_embedding(path, seed, rows):
        return {"path": str(path), "cached": True}
    if distances is None:
        activity = population_activity(groups.models, seed, levels, "cpu", conditions)
        distances = pairwise_distances(activity, metric)
    pop = assemble(groups, "svcca", metric.name, parameters, digests, distances, seed, rows)
    write_population_file(path, pop, {"seed": seed, "rows_as_features": rows})
    return {"path": str(path), "cached": False, "silhouette": pop.embedding.silhouette}


def topology_population(groups: ModelGroups, path: Path, options: dict[str, Any],
                        finder_method: str) -> dict[str, Any]:
    """Fixed-point topology distances (``rnntool topology`` with the same options)."""
    seed, rows = options.get("seed", 0), bool(options.get("rows_as_features", False))
    descriptor, parameters = _topology_parameters(options, finder_method)
    finder = FinderSettings(method=finder_method)
    points = [stored_or_found(p, options["mode"], finder) for p in groups.models]
    digests = [topology_digest(p, pts.key) for p, pts in zip(groups.models, points)]
    distances = cached_distances(path, "topology", descriptor, parameters, groups, digests)
    if distances is not None and _same_embedding(path, seed, rows):
        return {"path": str(path), "cached": True}
    edges = read_population(path)[1]["models"].get("graph_edges") if distances is not None else None
    if distances is None:
        distances, edges = topology_distances(groups.models, points, descriptor, _graph(options))
    pop = assemble(groups, "topology", descriptor, parameters, digests, distances, seed, rows)
    per_model = {"fixed_points": [int(p.is_fixed.sum()) for p in points]}
    if edges is not None:
        per_model["graph_edges"] = edges
    write_population_file(path, pop, {"seed": seed, "rows_as_features": rows}, per_model)
    return {"path": str(path), "cached": False, "silhouette": pop.embedding.silhouette}


def _same_embedding(path: Path, seed: int, rows: bool) -> bool:
    try:
        embedding = read_population(path)[1]["embedding"]
    except CorruptFileError:
        return False
    return (int(embedding.get("seed", -1)) == seed
            and bool(embedding.get("rows_as_features", False)) == rows)


def population_figures(path: str, folder: str) -> list[str]:
    """The distance-matrix and MDS figures of a population file, redrawn only when the
    file is newer than them."""
    from rnntool.plotting.population import plot_population_file

    if figures_are_current(path, folder):
        return [str(t) for t in figure_paths(path, folder)]
    return [str(p) for p in plot_population_file(Path(path), None, Path(folder), "png")]


def figure_paths(path: str, folder: str) -> list[Path]:
    """Where :func:`population_figures` draws the figures of population file ``path``."""
    return [Path(folder) / f"{Path(path).stem}.{kind}.png" for kind in ("distances", "mds")]


def figures_are_current(path: str, folder: str) -> bool:
    """True when every figure of ``path`` exists and is at least as new as the file."""
    source = Path(path)
    return source.is_file() and all(t.is_file() and t.stat().st_mtime >= source.stat().st_mtime
                                    for t in figure_paths(path, folder))
