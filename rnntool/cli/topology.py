"""``rnntool topology``: fixed-point topology distances between the models of a group file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rnntool.cli.common import (device_option, emit, json_option, models_dir_option, quiet_option,
                                read_groups, stderr)
from rnntool.cli.completion import descriptor_choice, method_choice
from rnntool.cli.existing import existing_options
from rnntool.cli.options import MAX_INITS, POSITIVE, count
from rnntool.cli.population_output import (legacy_rows_option, out_option, planned_output,
                                           reload_option, seed_option, show_models,
                                           show_population)


@click.command("topology")
@click.argument("group_file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--descriptor", type=descriptor_choice(), default="graph", show_default=True,
              help="graph: fixed-point graphs compared with the Weisfeiler–Lehman kernel; "
                   "mcmahan: McMahan et al. 2021's nearest-neighbour input labels (replication).")
@click.option("--mode", default="small", show_default=True,
              help="Static input set whose fixed points are used (the task's sets).")
@click.option("--method", type=method_choice(), default="exact", show_default=True,
              help="Fixed-point method for points that must still be found (stored exact "
                   "roots are used first, then stored approximate points; the file records "
                   "which result each model used).")
@click.option("--n-inits", type=count(MAX_INITS), default=1024, show_default=True,
              help="Initial states of the fixed-point search, for points still to be found.")
@click.option("--epsilon", type=POSITIVE, default=1e-2, show_default=True,
              help="Offset from a saddle along its unstable eigenvectors (graph).")
@click.option("--max-steps", type=count(10**8), default=3000, show_default=True,
              help="Step budget of the integration from each saddle (graph).")
@out_option("GROUP_FILE's stem + .topology.h5")
@existing_options("an output file computed from other models or settings")
@seed_option
@reload_option
@legacy_rows_option
@device_option
@models_dir_option
@json_option
@quiet_option
def command(group_file: Path, descriptor: str, mode: str, method: str, n_inits: int,
            epsilon: float, max_steps: int, out: Path | None, overwrite: bool, keep: bool,
            seed: int, reload: bool, legacy_rows: bool, device: str, models_dir: str | None,
            as_json: bool, quiet: bool) -> None:
    """Distances between the fixed-point topologies of the models in GROUP_FILE, their MDS
    embedding and silhouette, written to a population file. Fixed points stored in the
    model files are reused; missing ones are found and stored first.

    The output file doubles as a cache: distances of the same models and settings are
    reused (--reload recomputes); a file computed from other inputs needs --overwrite or
    --keep. Each model's fixed-point result, its counts and any warning (untrained models,
    no saddles) are shown and stored.

    \b
    Examples:
      rnntool topology groups.txt
      rnntool topology groups.txt --descriptor mcmahan --out groups.mcmahan.h5
    """
    import numpy as np

    from rnntool.analysis.fixedpoints import FinderSettings
    from rnntool.analysis.population import (assemble, cached_distances, population_path,
                                             read_population_summary, same_request,
                                             write_population_file)
    from rnntool.analysis.population_checks import (fixed_point_warning, identical_pairs,
                                                     model_warnings)
    from rnntool.analysis.topology import (GraphSettings, stored_or_found, topology_digest,
                                           topology_distances)
    from rnntool.storage.population_file import read_population

    if epsilon <= 0 or max_steps < 1:
        raise click.BadParameter("--epsilon must be positive and --max-steps ≥ 1")
    finder = FinderSettings(method=method, n_inits=n_inits)
    finder.check()
    graph = GraphSettings(epsilon=epsilon, max_steps=max_steps)
    groups = read_groups(group_file, models_dir)
    path = out if out is not None else population_path(groups.source, "topology")
    parameters = {"descriptor": descriptor, "mode": mode, "method": method, "seed": seed,
                  **({"graph": graph.config()} if descriptor == "graph" else {})}
    other = path.exists() and not same_request(path, "topology", descriptor, parameters, groups)
    if not planned_output(path, other, overwrite, keep):
        emit([path], as_json, [{"path": str(path), "kept": True, **read_population_summary(path)}])
        return
    points = []
    for model_path in groups.models:
        points.append(stored_or_found(model_path, mode, finder, device))
        if not quiet:
            stderr.print(f"fixed points of [bold]{model_path.stem}[/]: {points[-1].key}")
    digests = [topology_digest(p, pts.key) for p, pts in zip(groups.models, points)]
    distances = None if reload else cached_distances(path, "topology", descriptor, parameters,
                                                     groups, digests)
    cached = distances is not None
    edges = read_population(path)[1]["models"].get("graph_edges") if cached else None
    if distances is None:
        distances, edges = topology_distances(groups.models, points, descriptor, graph, device)
    pop = assemble(groups, "topology", descriptor, parameters, digests, distances, seed,
                   legacy_rows)
    fixed = [int(p.is_fixed.sum()) for p in points]
    unstable = [int((p.is_fixed & ~p.stable_map).sum()) for p in points]
    warnings = model_warnings(groups.models, [fixed_point_warning(f, u, descriptor)
                                              for f, u in zip(fixed, unstable)])
    per_model: dict[str, Any] = {
        "fixed_points": np.asarray(fixed, dtype=np.int64),
        "unstable_fixed_points": np.asarray(unstable, dtype=np.int64),
        "fixed_point_key": np.array([p.key for p in points], dtype=object),
        "warnings": np.array(warnings, dtype=object)}
    if edges is not None:
        per_model["graph_edges"] = np.asarray(edges, dtype=np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_population_file(path, pop, {"seed": seed, "rows_as_features": legacy_rows}, per_model)
    if not quiet:
        show_population(pop, path, cached)
        columns = {"fixed points used": [p.key for p in points], "fixed": fixed,
                   "unstable": unstable}
        if edges is not None:
            columns["graph edges"] = [int(e) for e in edges]
        show_models(pop, columns, warnings, identical_pairs(groups.names, distances))
    emit([path], as_json, [{"path": str(path), "descriptor": descriptor, "cached": cached,
                            "kept": False, **read_population_summary(path)}])

