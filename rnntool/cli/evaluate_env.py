"""``rnntool evaluate`` of a closed-loop model: the network beside the Bayesian baselines."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from rnntool.cli.common import stderr
from rnntool.envs.experiment import evaluate_env_model
from rnntool.models import Model

#: Rows of the summary table: (metric key, heading).
COLUMNS = (("correct_per_trial", "acc/trial"), ("correct_per_action", "acc/action"),
           ("action_taken_per_trial", "acted"), ("steps_per_trial", "steps"),
           ("feedback_per_step", "fb/step"), ("low_strength_concordant", "μ0 conc"),
           ("low_strength_discordant", "μ0 disc"))
NAMES = {"network": "network", "bayesian_actor": "Bayesian actor",
         "blockless_actor": "blockless actor", "exponential_actor": "exponential actor",
         "bayesian_observer": "observer (threshold)",
         "observer_at_network_decisions": "observer at net's decisions"}


def evaluate_environment(model: Model, seed: int | None, sessions: int, blocks: int,
                         quiet: bool) -> dict[str, Any]:
    """Evaluate, store in the model file, print the comparison table; returns the metrics."""
    seed = model.record.seed + 1 if seed is None else seed
    result = evaluate_env_model(model.path, model.network, model.task, seed, sessions, blocks)
    metrics = result["metrics"]
    if not quiet:
        table = Table(title=f"{model.record.name}: {sessions} sessions × {blocks} blocks "
                            f"({int(metrics['network']['trials'])} trials), same sessions for all")
        table.add_column("agent")
        for _, heading in COLUMNS:
            table.add_column(heading, justify="right")
        for name, values in metrics.items():
            table.add_row(NAMES.get(name, name),
                          *(f"{values[k]:.3f}" if k in values else "–" for k, _ in COLUMNS))
        stderr.print(table)
    return {"path": str(model.path), "metrics": metrics}
