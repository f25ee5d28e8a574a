"""The dynamical-system view that analyses take instead of a particular network class.

A :class:`DynamicalSystem` is one member of a :class:`~rnntool.network.network.Network` seen
as the map x_{t+1} = F(x_t, u_t) on flat states of size :attr:`state_size`: its step and
Jacobians (the cell's, analytic or autograd), readout, activity, a float64 copy and its time
scale α (None for discrete maps such as GRUs, whose flow quantities are then absent).

Every method takes states (…, S) and inputs (…, n_in) with any leading shape, so analyses
need no member axis; :meth:`simulate` runs task trials through the cell's fused unroll.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from rnntool.network.network import Network, Trajectory


class DynamicalSystem:
    """One network member as a discrete-time dynamical system."""

    def __init__(self, network: Network, member: int = 0) -> None:
        self.network = network if network.members == 1 else network.member(member)

    @classmethod
    def of(cls, system: "DynamicalSystem | Network") -> "DynamicalSystem":
        """The view of ``system`` (member 0 of a network; a view is returned unchanged)."""
        return system if isinstance(system, DynamicalSystem) else cls(system)

    # sizes and scales ---------------------------------------------------------------------
    @property
    def state_size(self) -> int:
        return self.network.state_size

    @property
    def input_size(self) -> int:
        return self.network.config.n_in

    @property
    def output_size(self) -> int:
        return self.network.config.n_out

    @property
    def hidden_size(self) -> int:
        """Units of the activity analyses read (N; the state is larger for an LSTM)."""
        return self.network.cell.hidden_size

    @property
    def alpha(self) -> float | None:
        """α = dt/τ of a continuous-time cell; None for a discrete map."""
        return self.network.cell.alpha

    @property
    def clamped_units(self) -> tuple[int, ...]:
        """State components held fixed (they carry no information)."""
        return tuple(self.network.config.clamp_units)

    @property
    def dtype(self) -> torch.dtype:
        return self.network.dtype

    @property
    def device(self) -> torch.device:
        return self.network.device

    @property
    def cell_name(self) -> str:
        return self.network.config.cell

    # copies -------------------------------------------------------------------------------
    def with_dtype(self, dtype: str | torch.dtype) -> "DynamicalSystem":
        """The same system computed in another precision (itself when already so)."""
        name = dtype if isinstance(dtype, str) else str(dtype).replace("torch.", "")
        if name == self.network.config.dtype:
            return self
        return DynamicalSystem(self.network.with_config(dtype=name))

    def float64(self) -> "DynamicalSystem":
        return self.with_dtype("float64")

    def quiet(self) -> "DynamicalSystem":
        """The same system without input and recurrent noise."""
        cfg = self.network.config
        if cfg.noise_in == 0 and cfg.noise_rec == 0:
            return self
        return DynamicalSystem(self.network.with_config(noise_in=0.0, noise_rec=0.0))

    # the map ------------------------------------------------------------------------------
    def _flat(self, x: Tensor, u: Tensor) -> tuple[Tensor, Tensor, tuple[int, ...]]:
        lead = x.shape[:-1]
        x2 = x.reshape(1, -1, x.shape[-1])
        u2 = torch.broadcast_to(u, lead + u.shape[-1:]).reshape(1, -1, u.shape[-1])
        return x2, u2, lead

    def step(self, x: Tensor, u: Tensor) -> Tensor:
        """F(x, u), noise-free: x (…, S), u (…, n_in) → (…, S)."""
        x2, u2, lead = self._flat(x, u)
        return self.network.step(x2, u2).reshape(*lead, -1)

    def jacobian_state(self, x: Tensor, u: Tensor | None = None) -> Tensor:
        """∂F/∂x: (…, S, S)."""
        u = x.new_zeros(x.shape[:-1] + (self.input_size,)) if u is None else u
        x2, u2, lead = self._flat(x, u)
        return self.network.jacobian_state(x2, u2).reshape(*lead, x.shape[-1], x.shape[-1])

    def jacobian_input(self, x: Tensor, u: Tensor | None = None) -> Tensor:
        """∂F/∂u: (…, S, n_in)."""
        u = x.new_zeros(x.shape[:-1] + (self.input_size,)) if u is None else u
        x2, u2, lead = self._flat(x, u)
        return self.network.jacobian_input(x2, u2).reshape(*lead, x.shape[-1], self.input_size)

    def clamp(self, x: Tensor) -> Tensor:
        """States with clamped components at their values: (…, S)."""
        return self.network.clamp(x)

    def activity(self, x: Tensor) -> Tensor:
        """What analyses read of states (…, S) → (…, N): rates, h, …"""
        return self.network.rate(x)

    def observed(self, x: Tensor) -> Tensor:
        """The units analyses of activity record, (…, S) → (…, N)."""
        return self.network.cell.observed(x)

    def readout(self, x: Tensor) -> Tensor:
        """The network's output y for states (…, S) → (…, n_out)."""
        return self.network.output(x.reshape(1, -1, x.shape[-1])).reshape(
            *x.shape[:-1], self.output_size)

    # trials -------------------------------------------------------------------------------
    def initial_state(self, batch: int, generator: torch.Generator | None = None) -> Tensor:
        """Seeded initial states (1, B, S), as the network starts its trials."""
        return self.network.initial_state(batch, generator)

    def simulate(self, inputs: Tensor, x_init: Tensor,
                 generator: torch.Generator | None = None) -> Trajectory:
        """Trials (B, T, n_in) from states (1, B, S): a Trajectory with member axis 1."""
        return self.network.simulate(inputs, x_init, generator)

    def as_numpy(self, x: Tensor) -> np.ndarray:
        return x.detach().double().cpu().numpy()
