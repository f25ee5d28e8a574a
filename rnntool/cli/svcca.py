"""``rnntool svcca``: representational distances between the models of a group file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rnntool.cli.common import (device_option, emit, json_option, models_dir_option, quiet_option,
                                read_groups)
from rnntool.cli.completion import metric_choice
from rnntool.cli.population_output import (legacy_rows_option, out_option, planned_output,
                                           reload_option, scheduler_option, seed_option,
                                           show_models, show_population, workers_option)
from rnntool.cli.existing import existing_options
from rnntool.cli.options import POSITIVE, count
from rnntool.errors import ConfigError


@click.command("svcca")
@click.argument("group_file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--metric", "metrics", type=metric_choice(), multiple=True, default=("svcca",),
              show_default=True,
              help="Similarity metric; repeat to compute several (one file each).")
@click.option("--keep-variance", "keep_variance", type=POSITIVE, default=0.95,
              show_default=True,
              help="Variance fraction kept by each model's SVD (svcca, pwcca).")
@click.option("--components", type=count(10**6), default=None,
              show_default="by --keep-variance", help="Keep this many SVD components instead (svcca, pwcca).")
@click.option("--levels", type=count(10**4), default=10, show_default=True,
              help="Probe input levels per context.")
@click.option("--conditions", type=count(10**6), default=None, show_default="by --levels",
              help="Probe conditions in all, split evenly over the contexts (replaces "
                   "--levels; McMahan et al. 2021's distance matrix: 120 with --components 2).")
@out_option("GROUP_FILE's stem + .METRIC.h5")
@existing_options("an output file computed from other models or settings")
@seed_option
@reload_option
@legacy_rows_option
@workers_option
@scheduler_option
@device_option
@models_dir_option
@json_option
@quiet_option
def command(group_file: Path, metrics: tuple[str, ...], keep_variance: float,
            components: int | None, levels: int, conditions: int | None, out: Path | None,
            overwrite: bool, keep: bool, seed: int, reload: bool, legacy_rows: bool,
            workers: int | None, scheduler: str | None, device: str, models_dir: str | None,
            as_json: bool, quiet: bool) -> None:
    """Distances between the hidden activity of the models in GROUP_FILE under static probe
    inputs, their MDS embedding and silhouette, written to one population file per metric.

    GROUP_FILE has one group per line: LABEL model model …  ('#' starts a comment). The
    output file doubles as a cache: distances of the same models and settings are reused
    (--reload recomputes); a file computed from other inputs needs --overwrite or
    --keep. Each model's kept SVD components and any warning (untrained or
    one-dimensional models) are shown and stored.

    \b
    Examples:
      rnntool svcca groups.txt
      rnntool svcca groups.txt --metric cka --metric procrustes --reload
      rnntool svcca groups.txt --components 10 --out results/{metric}-10.h5
      rnntool svcca groups.txt --components 2 --conditions 120 --legacy-rows   # McMahan et al. 2021
    """
    from rnntool.analysis.population import cached_distances, population_path, same_request
    from rnntool.cli.population_checks import check_components
    from rnntool.storage.digest import content_digest
    from rnntool.analysis.similarity import make_metric, metric_settings

    chosen = {name: make_metric(name, **metric_settings(name, keep=keep_variance,
                                                        components=components))
              for name in dict.fromkeys(metrics)}
    if out is not None and len(chosen) > 1 and "{metric}" not in str(out):
        raise ConfigError("with several --metric, --out must contain {metric}")
    groups = read_groups(group_file, models_dir)
    check_components(components, groups.models)
    digests = [content_digest(p) for p in groups.models]
    plans = []
    for name, metric in chosen.items():
        parameters = {**metric.parameters(), "seed": seed,
                      **({"conditions": conditions} if conditions else {"levels": levels})}
        path = (Path(str(out).replace("{metric}", name)) if out is not None
                else population_path(groups.source, name))
        cached = cached_distances(path, "svcca", name, parameters, groups, digests)
        other = path.exists() and not same_request(path, "svcca", name, parameters, groups)
        write = planned_output(path, other, overwrite, keep)
        plans.append((name, metric, parameters, path, None if reload else cached, write))
    activity: Any = None
    paths, summaries = [], []
    for name, metric, parameters, path, cached, write in plans:
        if write:
            distances, kept, activity = _distances(groups, metric, cached, path, activity,
                                                   seed, levels, conditions, device, workers,
                                                   scheduler)
            pop, per_model, pairs = _assemble(groups, name, parameters, digests, distances,
                                              kept, seed, legacy_rows)
            _write(path, pop, seed, legacy_rows, per_model)
            if not quiet:
                show_population(pop, path, cached is not None)
                show_models(pop, {"SVD components": kept}, per_model["warnings"], pairs)
        paths.append(path)
        summaries.append({"path": str(path), "metric": name, "cached": cached is not None,
                          "kept": not write, **_summary(path)})
        if not as_json:
            emit([path])
    if as_json:
        emit(paths, True, summaries)


def _distances(groups: Any, metric: Any, cached: Any, path: Path, activity: Any, seed: int,
               levels: int, conditions: int | None, device: str, workers: int | None,
               scheduler: str | None) -> tuple:
    """Distances (cached or computed), each model's kept components, and the activity."""
    import numpy as np

    from rnntool.analysis.activity import population_activity
    from rnntool.analysis.similarity import pairwise_distances
    from rnntool.analysis.similarity.reduction import Reduction
    from rnntool.storage.population_file import read_population

    if cached is not None:
        stored = read_population(path)[1]["models"].get("components")
        if stored is not None:
            return cached, [int(c) for c in np.asarray(stored)], activity
    if activity is None:
        activity = population_activity(groups.models, seed, levels, device, conditions)
    prepared = [metric.prepare(x) for x in activity]
    kept = [p.basis.shape[1] if isinstance(p, Reduction) else -1 for p in prepared]
    distances = cached if cached is not None else pairwise_distances(activity, metric, workers,
                                                                     scheduler)
    return distances, kept, activity


def _assemble(groups: Any, name: str, parameters: dict, digests: list, distances: Any,
              kept: list[int], seed: int, legacy_rows: bool) -> tuple:
    import numpy as np

    from rnntool.analysis.population import assemble
    from rnntool.analysis.population_checks import (component_warning, identical_pairs,
                                                     model_warnings)

    pop = assemble(groups, "svcca", name, parameters, digests, distances, seed, legacy_rows)
    warnings = model_warnings(groups.models, [component_warning(k) for k in kept])
    per_model = {"components": np.asarray(kept, dtype=np.int64),
                 "warnings": np.array(warnings, dtype=object)}
    return pop, per_model, identical_pairs(groups.names, distances)


def _write(path: Path, pop: Any, seed: int, legacy_rows: bool, per_model: dict) -> None:
    from rnntool.analysis.population import write_population_file

    path.parent.mkdir(parents=True, exist_ok=True)
    write_population_file(path, pop, {"seed": seed, "rows_as_features": legacy_rows}, per_model)


def _summary(path: Path) -> dict[str, Any]:
    """What the JSON summary reports, read back from the file written (or kept)."""
    from rnntool.analysis.population import read_population_summary

    return read_population_summary(path)
