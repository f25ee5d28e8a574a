"""``rnntool evaluate``: score models and store the results in their files."""

from __future__ import annotations

import click

from rnntool.cli.common import (device_option, emit, json_option, model_paths, models_dir_option,
                                quiet_option, stderr)
from rnntool.cli.completion import complete_models
from rnntool.cli.existing import existing_options
from rnntool.cli.options import SEED, count
from rnntool.cli.outputs import prepare_results


@click.command("evaluate")
@click.argument("models", nargs=-1, required=True, shell_complete=complete_models)
@click.option("--trials", type=count(10**7), default=2000, show_default=True,
              help="Test trials, trials per point of each psychometric curve, and trials "
                   "per duration of the duration task's precision.")
@click.option("--seed", type=SEED, default=0, show_default=True,
              help="Seed of the test set; the default gives every model the same test trials "
                   "(the library's evaluate() uses the same default).")
@existing_options("the evaluation")
@click.option("--sessions", type=count(10**6), default=16, show_default=True,
              help="Closed-loop models: sessions run in parallel (the baselines run the same ones).")
@click.option("--blocks", type=count(10**6), default=10, show_default=True,
              help="Closed-loop models: blocks per evaluation session.")
@device_option
@models_dir_option
@json_option
@quiet_option
def command(models: tuple[str, ...], trials: int, seed: int, sessions: int, blocks: int,
            overwrite: bool, keep: bool, device: str, models_dir: str | None, as_json: bool,
            quiet: bool) -> None:
    """Every task metric (accuracy where there is a correct answer), psychometric table and
    per-context accuracy of MODELS, stored under /evaluation of each file; closed-loop models
    are scored beside the Bayesian baselines on the same sessions.

    The test trials come from a random stream of their own (never used in training), fixed
    by --seed. A model that already has an evaluation needs --overwrite or --keep.

    \b
    Examples:
      rnntool evaluate bptt_0050
      rnntool evaluate bptt_0050 ga_0050 --trials 5000 --overwrite
      rnntool train bptt_a bptt_b -v 0.1 | rnntool evaluate -
    """
    from rnntool.analysis.evaluation import evaluate
    from rnntool.envs import Environment
    from rnntool.models import load_model
    from rnntool.storage import read_group, update_model

    paths, todo = prepare_results(model_paths(models, models_dir), models_dir,
                                  lambda p: bool(read_group(p, "evaluation")), "an evaluation",
                                  overwrite, keep)
    results = []
    for path, compute in zip(paths, todo):
        if not compute:
            result = read_group(path, "evaluation") or {}
            if not quiet:
                stderr.print(f"{path.stem}: kept the stored evaluation")
            results.append({"path": str(path), "kept": True, **result})
            if not as_json:
                emit([path])
            continue
        model = load_model(path, device)
        if isinstance(model.task, Environment):
            from rnntool.cli.evaluate_env import evaluate_environment

            results.append(evaluate_environment(model, seed, sessions, blocks, quiet))
            if not as_json:
                emit([path])
            continue
        result = evaluate(model.network, model.task, seed, trials)
        update_model(path, "evaluation", result)
        if not quiet:
            _show(model.record.name, result)
        results.append({"path": str(path), "kept": False, **result})
        if not as_json:
            emit([path])
    if as_json:
        emit(paths, True, results)


def _show(name: str, result: dict) -> None:
    from rich.table import Table

    from rnntool.cli.geometry import show_precision
    from rnntool.cli.task_reports import show_per_task

    metrics = ", ".join(f"{k} {v:.4g}" for k, v in result["metrics"].items())
    scored = f" ({result['scored_trials']} scored trials)" if "scored_trials" in result else ""
    stderr.print(f"[bold]{name}[/]: {metrics}{scored}")
    show_per_task(name, result)
    show_precision(name, result)
    if "psychometric" not in result:
        return
    psy = result["psychometric"]
    table = Table(title=f"{name}: P(choice > 0) by signed coherence on channel 0")
    table.add_column("context cued")
    for c in psy["coherences"]:
        table.add_column(f"{c:+.3f}", justify="right")
    table.add_column("accuracy", justify="right")
    for k, row in enumerate(psy["fraction_positive"]):
        table.add_row(str(k), *(f"{v:.2f}" for v in row), f"{result['accuracy_per_context'][k]:.3f}")
    stderr.print(table)
