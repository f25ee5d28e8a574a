"""``rnntool topology``: fixed-point topology distances between the models of a group file."""

from __future__ import annotations

from pathlib import Path

import click

from rnntool.analysis.fixedpoints import METHODS, FinderSettings
from rnntool.analysis.population import (assemble, cached_distances, population_path,
                                         write_population_file)
from rnntool.analysis.topology import (DESCRIPTORS, GraphSettings, stored_or_found,
                                       topology_digest, topology_distances)
from rnntool.cli.common import device_option, emit, json_option, models_dir_option, quiet_option, stderr
from rnntool.cli.population_output import legacy_rows_option, reload_option, seed_option, show_population
from rnntool.storage.groups import read_group_file
from rnntool.storage.population_file import read_population


@click.command("topology")
@click.argument("group_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--descriptor", type=click.Choice(DESCRIPTORS), default="graph", show_default=True,
              help="graph: fixed-point graphs compared with the Weisfeiler–Lehman kernel; "
                   "mcmahan: seed 002's nearest-neighbour input labels (replication).")
@click.option("--mode", default="small", show_default=True,
              help="Static input set whose fixed points are used (the task's sets).")
@click.option("--method", type=click.Choice(METHODS), default="exact", show_default=True,
              help="Fixed-point method for points that must still be found (stored exact "
                   "roots are used first, then stored approximate points).")
@click.option("--n-inits", type=int, default=1024, show_default=True,
              help="Initial states of the fixed-point search, for points still to be found.")
@click.option("--epsilon", type=float, default=1e-2, show_default=True,
              help="Offset from a saddle along its unstable eigenvectors (graph).")
@click.option("--max-steps", type=int, default=3000, show_default=True,
              help="Step budget of the integration from each saddle (graph).")
@seed_option
@reload_option
@legacy_rows_option
@device_option
@models_dir_option
@json_option
@quiet_option
def command(group_file: Path, descriptor: str, mode: str, method: str, n_inits: int,
            epsilon: float, max_steps: int, seed: int, reload: bool, legacy_rows: bool,
            device: str, models_dir: str | None, as_json: bool, quiet: bool) -> None:
    """Distances between the fixed-point topologies of the models in GROUP_FILE, their MDS
    embedding and silhouette, written to GROUP_FILE's stem + .topology.h5. Fixed points
    stored in the model files are reused; missing ones are found and stored first.

    \b
    Examples:
      rnntool topology groups.txt
      rnntool topology groups.txt --descriptor mcmahan
    """
    if epsilon <= 0 or max_steps < 1:
        raise click.BadParameter("--epsilon must be positive and --max-steps ≥ 1")
    finder = FinderSettings(method=method, n_inits=n_inits)
    finder.check()
    graph = GraphSettings(epsilon=epsilon, max_steps=max_steps)
    groups = read_group_file(group_file, models_dir)
    points = []
    for path in groups.models:
        points.append(stored_or_found(path, mode, finder, device))
        if not quiet:
            stderr.print(f"fixed points of [bold]{path.stem}[/]: {points[-1].key}")
    digests = [topology_digest(p, pts.key) for p, pts in zip(groups.models, points)]
    parameters = {"descriptor": descriptor, "mode": mode, "method": method, "seed": seed,
                  **({"graph": graph.config()} if descriptor == "graph" else {})}
    path = population_path(group_file, "topology")
    distances = None if reload else cached_distances(path, "topology", descriptor, parameters,
                                                     groups, digests)
    cached = distances is not None
    edges = read_population(path)[1]["models"].get("graph_edges") if cached else None
    if distances is None:
        distances, edges = topology_distances(groups.models, points, descriptor, graph, device)
    pop = assemble(groups, "topology", descriptor, parameters, digests, distances, seed,
                   legacy_rows)
    per_model = {"fixed_points": [int(p.is_fixed.sum()) for p in points]}
    if edges is not None:
        per_model["graph_edges"] = edges
    write_population_file(path, pop, {"seed": seed, "rows_as_features": legacy_rows}, per_model)
    if not quiet:
        show_population(pop, path, cached)
    emit([path], as_json, [{"path": str(path), "descriptor": descriptor, "cached": cached,
                            "silhouette": pop.embedding.silhouette,
                            "groups": pop.group_summary()}])
