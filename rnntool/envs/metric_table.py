"""The closed-loop evaluation table: the network beside the Bayesian baselines (Schaeffer et
al. 2020), one row per agent. Shared by ``rnntool evaluate``'s terminal table and the report's
evaluation page, so both show the same columns under the same names."""

from __future__ import annotations

#: Columns of the table: (metric key, heading).
AGENT_COLUMNS = (("correct_per_trial", "acc/trial"), ("correct_per_action", "acc/action"),
                 ("action_taken_per_trial", "acted"), ("steps_per_trial", "steps/trial"),
                 ("feedback_per_step", "fb/step"), ("low_strength_concordant", "μ0 conc."),
                 ("low_strength_discordant", "μ0 disc."))
#: Readable names of the agents an evaluation stores (others are shown by their key).
AGENT_NAMES = {"network": "network", "bayesian_actor": "Bayesian actor",
               "blockless_actor": "blockless actor", "exponential_actor": "exponential actor",
               "bayesian_observer": "Bayesian observer (threshold)",
               "observer_at_network_decisions": "observer at the network's decisions"}


def agent_rows(metrics: dict[str, dict[str, float]]) -> list[list[str]]:
    """One row per agent, the network first: its name, then every column's value to three
    decimals ("–" where the agent has no such metric)."""
    order = sorted(metrics, key=lambda name: name != "network")
    return [[AGENT_NAMES.get(name, name)]
            + [f"{metrics[name][k]:.3f}" if k in metrics[name] else "–" for k, _ in AGENT_COLUMNS]
            for name in order]
