"""``rnntool statespace``: the task-aligned state space and effective circuit of IBL agents."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

import click

from rnntool.cli.common import emit, json_option, model_paths, models_dir_option, quiet_option, stderr
from rnntool.cli.completion import complete_models
from rnntool.cli.existing import existing_options
from rnntool.cli.options import SEED, FiniteFloat, count
from rnntool.cli.outputs import prepare_results

F = TypeVar("F", bound=Callable)


def session_options(func: F) -> F:
    """--sessions, --blocks, --seed and --components: the run the analyses are computed on."""
    for option in reversed((
            click.option("--sessions", type=count(10**5, 2), default=8, show_default=True,
                         help="Sessions run by the agent (whole sessions are held out to "
                              "score the block decoder)."),
            click.option("--blocks", type=count(10**5, 2), default=20, show_default=True,
                         help="Blocks per session."),
            click.option("--seed", type=SEED, default=0, show_default=True,
                         help="Seed of the sessions and the decoder split (the sessions are "
                              "those 'rnntool evaluate --seed' draws)."),
            click.option("--components", type=click.IntRange(0, 10**5), default=0,
                         show_default=True,
                         help="Principal components the block decoder and the task-aligned "
                              "coordinates use: 0 all (nothing cut away), 2 the PC1-PC2 "
                              "plane of Schaeffer et al. 2020."))):
        func = option(func)
    return func


def space_settings(sessions: int, blocks: int, seed: int, components: int) -> Any:
    from rnntool.analysis.ibl_statespace import StateSpaceSettings

    settings = StateSpaceSettings(sessions=sessions, blocks=blocks, seed=seed,
                                  components=components)
    settings.check()
    return settings


def closed_loop_models(paths: list, what: str, components: int = 0) -> list:
    """Load every model, refusing (before any work) those not trained in the IBL environment
    and those with fewer units than the ``components`` asked for."""
    from rnntool.envs.ibl import IBLEnvironment
    from rnntool.errors import ConfigError
    from rnntool.models import load_model

    models = [load_model(p) for p in paths]
    for m in models:
        if not isinstance(m.task, IBLEnvironment):
            raise ConfigError(f"{m.path}: {what} needs a model of the IBL environment (this "
                              f"one has task {m.record.task.get('name')!r})")
        units = m.network.config.n_rec
        if components > units:
            raise ConfigError(f"{m.path}: --components {components} is more than the agent's "
                              f"{units} units")
    return models


@click.command("statespace")
@click.argument("models", nargs=-1, required=True, shell_complete=complete_models)
@session_options
@click.option("--cut", type=FiniteFloat(0, 1, min_open=True, max_open=True), default=0.5,
              show_default=True, help="Cluster cut, as a fraction of the largest merge distance.")
@existing_options("the stored state space and circuit")
@models_dir_option
@json_option
@quiet_option
def command(models: tuple[str, ...], sessions: int, blocks: int, seed: int, components: int,
            cut: float, overwrite: bool, keep: bool, models_dir: str | None, as_json: bool,
            quiet: bool) -> None:
    """Task-aligned state space of closed-loop IBL MODELS (Schaeffer et al. 2020): PCA,
    trial readout and block decoder vectors, their angle, the decoder's held-out accuracy,
    the hidden-state spectrum, the effect of observations and feedback along each direction,
    and the effective circuit; stored under analyses/statespace and analyses/circuit.

    \b
    Examples:
      rnntool statespace ibl_50
      rnntool statespace ibl_50 --sessions 16 --blocks 40 --overwrite
      rnntool statespace ibl_50 --keep | rnntool plot - --kind statespace --kind effects
    """
    settings = space_settings(sessions, blocks, seed, components)
    from rnntool.errors import ConfigError
    from rnntool.analysis.ibl_circuit import circuit, recurrent_weights, store_circuit
    from rnntool.analysis.ibl_statespace import (analyse_model, has_state_space,
                                                 load_state_space, store_state_space)

    paths = model_paths(models, models_dir)
    loaded = closed_loop_models(paths, "the state-space analysis", components)
    paths, todo = prepare_results(paths, models_dir, has_state_space, "a state space", overwrite, keep)
    summaries = []
    for path, model, compute in zip(paths, loaded, todo):
        if compute:
            space, rows = analyse_model(path, settings)
            store_state_space(path, space, rows)
            try:
                w_rec = recurrent_weights(model.network)
            except ConfigError as err:
                w_rec = None
                if not quiet:
                    stderr.print(f"{path.stem}: no circuit analysis ({err})")
            if w_rec is not None:
                store_circuit(path, circuit(rows, w_rec, space.trial_vector, space.block_vector, cut))
        else:
            space, _ = load_state_space(path)
        summary = space.summary()
        if not quiet:
            show(path.stem, summary, kept=not compute)
        summaries.append({"path": str(path), "kept": not compute, **summary})
        if not as_json:
            emit([path])
    if as_json:
        emit(paths, True, summaries)


def show(name: str, s: dict[str, float], kept: bool = False) -> None:
    from rich.table import Table

    def p(v: float) -> str:
        return "< 1e-300" if v == 0 else f"{v:.2g}"
    stderr.print(f"[bold]{name}[/]{' (kept)' if kept else ''}: angle(trial, block) "
                 f"{s['angle_full_deg']:.1f}° (in the plane {s['angle_plane_deg']:.1f}°); block "
                 f"decoder held-out accuracy {s['decoder_test_accuracy']:.3f} (PCA plane), "
                 f"{s['decoder_test_accuracy_full']:.3f} (all units); the plane holds "
                 f"{100 * s['variance_in_plane']:.1f}% of the variance and "
                 f"{100 * s['trial_vector_in_plane']:.1f}% of the trial vector")
    table = Table(title=f"{name}: change of the state per unit of input (slope, p)")
    for col in ("cause", "along trial vector", "along block vector"):
        table.add_column(col, justify="left" if col == "cause" else "right")
    for cause in ("observation", "feedback", "rewarded_side"):
        table.add_row(cause.replace("_", " "), *(f"{s[f'{cause}_slope_{d}']:.4g} (p {p(s[f'{cause}_p_{d}'])})"
                               for d in ("trial", "block")))
    stderr.print(table)
