"""Networks as closed-loop agents.

:class:`NetworkAgent` puts a one-member network of any cell behind the rollout's step
interface. :func:`agent_config` and :func:`agent_network` build the agent of Schaeffer et
al. (2020) through the registered cells: a discrete tanh RNN with ``torch.nn.RNN``
semantics (cell ``rnn``), h_t = tanh(W_ih u_t + b_ih + W_hh h_{t−1} + b_hh), a linear
readout and PyTorch's default initialisation, or the paper's optional GRU/LSTM cores
(cells ``gru``, ``lstm``). :func:`elman_network` is the same tanh RNN as a ``ctrnn`` cell
with α = 1 (the form of files written before the ``rnn`` cell existed, and of distilled
2-unit networks): with x the pre-activation, x ← W_rec tanh(x) + W_in u + b and
y = W_out tanh(x) + b_out, so h = tanh(x) follows the Elman update exactly with
b = b_ih + b_hh.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.network import CTRNN, Network, NetworkConfig, preset_config
from rnntool.network.cells import make_cell

ELMAN_TRAINABLE = ("W_in", "W_rec", "b", "W_out", "b_out")
#: The registered cells an agent is built from (torch.nn.RNN, GRU and LSTM semantics).
AGENT_CELLS = ("rnn", "gru", "lstm")


class NetworkAgent:
    """A one-member network stepped by :func:`rnntool.envs.rollout.rollout`.

    Environments run on the CPU; a network on another device (``--device cuda``) takes each
    observation there and hands its outputs and activity back.
    """

    def __init__(self, net: CTRNN) -> None:
        self.net = net
        self._params = net.trainable_parameters()

    def parameters(self) -> list[Tensor]:
        return self._params

    def initial_state(self, n_sessions: int) -> Tensor:
        return self.net.initial_state(n_sessions, std=0.0)

    def step(self, x: Tensor, u: Tensor) -> tuple[Tensor, Tensor]:
        x = self.net.step(x, u[None].to(self.net.device, self.net.dtype))
        return x, self.net.output(x)[0].to(u.device)

    def activity(self, x: Tensor) -> Tensor:
        """The hidden state h = φ(x) of each session (on the CPU, beside the environment)."""
        return self.net.rate(x)[0].cpu()


def elman_config(n_in: int, n_rec: int, n_out: int) -> NetworkConfig:
    """The tanh RNN of Schaeffer et al. (2020) in float64, every weight and bias trained."""
    return preset_config("ctrnn", n_in, n_rec, n_out, alpha=1.0, phi="tanh", readout="phi",
                         output_nonlinearity="none", dtype="float64", trainable=ELMAN_TRAINABLE)


def elman_network(config: NetworkConfig, generator: torch.Generator) -> CTRNN:
    """Weights drawn as ``torch.nn.RNN`` and ``torch.nn.Linear`` draw them: U(±1/√N) for
    W_ih, W_hh, b_ih, b_hh and the readout; b = b_ih + b_hh; x(0) = 0."""
    n, n_in, n_out = config.n_rec, config.n_in, config.n_out
    bound = n ** -0.5

    def uniform(*shape: int) -> np.ndarray:
        return ((torch.rand(shape, generator=generator, dtype=torch.float64) * 2 - 1) * bound).numpy()

    arrays = {"W_in": uniform(n, n_in), "W_rec": uniform(n, n), "b": uniform(n) + uniform(n),
              "W_out": uniform(n_out, n), "b_out": uniform(n_out), "x0": np.zeros(n)}
    return CTRNN.from_numpy(config, arrays)


def elman_agent(n_in: int, n_rec: int, n_out: int, generator: torch.Generator) -> NetworkAgent:
    """A fresh tanh RNN of Schaeffer et al. (2020) as a closed-loop agent."""
    return NetworkAgent(elman_network(elman_config(n_in, n_rec, n_out), generator))


def agent_config(n_in: int, n_rec: int, n_out: int, cell: str = "rnn") -> NetworkConfig:
    """The configuration of a closed-loop agent of ``cell`` (float64, every weight and
    bias trained, as in Schaeffer et al. 2020)."""
    if cell not in AGENT_CELLS:
        raise ConfigError(f"closed-loop agents use a discrete cell: {', '.join(AGENT_CELLS)} "
                          f"(got {cell!r})")
    config = preset_config("ctrnn", n_in, n_rec, n_out, cell=cell, phi="tanh", readout="phi",
                           output_nonlinearity="none", dtype="float64")
    trainable = tuple(spec.name for spec in make_cell(config).parameters() if spec.trainable)
    return config.with_(trainable=trainable)


def agent_network(config: NetworkConfig, generator: torch.Generator) -> Network:
    """A freshly initialised agent network (the cell's own, torch.nn-style initialisation)."""
    if config.cell == "ctrnn":
        return elman_network(config, generator)
    return Network.initialise(config, generator)
