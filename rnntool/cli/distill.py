"""``rnntool distill``: distil closed-loop IBL agents into 2-unit agents (RADD, soft targets)."""

from __future__ import annotations

from typing import Any

import click

from rnntool.cli.common import (emit, json_option, model_paths, models_dir_option, quiet_option,
                                stderr)
from rnntool.cli.completion import complete_models
from rnntool.cli.existing import existing_options, must_compute
from rnntool.cli.options import POSITIVE, SEED, count
from rnntool.cli.outputs import check_writable
from rnntool.cli.statespace import closed_loop_models, session_options, space_settings


@click.command("distill")
@click.argument("models", nargs=-1, required=True, shell_complete=complete_models)
@click.option("--method", type=click.Choice(["radd", "soft"]), default="radd", show_default=True,
              help="radd: 2-unit tanh system fitted to the task-aligned states; soft: a small "
                   "RNN trained on the teacher's action probabilities.")
@session_options
@click.option("--hidden", type=count(10**4), default=2, show_default=True,
              help="soft: units of the student.")
@click.option("--iterations", type=count(10**7), default=400, show_default=True,
              help="soft: student steps (each on a minibatch of cached teacher sessions).")
@click.option("--bank", type=count(10**5), default=128, show_default=True,
              help="soft: teacher sessions run once and cached.")
@click.option("--lr", type=POSITIVE, default=1e-2, show_default=True,
              help="soft: Adam learning rate of the student.")
@click.option("--compare", "compare", multiple=True, shell_complete=complete_models,
              help="Other agents (e.g. a directly trained 2-unit model) scored beside the "
                   "teacher and the distillate on the same sessions; repeatable.")
@click.option("--eval-sessions", type=count(10**5), default=16, show_default=True,
              help="Sessions of the comparison (those of 'rnntool evaluate --seed 0').")
@click.option("--eval-blocks", type=count(10**5), default=10, show_default=True,
              help="Blocks per comparison session.")
@click.option("--eval-seed", type=SEED, default=0, show_default=True,
              help="Seed of the comparison sessions.")
@existing_options("the distilled model file")
@models_dir_option
@json_option
@quiet_option
def command(models: tuple[str, ...], method: str, sessions: int, blocks: int, seed: int,
            components: int, hidden: int, iterations: int, bank: int, lr: float,
            compare: tuple[str, ...], eval_sessions: int, eval_blocks: int, eval_seed: int,
            overwrite: bool, keep: bool, models_dir: str | None, as_json: bool,
            quiet: bool) -> None:
    """Distil closed-loop IBL MODELS (Schaeffer et al. 2020) into small agents written as
    model files <model>.radd.h5 or <model>.soft.h5, which evaluate, plot, statespace and
    report treat like any agent. Prints the accuracies of the teacher, the distillate and
    the --compare agents on the same sessions.

    \b
    Examples:
      rnntool distill ibl_50                          # RADD: models/ibl_50.radd.h5
      rnntool distill ibl_50 --method soft --compare ibl_2u
      rnntool evaluate ibl_50.radd
    """
    settings = space_settings(sessions, blocks, seed, components)
    from rnntool.distill import (compare_agents, distill_radd, distill_soft, distilled_path,
                                 store_comparison)
    from rnntool.distill.soft import SoftSettings
    from rnntool.storage import read_model, write_model

    soft = SoftSettings(hidden=hidden, iterations=iterations, bank=bank, lr=lr,
                        batch=min(16, bank))
    soft.check()
    paths = model_paths(models, models_dir)
    others = model_paths(compare, models_dir) if compare else []
    closed_loop_models(paths, "distillation", components if method == "radd" else 0)
    closed_loop_models(others, "comparison")
    targets = [check_writable(distilled_path(p, method, models_dir)) for p in paths]
    todo = [must_compute(t.exists(), f"{t}", overwrite, keep) for t in targets]
    summaries = []
    for path, target, compute in zip(paths, targets, todo):
        if compute:
            if method == "radd":
                fit, record = distill_radd(path, settings)
                if not quiet:
                    stderr.print(f"{path.stem}: RADD test R² {float(fit.r2_test.mean()):.4f} "
                                 f"(trial {fit.r2_test[0]:.4f}, block {fit.r2_test[1]:.4f}), "
                                 f"simulated R² {fit.r2_simulated:.4f}, readout R² "
                                 f"{fit.readout_r2:.4f}")
            else:
                _, record = distill_soft(path, soft, seed, _logger(path.stem, quiet, iterations))
            target.parent.mkdir(parents=True, exist_ok=True)
            write_model(target, record)
        else:
            record = read_model(target)
        scores = compare_agents([path, target, *others], eval_sessions, eval_blocks, eval_seed)
        store_comparison(target, scores, {"sessions": eval_sessions, "blocks": eval_blocks,
                                          "seed": eval_seed})
        if not quiet:
            show(scores, eval_sessions, eval_blocks)
        summaries.append({"path": str(target), "kept": not compute, "teacher": str(path),
                          "comparison": scores,
                          **({"r2_test": record.training["fit"]["r2_test"]} if method == "radd" else {})})
        if not as_json:
            emit([target])
    if as_json:
        emit(targets, True, summaries)


def _logger(name: str, quiet: bool, total: int) -> Any:
    def log(it: int, loss: float) -> None:
        if not quiet and (it % 100 == 0 or it == total):
            stderr.print(f"{name}: student step {it}/{total}, soft cross-entropy {loss:.4f}")
    return log


def show(scores: dict[str, dict[str, float]], sessions: int, blocks: int) -> None:
    from rich.table import Table

    table = Table(title=f"the same {sessions} sessions × {blocks} blocks for every agent")
    for col in ("agent", "units", "acc/trial", "acc/action", "acted", "μ0 conc", "μ0 disc",
                "fb/step"):
        table.add_column(col, justify="left" if col == "agent" else "right")
    for name, m in scores.items():
        table.add_row(name, f"{int(m['units'])}", *(f"{m[k]:.3f}" for k in (
            "correct_per_trial", "correct_per_action", "action_taken_per_trial",
            "low_strength_concordant", "low_strength_discordant", "feedback_per_step")))
    stderr.print(table)
