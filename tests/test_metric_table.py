"""The closed-loop evaluation table: the network first, readable names, a dash where a metric is absent."""

from rnntool.envs.metric_table import AGENT_COLUMNS, agent_rows


def test_network_first_named_agents_and_missing_metrics_dashed() -> None:
    full = {k: 0.5 for k, _ in AGENT_COLUMNS}
    rows = agent_rows({"bayesian_observer": {"correct_per_trial": 0.8125},
                       "network": full, "my_agent": full})
    assert [r[0] for r in rows] == ["network", "Bayesian observer (threshold)", "my_agent"]
    assert rows[0][1:] == ["0.500"] * len(AGENT_COLUMNS)
    assert rows[1][1:] == ["0.812"] + ["–"] * (len(AGENT_COLUMNS) - 1)
    assert all(len(r) == len(AGENT_COLUMNS) + 1 for r in rows)
