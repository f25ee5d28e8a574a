"""``rnntool evaluate``: score models and store the results in their files."""

from __future__ import annotations

import click
from rich.table import Table

from rnntool.analysis.evaluation import evaluate
from rnntool.cli.common import (device_option, emit, json_option, models_dir_option, quiet_option,
                                stderr, writable_model_paths)
from rnntool.cli.options import SEED, count
from rnntool.envs import Environment
from rnntool.cli.task_reports import show_per_task
from rnntool.models import load_model
from rnntool.storage import update_model


@click.command("evaluate")
@click.argument("models", nargs=-1, required=True)
@click.option("--trials", type=count(10**7), default=2000, show_default=True, help="Test trials (and per coherence).")
@click.option("--seed", type=SEED, default=None, help="Test-set seed (default: the model's seed + 1).")
@click.option("--sessions", type=count(10**6), default=16, show_default=True,
              help="Closed-loop models: sessions run in parallel (the baselines run the same ones).")
@click.option("--blocks", type=count(10**6), default=10, show_default=True,
              help="Closed-loop models: blocks per evaluation session.")
@device_option
@models_dir_option
@json_option
@quiet_option
def command(models: tuple[str, ...], trials: int, seed: int | None, sessions: int, blocks: int,
            device: str, models_dir: str | None, as_json: bool, quiet: bool) -> None:
    """Every task metric (accuracy where there is a correct answer), psychometric table and
    per-context accuracy of MODELS, stored in each file; closed-loop models are scored beside
    the Bayesian baselines on the same sessions."""
    if trials < 1:
        raise click.BadParameter("--trials must be ≥ 1")
    paths, results = [], []
    for path in writable_model_paths(models, models_dir):
        model = load_model(path, device)
        if isinstance(model.task, Environment):
            from rnntool.cli.evaluate_env import evaluate_environment

            results.append(evaluate_environment(model, seed, sessions, blocks, quiet))
            paths.append(path)
            if not as_json:
                emit([path])
            continue
        result = evaluate(model.network, model.task,
                          model.record.seed + 1 if seed is None else seed, trials)
        update_model(path, "evaluation", result)
        if not quiet:
            _show(model.record.name, result)
        paths.append(path)
        results.append({"path": str(path), **result})
        if not as_json:
            emit([path])
    if as_json:
        emit(paths, True, results)


def _show(name: str, result: dict) -> None:
    metrics = ", ".join(f"{k} {v:.4g}" for k, v in result["metrics"].items())
    scored = f" ({result['scored_trials']} scored trials)" if "scored_trials" in result else ""
    stderr.print(f"[bold]{name}[/]: {metrics}{scored}")
    show_per_task(name, result)
    if "psychometric" not in result:
        return
    psy = result["psychometric"]
    table = Table(title=f"{name}: P(choice > 0) by signed coherence on channel 0")
    table.add_column("context")
    for c in psy["coherences"]:
        table.add_column(f"{c:+.3f}", justify="right")
    table.add_column("accuracy", justify="right")
    for k, row in enumerate(psy["fraction_positive"]):
        table.add_row(str(k), *(f"{v:.2f}" for v in row), f"{result['accuracy_per_context'][k]:.3f}")
    stderr.print(table)
