"""``rnntool fixedpoints``: find fixed and slow points of models and store them in their files."""

from __future__ import annotations

from typing import Any

import click

from rnntool.cli.catalogue import names
from rnntool.cli.common import (device_option, emit, json_option, models_dir_option, quiet_option,
                                stderr, writable_model_paths)
from rnntool.cli.completion import complete_models, method_choice
from rnntool.cli.existing import existing_options, must_compute
from rnntool.cli.options import MAX_INITS, SEED, check_counts, check_settings, count, parse_assignments
from rnntool.errors import ConfigError

#: Input sets of the evidence tasks (McMahan et al. 2021), offered by completion.
MODES = ("large", "small", "sparse")


class _FinderOptionsHelp(click.Command):
    """Lists the finder settings (--opt) in the epilog, read from the names cache."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Finder settings (--opt KEY=VALUE)"):
            formatter.write_text(", ".join(names()["finder_settings"]) +
                                 " (see rnntool.analysis.fixedpoints.FinderSettings).")


@click.command("fixedpoints", cls=_FinderOptionsHelp)
@click.argument("models", nargs=-1, required=True, shell_complete=complete_models)
@click.option("--mode", default=None, show_default="none",
              shell_complete=lambda ctx, param, incomplete: [m for m in MODES if m.startswith(incomplete)],
              help="The task's static input set (McMahan et al. 2021): large, small or sparse "
                   "(RDM and N-CDI, any K). Without --mode, --inputs or --interpolate the "
                   "input is zero.")
@click.option("--inputs", default=None, show_default="zeros",
              help="Constant inputs: a named set (zeros, pulses; periods: every period's input "
                   "of a period-based task; ibl-conditions: the six inputs of Schaeffer et al. "
                   "2020 for IBL agents, with vector fields and basins as 'rnntool "
                   "vectorfield') or a .txt/.csv/.npy file of rows.")
@click.option("--interpolate", nargs=2, default=None, metavar="A B",
              help="Inputs evenly spaced from A to B (each 'zeros', comma-separated values or a file).")
@click.option("--steps", type=count(10**5, 2), default=11, show_default=True, help="Inputs along --interpolate.")
@click.option("--method", type=method_choice(), default="exact", show_default=True,
              help="exact: Newton-polished roots (others are slow points); approx: minimise q "
                   "only, for slow points.")
@click.option("--n-inits", type=count(MAX_INITS), default=1024, show_default=True,
              help="Initial states in all, shared among the inputs.")
@click.option("--init-from", type=click.Choice(["trajectories", "box", "both"]),
              default="trajectories", show_default=True,
              help="Initial states from visited states plus noise, a box, or both.")
@click.option("--adam-iters", "--max-iters", "max_iters", type=count(10**9), default=5000, show_default=True,
              help="Adam iterations of the search for each initial state at most (not "
                   "training iterations).")
@click.option("--seed", type=SEED, default=None, show_default="the model's seed",
              help="Seed of the initial states.")
@click.option("--opt", "finder_opts", multiple=True, metavar="KEY=VALUE",
              help="Any finder setting (listed below), e.g. --opt tol_unique=1e-4.")
@click.option("--sweep", default=None, metavar="A:B,…",
              help="Inputs interpolated between two periods' inputs, e.g. stim:delay,delay:go "
                   "(every task and condition) or delaygo.delay:delayanti.delay.")
@click.option("--interp", type=click.IntRange(min=1), default=20, show_default=True,
              help="Interpolation steps along each --sweep segment.")
@click.option("--trace", type=click.Choice(["line", "ring"]), default=None,
              help="Trace the task's line or ring attractors (slow points on hyperplanes "
                   "across them) instead of searching for fixed points.")
@click.option("--trace-points", type=click.IntRange(min=3), default=31, show_default=True,
              help="Points along each traced attractor.")
@click.option("--eig-tol", type=float, default=1e-2, show_default=True,
              help="A traced point is marginal when |max Re μ| ≤ this (1/τ).")
@click.option("--trace-reach", type=click.FloatRange(min=0, min_open=True), default=4.0,
              show_default=True,
              help="How far a traced point may move off the anchors' curve in one pass, in "
                   "spacings between points (keeps each point on its own stretch of the "
                   "attractor).")
@existing_options("the fixed-point result of the same inputs and method")
@device_option
@models_dir_option
@json_option
@quiet_option
def command(models: tuple[str, ...], mode: str | None, inputs: str | None,
            interpolate: tuple[str, str] | None, steps: int, method: str, n_inits: int,
            init_from: str, max_iters: int, seed: int | None,
            finder_opts: tuple[str, ...], sweep: str | None, interp: int, trace: str | None,
            trace_points: int, eig_tol: float, trace_reach: float, overwrite: bool, keep: bool, device: str,
            models_dir: str | None, as_json: bool, quiet: bool) -> None:
    """Fixed and slow points of MODELS with their stability, stored under
    analyses/fixedpoints/<inputs>_<method> of each file.

    A model that already has the result for the same inputs and method needs --overwrite
    or --keep.

    \b
    Examples:
      rnntool fixedpoints bptt_0050 --mode sparse
      rnntool fixedpoints bptt_0050 --mode large --method exact
      rnntool fixedpoints flipflop_3bit --inputs zeros --overwrite
      rnntool fixedpoints bptt_0050 --interpolate zeros 0.1,0,1,0 --steps 5
      rnntool fixedpoints mt_1 --sweep stim:delay,delay:go --interp 20
      rnntool fixedpoints cddm_1 --trace line
    """
    from rnntool.analysis.fixedpoints import GROUP, find_and_store, load_fixed_points
    from rnntool.analysis.task_analyses import find_at_task_inputs, trace_and_store
    from rnntool.cli.task_reports import check_task_options, show_traces, trace_summary

    check_task_options(mode, inputs, interpolate, sweep, trace)
    if inputs == "ibl-conditions":
        from rnntool.cli.vectorfield import run_vector_fields

        return run_vector_fields(models, n_inits=n_inits, seed=seed or 0, overwrite=overwrite,
                                 keep=keep, models_dir=models_dir, as_json=as_json, quiet=quiet)
    ctx = click.get_current_context()
    given = {name: (value if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
                    else None)
             for name, value in (("method", method), ("n_inits", n_inits),
                                 ("init_from", init_from), ("max_iters", max_iters))}
    settings = _settings(**given, seed=seed, opts=finder_opts)
    paths = writable_model_paths(models, models_dir)
    plans = [_plan(p, mode, inputs, interpolate, steps, sweep, interp, trace, settings.method,
                   overwrite, keep) for p in paths]
    written_paths, summaries = [], []
    for path, (key, compute) in zip(paths, plans):
        if trace is not None:
            if compute:
                traces, written = trace_and_store(path, trace, trace_points, eig_tol, device=device,
                                                   reach=trace_reach)
            else:
                from rnntool.analysis.attractor_store import load_traces

                traces, written = load_traces(path, trace).get(trace, []), path
            if not quiet:
                show_traces(path.stem, trace, traces)
            written_paths.append(written)
            summaries.append({"path": str(written), "group": key, "kept": not compute,
                              "attractors": trace_summary(traces)})
            if not as_json:
                emit([written])
            continue
        if compute:
            found = find_at_task_inputs(path, inputs, sweep, interp, settings, device)
            points, written = found or find_and_store(path, mode, inputs, interpolate or None,
                                                      steps, settings, device)
        else:
            points, written = load_fixed_points(path, key), path
        if not quiet:
            _show(path.stem, points, kept=not compute)
        written_paths.append(written)
        summaries.append({"path": str(written), "group": f"{GROUP}/{points.key}",
                          "kept": not compute, **_counts(points)})
        if not as_json:
            emit([written])
    if as_json:
        emit(written_paths, True, summaries)


def _plan(path: Any, mode: str | None, inputs: str | None, interpolate: Any, steps: int,
          sweep: str | None, interp: int, trace: str | None, method: str, overwrite: bool,
          keep: bool) -> tuple[str, bool]:
    """The result key a model would get (the traced group with --trace), and whether to
    compute it (checked before any work)."""
    from rnntool.analysis.attractor_store import GROUP as TRACES
    from rnntool.analysis.fixedpoints import fixed_point_keys, input_set, result_key
    from rnntool.analysis.task_analyses import period_input_set
    from rnntool.models import load_model
    from rnntool.storage import list_groups

    if trace is not None:
        group = f"{TRACES}/{trace}"
        return group, must_compute(trace in list_groups(path, TRACES), f"{path}: {group}",
                                   overwrite, keep)
    model = load_model(path)
    periods = period_input_set(model.task, inputs, sweep, interp)
    if periods is not None:
        stem = periods[2]
    else:
        _, _, stem = input_set(model.task, model.network.config.n_in, mode, inputs,
                               interpolate or None, steps)
    key = result_key(stem, method)
    return key, must_compute(key in fixed_point_keys(path), f"{path}: fixed points {key}",
                             overwrite, keep)


def _settings(method: str | None, n_inits: int | None, init_from: str | None, max_iters: int | None,
              seed: int | None, opts: tuple[str, ...]) -> Any:
    """Finder settings from the options given explicitly and --opt (which must agree)."""
    from dataclasses import fields

    from rnntool.analysis.fixedpoints import FinderSettings

    given = check_settings(FinderSettings, parse_assignments(opts, "--opt"), "--opt")
    options = {"method": method, "n_inits": n_inits, "init_from": init_from,
               "max_iters": max_iters, "seed": seed}
    for key, value in options.items():
        if value is not None and given.get(key, value) != value:
            raise ConfigError(f"--opt {key}={given[key]} contradicts "
                              f"--{key.replace('_', '-')} {value}")
        if value is not None:
            given[key] = value
    known = {f.name for f in fields(FinderSettings)}
    unknown = set(given) - known
    if unknown:
        raise ConfigError(f"unknown finder setting(s): {', '.join(sorted(unknown))}")
    try:
        settings = FinderSettings(**{k: v for k, v in given.items() if v is not None})
    except TypeError as err:
        raise ConfigError(f"bad finder settings: {err}") from None
    settings.check()
    check_counts(settings, {"n_inits": MAX_INITS, "trajectory_trials": 10**6,
                            "max_iters": 10**9, "newton_iters": 10**6, "manifold_points": 10**6,
                            "n_modes": 10**5}, "--opt")
    return settings


def _counts(points: Any) -> dict[str, int]:
    fixed = points.is_fixed
    return {"points": len(points), "fixed": int(fixed.sum()),
            "stable": int((fixed & points.stable_map).sum()),
            "unstable": int((fixed & ~points.stable_map).sum()), "slow": int((~fixed).sum()),
            "continuous_sets": points.n_manifolds}


def _show(name: str, points: Any, kept: bool = False) -> None:
    import numpy as np
    from rich.table import Table

    from rnntool.analysis.fixedpoints import GROUP

    table = Table(title=f"{name}: {GROUP}/{points.key}{' (kept)' if kept else ''}")
    for col in ("input", "stable", "unstable (n_unstable)", "slow", "min q"):
        table.add_column(col, justify="right" if col != "input" else "left")
    for i, label in enumerate(points.input_labels):
        sel = points.input_index == i
        fixed = sel & points.is_fixed
        stable = fixed & points.stable_map
        unstable = fixed & ~points.stable_map
        dims = ",".join(str(d) for d in sorted(set(points.n_unstable[unstable].tolist())))
        q = points.q[sel]
        table.add_row(label, str(int(stable.sum())),
                      f"{int(unstable.sum())}" + (f" ({dims})" if dims else ""),
                      str(int((sel & ~points.is_fixed).sum())),
                      f"{q.min():.1e}" if q.size else "-")
    stderr.print(table)
    c = _counts(points)
    stderr.print(f"{name}: {c['fixed']} fixed points ({c['stable']} stable, {c['unstable']} "
                 f"unstable) and {c['slow']} slow points over {len(points.inputs)} input(s)"
                 + (f"; flow-stable but map-unstable: "
                    f"{int(np.sum(points.stable_flow & ~points.stable_map))}"
                    if points.has_flow else " (a discrete map: no flow)"))
    if c["continuous_sets"]:
        on_sets = points.manifold >= 0
        stable_sets = len(set(points.manifold[on_sets & points.stable_map].tolist()))
        dims = ",".join(str(d) for d in sorted(set(points.manifold_dim[on_sets].tolist())))
        stderr.print(f"{name}: {c['continuous_sets']} continuous set(s) of fixed points "
                     f"(dimension {dims}; {stable_sets} attracting), sampled by "
                     f"{int(on_sets.sum())} of the fixed points above")
