"""The closed-loop protocol: the open-loop adapter against the open-loop path, the rollout,
the policies and the environment registry."""

from __future__ import annotations

import pytest
import torch

from rnntool.envs import OpenLoopEnvironment, ThresholdSoftmaxPolicy, make_environment
from rnntool.envs.agents import NetworkAgent, agent_config, agent_network
from rnntool.envs.agents import elman_agent
from rnntool.envs.rollout import rollout
from rnntool.errors import ConfigError
from rnntool.network import CELLS, CTRNN, preset_config
from rnntool.tasks import make_task


class CTRNNAgent:
    """A one-member CTRNN behind the rollout's step interface."""

    def __init__(self, net: CTRNN) -> None:
        self.net = net

    def initial_state(self, n: int) -> torch.Tensor:
        return self.net.initial_state(n, std=0.0)

    def step(self, x: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.net.step(x, u[None].to(self.net.dtype))
        return x, self.net.output(x)[0]


@pytest.mark.parametrize("task_name,settings", [("cdi", {"steps": 40}), ("flipflop", {"steps": 50})])
def test_adapter_reproduces_open_loop_outputs_loss_and_gradient(task_name, settings):
    task = make_task(task_name, **settings)
    config = preset_config("ctrnn", task.n_in, 12, task.n_out, dtype="float64",
                           trainable=("W_in", "W_rec", "b", "W_out"))
    net = CTRNN.initialise(config, torch.Generator().manual_seed(1))
    params = net.trainable_parameters()
    for p in params:
        p.requires_grad_(True)
    env = OpenLoopEnvironment(task)
    run = rollout(CTRNNAgent(net), env, 6, torch.Generator().manual_seed(5), record=True)
    closed_grad = torch.autograd.grad(run.objective, params)

    batch = task.sample(6, torch.Generator().manual_seed(5))
    outputs = net.simulate(batch.inputs, net.initial_state(6, std=0.0)).outputs[0]
    open_loss = task.loss(outputs, batch)
    open_grad = torch.autograd.grad(open_loss, params)

    assert run.steps == task.n_steps
    torch.testing.assert_close(run.outputs.transpose(0, 1), outputs.detach())
    torch.testing.assert_close(run.objective.to(open_loss.dtype), open_loss)
    for a, b in zip(closed_grad, open_grad):
        torch.testing.assert_close(a, b)
    # the rewards are minus each step's masked squared error
    per_step = (batch.mask * (outputs.detach() - batch.targets) ** 2).sum(-1)
    torch.testing.assert_close(run.columns["reward"].to(per_step.dtype), -per_step.T)
    assert run.columns["step"][:, 0].tolist() == list(range(task.n_steps))
    assert torch.all(env.done)


def test_threshold_policy_acts_only_above_threshold_and_losses():
    policy = ThresholdSoftmaxPolicy(0.9)
    p = torch.tensor([[0.5, 0.5], [0.95, 0.05], [0.05, 0.95], [0.1 + 1e-9, 0.9 - 1e-9]],
                     dtype=torch.float64)
    logits = p.log()
    assert policy.act(logits).tolist() == [0, -1, 1, 0]
    target = torch.tensor([1, 0, 0, 1])
    weight = torch.tensor([1.0, 1.0, 1.0, 0.0], dtype=torch.float64)
    torch.testing.assert_close(policy.loss(logits, target, weight, "p_correct"),
                               torch.tensor([-0.5, -0.95, -0.05, 0.0], dtype=torch.float64))
    torch.testing.assert_close(policy.loss(logits, target, weight, "nll"),
                               -torch.log(torch.tensor([0.5, 0.95, 0.05, 1.0], dtype=torch.float64)))
    with pytest.raises(ConfigError, match="objective 'mse'"):
        policy.check_objective("mse")


def test_rollout_gradient_flows_through_the_whole_session():
    env = make_environment("ibl", blocks_per_session=1, min_block_trials=3, max_block_trials=3)
    agent = elman_agent(3, 8, 2, torch.Generator().manual_seed(0))
    run = rollout(agent, env, 2, torch.Generator().manual_seed(0), objective="nll")
    run.objective.backward()
    assert all(p.grad.abs().sum() > 0 for p in agent.parameters())
    assert run.active_steps >= 2 * 3 * 3


def test_environment_registry_rejects_unknown_names_and_settings():
    with pytest.raises(ConfigError, match="unknown environment"):
        make_environment("nope")
    with pytest.raises(ConfigError, match="takes no setting"):
        make_environment("ibl", bogus=1)
    with pytest.raises(ConfigError, match="concordance"):
        make_environment("ibl", concordance=1.5)


@pytest.mark.parametrize("cell", ["rnn"] + [c for c in ("gru", "lstm") if c in CELLS])
def test_every_discrete_cell_acts_in_the_ibl_environment_and_learns_through_it(cell):
    env = make_environment("ibl", blocks_per_session=1, min_block_trials=3, max_block_trials=3)
    config = agent_config(3, 5, 2, cell)
    agent = NetworkAgent(agent_network(config, torch.Generator().manual_seed(0)))
    run = rollout(agent, env, 2, torch.Generator().manual_seed(1), record=True)
    run.objective.backward()
    assert all(torch.isfinite(p.grad).all() for p in agent.parameters())
    assert run.columns["activity"].shape[-1] == 5
    with pytest.raises(ConfigError, match="discrete cell"):
        agent_config(3, 5, 2, "ctrnn")
