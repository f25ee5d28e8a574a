"""``rnntool fixedpoints``: find fixed and slow points of models and store them in their files."""

from __future__ import annotations

from dataclasses import fields

import click
import numpy as np
from rich.table import Table

from rnntool.analysis.fixedpoints import GROUP, FinderSettings, FixedPoints, find_and_store
from rnntool.analysis.task_analyses import find_at_task_inputs, trace_and_store
from rnntool.cli.common import (device_option, emit, json_option, models_dir_option, quiet_option,
                                stderr, writable_model_paths)
from rnntool.cli.options import MAX_INITS, SEED, check_counts, check_settings, count, parse_assignments
from rnntool.cli.task_reports import check_task_options, show_traces, trace_summary
from rnntool.errors import ConfigError


@click.command("fixedpoints")
@click.argument("models", nargs=-1, required=True)
@click.option("--mode", default=None,
              help="The task's static input set: large, small or sparse (RDM and N-CDI, any K).")
@click.option("--inputs", default=None,
              help="Constant inputs: a named set (zeros, pulses; periods: every period's input "
                   "of a period-based task) or a .txt/.csv/.npy file of rows.")
@click.option("--interpolate", nargs=2, default=None, metavar="A B",
              help="Inputs evenly spaced from A to B (each 'zeros', comma-separated values or a file).")
@click.option("--steps", type=count(10**5, 2), default=11, show_default=True, help="Inputs along --interpolate.")
@click.option("--method", type=click.Choice(["exact", "approx"]), default=None,
              help="exact (default): Newton-polished roots (others are slow points); approx: "
                   "minimise q only, for slow points.")
@click.option("--n-inits", type=count(MAX_INITS), default=None, help="Initial states in all (default 1024).")
@click.option("--init-from", type=click.Choice(["trajectories", "box", "both"]), default=None,
              help="Initial states from visited states plus noise, a box, or both.")
@click.option("--max-iters", type=count(10**9), default=None, help="Adam iterations at most (default 5000).")
@click.option("--seed", type=SEED, default=None, help="Seed of the initial states (default: the model's).")
@click.option("--opt", "finder_opts", multiple=True, metavar="KEY=VALUE",
              help="Any finder setting: " + ", ".join(f.name for f in fields(FinderSettings)) + ".")
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
@device_option
@models_dir_option
@json_option
@quiet_option
def command(models: tuple[str, ...], mode: str | None, inputs: str | None,
            interpolate: tuple[str, str] | None, steps: int, method: str, n_inits: int | None,
            init_from: str | None, max_iters: int | None, seed: int | None,
            finder_opts: tuple[str, ...], sweep: str | None, interp: int, trace: str | None,
            trace_points: int, eig_tol: float, device: str, models_dir: str | None,
            as_json: bool, quiet: bool) -> None:
    """Fixed and slow points of MODELS with their stability, stored under
    analyses/fixedpoints/<inputs>_<method> of each file.

    \b
    Examples:
      rnntool fixedpoints bptt_0050 --mode sparse
      rnntool fixedpoints bptt_0050 --mode large --method exact
      rnntool fixedpoints flipflop_1 --inputs zeros
      rnntool fixedpoints m1 --interpolate zeros 0.1,0,1,0 --steps 5
      rnntool fixedpoints mt_1 --sweep stim:delay,delay:go --interp 20
      rnntool fixedpoints cddm_1 --trace line
    """
    check_task_options(mode, inputs, interpolate, sweep, trace)
    settings = _settings(method, n_inits, init_from, max_iters, seed, finder_opts)
    paths, summaries = [], []
    for path in writable_model_paths(models, models_dir):
        if trace is not None:
            traces, written = trace_and_store(path, trace, trace_points, eig_tol, device=device)
            if not quiet:
                show_traces(path.stem, trace, traces)
            paths.append(written)
            summaries.append({"path": str(written), "group": f"analyses/attractors/{trace}",
                              "attractors": trace_summary(traces)})
            if not as_json:
                emit([written])
            continue
        found = find_at_task_inputs(path, inputs, sweep, interp, settings, device)
        points, written = found or find_and_store(path, mode, inputs, interpolate or None, steps,
                                                  settings, device)
        if not quiet:
            _show(path.stem, points)
        paths.append(written)
        summaries.append({"path": str(written), "group": f"{GROUP}/{points.key}",
                          **_counts(points)})
        if not as_json:
            emit([written])
    if as_json:
        emit(paths, True, summaries)


def _settings(method: str | None, n_inits: int | None, init_from: str | None, max_iters: int | None,
              seed: int | None, opts: tuple[str, ...]) -> FinderSettings:
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


def _counts(points: FixedPoints) -> dict[str, int]:
    fixed = points.is_fixed
    return {"points": len(points), "fixed": int(fixed.sum()),
            "stable": int((fixed & points.stable_map).sum()),
            "unstable": int((fixed & ~points.stable_map).sum()), "slow": int((~fixed).sum()),
            "continuous_sets": points.n_manifolds}


def _show(name: str, points: FixedPoints) -> None:
    table = Table(title=f"{name}: {GROUP}/{points.key}")
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
