"""``rnntool svcca``: representational distances between the models of a group file."""

from __future__ import annotations

from pathlib import Path

import click

from rnntool.analysis.activity import population_activity
from rnntool.analysis.population import (assemble, cached_distances, population_path,
                                         write_population_file)
from rnntool.analysis.similarity import METRICS, make_metric, metric_settings, pairwise_distances
from rnntool.cli.common import device_option, emit, json_option, models_dir_option, quiet_option
from rnntool.cli.population_output import (legacy_rows_option, reload_option, scheduler_option,
                                           seed_option, show_population, workers_option)
from rnntool.storage.digest import content_digest
from rnntool.storage.groups import read_group_file


@click.command("svcca")
@click.argument("group_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--metric", "metrics", type=click.Choice(sorted(METRICS)), multiple=True,
              default=("svcca",), show_default=True,
              help="Similarity metric; repeat to compute several (one file each).")
@click.option("--keep", type=float, default=0.95, show_default=True,
              help="Variance fraction kept by each model's SVD (svcca, pwcca).")
@click.option("--components", type=int, default=None,
              help="Keep this many SVD components instead (svcca, pwcca).")
@click.option("--levels", type=int, default=10, show_default=True,
              help="Probe input levels per context.")
@click.option("--conditions", type=int, default=None,
              help="Probe conditions in all, split evenly over the contexts (replaces "
                   "--levels; McMahan et al. 2021's distance matrix: 120 with --components 2).")
@seed_option
@reload_option
@legacy_rows_option
@workers_option
@scheduler_option
@device_option
@models_dir_option
@json_option
@quiet_option
def command(group_file: Path, metrics: tuple[str, ...], keep: float, components: int | None,
            levels: int, conditions: int | None, seed: int, reload: bool, legacy_rows: bool, workers: int | None,
            scheduler: str | None, device: str, models_dir: str | None, as_json: bool,
            quiet: bool) -> None:
    """Distances between the hidden activity of the models in GROUP_FILE under static probe
    inputs, their MDS embedding and silhouette, written to GROUP_FILE's stem + .METRIC.h5.

    \b
    GROUP_FILE has one group per line: LABEL model model …  ('#' starts a comment).
    Examples:
      rnntool svcca groups.txt
      rnntool svcca groups.txt --metric cka --metric procrustes --reload
      rnntool svcca groups.txt --components 2 --conditions 120 --legacy-rows   # McMahan et al. 2021
    """
    chosen = {name: make_metric(name, **metric_settings(name, keep=keep, components=components))
              for name in dict.fromkeys(metrics)}
    groups = read_group_file(group_file, models_dir)
    digests = [content_digest(p) for p in groups.models]
    activity = None
    paths, summaries = [], []
    for name, metric in chosen.items():
        parameters = {**metric.parameters(), "seed": seed,
                      **({"conditions": conditions} if conditions else {"levels": levels})}
        path = population_path(group_file, name)
        distances = None if reload else cached_distances(path, "svcca", name, parameters,
                                                         groups, digests)
        cached = distances is not None
        if distances is None:
            if activity is None:
                activity = population_activity(groups.models, seed, levels, device, conditions)
            distances = pairwise_distances(activity, metric, workers, scheduler)
        pop = assemble(groups, "svcca", name, parameters, digests, distances, seed, legacy_rows)
        write_population_file(path, pop, {"seed": seed, "rows_as_features": legacy_rows})
        if not quiet:
            show_population(pop, path, cached)
        paths.append(path)
        summaries.append({"path": str(path), "metric": name, "cached": cached,
                          "silhouette": pop.embedding.silhouette, "groups": pop.group_summary()})
        if not as_json:
            emit([path])
    if as_json:
        emit(paths, True, summaries)
