"""``rnntool evaluate`` of a closed-loop model: the network beside the Bayesian baselines."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from rnntool.cli.common import stderr
from rnntool.envs.experiment import evaluate_env_model
from rnntool.envs.metric_table import AGENT_COLUMNS, agent_rows
from rnntool.models import Model


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
        for _, heading in AGENT_COLUMNS:
            table.add_column(heading, justify="right")
        for row in agent_rows(metrics):
            table.add_row(*row)
        stderr.print(table)
    return {"path": str(model.path), "metrics": metrics}
