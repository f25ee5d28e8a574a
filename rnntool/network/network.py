"""The network container: a stack of K members of one cell, with a shared readout.

A :class:`Network` holds one :class:`NetworkConfig`, the cell it names (``config.cell``) and
a dict of parameters that all carry a leading member axis, so a genetic algorithm's
population or a multi-seed ensemble runs as one batched pass (batched matrix products,
never a block-diagonal matrix). A single model is simply K = 1.

Shapes: states x are (K, B, S) with S the cell's state size; inputs u are (K or 1, B, n_in);
trial inputs are (B, T, n_in) shared by all members, or (K, B, T, n_in).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.network.cells import make_cell, parameter_names
from rnntool.network.cells.base import Cell
from rnntool.network.config import NetworkConfig
from rnntool.network.constraints import Constraints

#: The source of network noise: none, one generator, or one generator per member.
Noise = torch.Generator | list[torch.Generator] | None


class Trajectory:
    """States, activities (rates, h) and outputs of a simulation, batch-first: (K, B, T, ·).

    ``states`` may be given as a function: it is then computed on first access (an LSTM's
    c trajectory costs a second pass that training on outputs never needs).
    """

    def __init__(self, states: Tensor | Callable[[], Tensor], rates: Tensor,
                 outputs: Tensor) -> None:
        self._states, self.rates, self.outputs = states, rates, outputs

    @property
    def states(self) -> Tensor:
        if callable(self._states):
            self._states = self._states()
        return self._states


class Network:
    """A stack of K networks of one cell with a shared configuration."""

    def __init__(self, config: NetworkConfig, params: dict[str, Tensor],
                 device: str | torch.device = "cpu") -> None:
        self.config = config
        self.cell: Cell = make_cell(config)
        self.dtype = torch.float64 if config.dtype == "float64" else torch.float32
        self.device = torch.device(device)
        names = self.parameter_names
        missing = set(names) - set(params)
        if missing:
            raise ValueError(f"missing parameters: {sorted(missing)}")
        self.params = {k: params[k].to(self.device, self.dtype) for k in names}
        if hasattr(self.cell, "place"):
            self.cell.place(self.dtype, self.device)
        self.constraints = Constraints.from_config(config, self.dtype, self.device,
                                                   self.params.get("mask_rec"))

    # construction -------------------------------------------------------------------------
    @classmethod
    def initialise(cls, config: NetworkConfig, generator: torch.Generator, members: int = 1,
                   device: str | torch.device = "cpu") -> "Network":
        """Draw ``members`` independent networks, one after another from ``generator``,
        each projected onto the configured constraints."""
        cell = make_cell(config)
        draws = []
        for _ in range(members):
            p = cell.initial_parameters(generator)
            Constraints.initialise(config, p, generator)
            draws.append(p)
        params = {k: torch.stack([d[k] for d in draws]) for k in draws[0]}
        net = cls(config, params, device)
        net.project()
        return net

    @classmethod
    def from_numpy(cls, config: NetworkConfig, arrays: dict[str, np.ndarray],
                   device: str | torch.device = "cpu") -> "Network":
        """One network (K = 1) from arrays without a member axis, as stored in model files."""
        wanted = parameter_names(config)
        missing = [k for k in wanted if k not in arrays]
        if missing:
            raise ConfigError(f"missing weights for cell {config.cell!r}: {', '.join(missing)}")
        return cls(config, {k: torch.as_tensor(np.asarray(arrays[k]))[None] for k in wanted},
                   device)

    def to_numpy(self, member: int = 0) -> dict[str, np.ndarray]:
        """The parameters of one member as NumPy arrays without the member axis."""
        return {k: v[member].detach().cpu().numpy() for k, v in self.params.items()}

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """The cell's parameters, plus the fixed recurrent mask where one is configured."""
        return parameter_names(self.config)

    @property
    def members(self) -> int:
        return next(iter(self.params.values())).shape[0]

    def member(self, k: int) -> "Network":
        """A K = 1 network holding a copy of member ``k``'s weights."""
        return type(self)(self.config, {n: v[k:k + 1].detach().clone()
                                        for n, v in self.params.items()}, self.device)

    def with_config(self, **changes: object) -> "Network":
        """The same weights under a changed configuration (dtype, noise, …), detached."""
        return type(self)(self.config.with_(**changes),
                          {k: v.detach() for k, v in self.params.items()}, self.device)

    def trainable_parameters(self) -> list[Tensor]:
        """Make the configured trainable parameters leaf tensors that require gradients."""
        out = []
        for name in self.config.trainable:
            p = self.params[name].detach().requires_grad_(True)
            self.params[name] = p
            out.append(p)
        return out

    def project(self) -> None:
        """Project the weights onto the constraints in place (after every rule's update)."""
        with torch.no_grad():
            self.constraints.project(self.params)
            self.cell.project(self.params)

    def effective(self) -> dict[str, Tensor]:
        """The parameters as the dynamics use them: differentiable through the constraints
        (masks, Dale's signs), so gradient rules train the constrained network."""
        return self.constraints.apply(self.params)

    # the dynamics -------------------------------------------------------------------------
    @property
    def state_size(self) -> int:
        return self.cell.state_size

    @property
    def phi(self):  # the ctrnn cell's nonlinearity, used by rules written for it
        return self.cell.phi

    @property
    def _keep(self) -> Tensor | None:
        return getattr(self.cell, "keep", None)

    @property
    def _fill(self) -> Tensor | None:
        return getattr(self.cell, "fill", None)

    def clamp(self, x: Tensor) -> Tensor:
        """Hold the clamped units at their values (identity for unclamped networks)."""
        return self.cell.clamp(x)

    def rate(self, x: Tensor) -> Tensor:
        """The activity analyses read (rates φ(x), h, …) of states x (…, S)."""
        return self.cell.activity(x)

    def step(self, x: Tensor, u: Tensor) -> Tensor:
        """F(x, u), noise-free; x (K, B, S), u (K|1, B, n_in)."""
        return self.cell.step(self.effective(), x, u)

    def jacobian_state(self, x: Tensor, u: Tensor | None = None) -> Tensor:
        """∂F/∂x, (K, B, S, S)."""
        u = self._zero_input(x) if u is None else u
        return self.cell.jacobian_state(self.effective(), x, u)

    def jacobian_input(self, x: Tensor, u: Tensor | None = None) -> Tensor:
        """∂F/∂u, (K, B, S, n_in)."""
        u = self._zero_input(x) if u is None else u
        return self.cell.jacobian_input(self.effective(), x, u)

    def _zero_input(self, x: Tensor) -> Tensor:
        return x.new_zeros(x.shape[0], x.shape[1], self.config.n_in)

    def output(self, x: Tensor, rates: Tensor | None = None) -> Tensor:
        """Readout y = ψ(W_out z + b_out), z as the cell says; x has the member axis first."""
        z = self.cell.readout_source(x, rates)
        k = z.shape[0]
        lead = z.shape[1:-1]
        p = self.effective()
        w = p["W_out"].transpose(1, 2)
        if z.dim() == 4 and z.permute(2, 0, 1, 3).is_contiguous():
            # (K, B, T, ·) view of a scan's time-major storage: products on the storage itself,
            # read once in order — one product over every step and trial for one network,
            # one small product per step and member for several (a member-axis-first product
            # walks the storage with a stride of K·B rows: 3.5× slower at N = 50, B = 500,
            # T = 750, forward and backward)
            zt = z.permute(2, 0, 1, 3)
            y = (zt.reshape(-1, zt.shape[-1]) @ w[0]).view(*zt.shape[:-1], -1) if k == 1 \
                else zt @ w
            y = y.add_(p["b_out"][:, None, :]).permute(1, 2, 0, 3)
            return torch.tanh(y) if self.config.output_nonlinearity == "tanh" else y
        # broadcast over the leading axes instead of flattening them: z is often a view of
        # time-major (T, K, B, ·) storage, which flattening would copy
        y = (z @ w.reshape(k, *([1] * (len(lead) - 1)), *w.shape[1:]) if lead
             else (z[:, None] @ w)[:, 0]) + p["b_out"].reshape(k, *([1] * len(lead)), -1)
        return torch.tanh(y) if self.config.output_nonlinearity == "tanh" else y

    # simulation ---------------------------------------------------------------------------
    def initial_state(self, batch: int, generator: torch.Generator | None = None,
                      shared: bool = False, std: float | None = None) -> Tensor:
        """x(0) = x0 + std·ξ, ξ ~ N(0, I), one draw per trial or one shared by the batch."""
        std = self.config.x0_std if std is None else std
        x = self.params["x0"][:, None, :].expand(-1, batch, -1)
        if std > 0:
            shape = (self.members, 1 if shared else batch, self.state_size)
            noise = torch.randn(shape, generator=generator, dtype=self.dtype).to(self.device)
            x = x + std * noise
        return self.clamp(x)

    def drive(self, inputs: Tensor, generator: Noise = None) -> Tensor:
        """The per-step input drive with the configured noise, time-major (T, K, B, D).

        ``inputs`` is (B, T, n_in) or (K, B, T, n_in); one product over all steps.
        """
        u = inputs.to(self.device, self.dtype).transpose(-3, -2)  # (…, T, B, n_in)
        u = u.transpose(0, 1) if u.dim() == 4 else u[:, None]
        return self.cell.noisy_drive(self.effective(), u, self.members,
                                     lambda shape: self._randn(shape, generator))

    def _randn(self, shape: tuple[int, ...], generator: Noise) -> Tensor:
        if isinstance(generator, (list, tuple)):  # member k draws from generator k alone
            one = (shape[0], 1) + tuple(shape[2:])
            return torch.cat([torch.randn(one, generator=g, dtype=self.dtype) for g in generator],
                             dim=1).to(self.device)
        return torch.randn(shape, generator=generator, dtype=self.dtype).to(self.device)

    def unroll(self, x_init: Tensor, drive: Tensor) -> tuple[Tensor, Tensor]:
        """States and activities (T, K, B, ·) over a precomputed drive (T, K, B, D)."""
        return self.cell.unroll(self.effective(), self.clamp(x_init), drive)

    def unroll_activity(self, x_init: Tensor,
                        drive: Tensor) -> tuple[Tensor, Tensor, Callable[[], Tensor]]:
        """Activities (T, K, B, N), the last state and every state on demand (see
        :meth:`Cell.unroll_activity`) over a precomputed drive (T, K, B, D)."""
        return self.cell.unroll_activity(self.effective(), self.clamp(x_init), drive)

    def simulate(self, inputs: Tensor, x_init: Tensor, generator: Noise = None) -> Trajectory:
        """Run all members over trials; differentiable with respect to every parameter.

        Args:
            inputs: (B, T, n_in) shared by all members, or (K, B, T, n_in).
            x_init: (K, B, S) initial states.
            generator: source of the network's input and recurrent noise: one generator,
                or one per member (member k then draws exactly what a K = 1 network with
                generator k draws).
        """
        rs, _, every_state = self.unroll_activity(x_init, self.drive(inputs, generator))
        trajectory = Trajectory(lambda: every_state().permute(1, 2, 0, 3),
                                rs.permute(1, 2, 0, 3), None)
        source = trajectory.states if self.cell.readout_reads_state else trajectory.rates
        trajectory.outputs = self.output(source, trajectory.rates)
        return trajectory


@torch.no_grad()
def final_outputs(net: Network, inputs: Tensor, x_init: Tensor, time_chunk: int = 64,
                  generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Outputs at the first and last steps, (K, B, n_out) each, in bounded memory.

    Runs the cell's :meth:`~rnntool.network.cells.base.Cell.advance` over blocks of
    ``time_chunk`` steps, keeping only the state carried between blocks, so validating
    thousands of long trials never holds a (T, B, N) tensor.
    """
    x = net.clamp(x_init)
    params, reads_state = net.effective(), net.cell.readout_reads_state
    first = last = None
    for start in range(0, inputs.shape[-2], time_chunk):
        block = inputs[..., start:start + time_chunk, :]
        ends = net.cell.advance(params, x, net.drive(block, generator), first=first is None)
        if first is None:
            first = net.output(ends.first_state if reads_state else ends.first_activity,
                               ends.first_activity)
        x, last = ends.last_state, ends
    return first, net.output(x, last.last_activity)
