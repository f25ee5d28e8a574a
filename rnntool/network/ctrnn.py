"""The continuous-time rate RNN: one definition of the step F(x, u) and its Jacobians.

A :class:`CTRNN` holds a stack of K networks that share one :class:`NetworkConfig` but have
their own weights: every parameter carries a leading member axis, so a genetic algorithm's
population or a multi-seed ensemble runs as one batched pass (batched matrix products,
never a block-diagonal matrix). A single model is simply K = 1.

Shapes: states x are (K, B, N); inputs u are (K or 1, B, n_in); trial inputs are
(B, T, n_in) shared by all members, or (K, B, T, n_in).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from rnntool.network.config import PARAMETER_NAMES, NetworkConfig
from rnntool.network.initialisation import initial_parameters
from rnntool.network.nonlinearities import get_nonlinearity
from rnntool.network.scan import scan


@dataclass
class Trajectory:
    """States, rates and outputs of a simulation, batch-first: (K, B, T, ·)."""

    states: Tensor
    rates: Tensor
    outputs: Tensor


class CTRNN:
    """A stack of K continuous-time RNNs with a shared configuration."""

    def __init__(self, config: NetworkConfig, params: dict[str, Tensor],
                 device: str | torch.device = "cpu") -> None:
        missing = set(PARAMETER_NAMES) - set(params)
        if missing:
            raise ValueError(f"missing parameters: {sorted(missing)}")
        self.config = config
        self.dtype = torch.float64 if config.dtype == "float64" else torch.float32
        self.device = torch.device(device)
        self.params = {k: params[k].to(self.device, self.dtype) for k in PARAMETER_NAMES}
        self.phi = get_nonlinearity(config.phi)
        self._keep, self._fill = self._clamp_masks()

    # construction -------------------------------------------------------------------------
    @classmethod
    def initialise(cls, config: NetworkConfig, generator: torch.Generator, members: int = 1,
                   device: str | torch.device = "cpu") -> "CTRNN":
        """Draw ``members`` independent networks, one after another from ``generator``."""
        draws = [initial_parameters(config, generator) for _ in range(members)]
        params = {k: torch.stack([d[k] for d in draws]) for k in PARAMETER_NAMES}
        return cls(config, params, device)

    @classmethod
    def from_numpy(cls, config: NetworkConfig, arrays: dict[str, np.ndarray],
                   device: str | torch.device = "cpu") -> "CTRNN":
        """One network (K = 1) from arrays without a member axis, as stored in model files."""
        return cls(config, {k: torch.as_tensor(np.asarray(arrays[k]))[None] for k in PARAMETER_NAMES},
                   device)

    def to_numpy(self, member: int = 0) -> dict[str, np.ndarray]:
        """The parameters of one member as NumPy arrays without the member axis."""
        return {k: v[member].detach().cpu().numpy() for k, v in self.params.items()}

    @property
    def members(self) -> int:
        return self.params["W_rec"].shape[0]

    def member(self, k: int) -> "CTRNN":
        """A K = 1 network holding a copy of member ``k``'s weights."""
        return CTRNN(self.config, {n: v[k:k + 1].detach().clone() for n, v in self.params.items()},
                     self.device)

    def trainable_parameters(self) -> list[Tensor]:
        """Make the configured trainable parameters leaf tensors that require gradients."""
        out = []
        for name in self.config.trainable:
            p = self.params[name].detach().requires_grad_(True)
            self.params[name] = p
            out.append(p)
        return out

    def _clamp_masks(self) -> tuple[Tensor | None, Tensor | None]:
        if not self.config.clamp_units:
            return None, None
        keep = torch.ones(self.config.n_rec, dtype=self.dtype, device=self.device)
        fill = torch.zeros_like(keep)
        idx = torch.tensor(self.config.clamp_units, device=self.device)
        keep[idx] = 0.0
        fill[idx] = torch.tensor(self.config.clamp_values, dtype=self.dtype, device=self.device)
        return keep, fill

    def clamp(self, x: Tensor) -> Tensor:
        """Hold the clamped units at their values (identity for unclamped networks)."""
        return x if self._keep is None else x * self._keep + self._fill

    # the dynamics -------------------------------------------------------------------------
    def rate(self, x: Tensor) -> Tensor:
        """Firing rates r = φ(x)."""
        return self.phi.fn(x)

    def step(self, x: Tensor, u: Tensor) -> Tensor:
        """F(x, u) = (1 − α)x + α(W_rec φ(x) + W_in u + b), noise-free; x (K, B, N), u (K|1, B, n_in)."""
        a, p = self.config.alpha, self.params
        x = self.clamp(x)
        inner = (self.rate(x) @ p["W_rec"].transpose(1, 2) + u @ p["W_in"].transpose(1, 2)
                 + p["b"][:, None, :])
        return self.clamp((1.0 - a) * x + a * inner)

    def jacobian_state(self, x: Tensor, u: Tensor | None = None) -> Tensor:
        """∂F/∂x = (1 − α)I + α W_rec diag(φ′(x)), as (K, B, N, N). F is affine in u, so u is unused."""
        a, n = self.config.alpha, self.config.n_rec
        x = self.clamp(x)
        jac = a * self.params["W_rec"][:, None] * self.phi.derivative(x)[:, :, None, :]
        jac = jac + (1.0 - a) * torch.eye(n, dtype=x.dtype, device=x.device)
        if self._keep is not None:
            jac = jac * self._keep[:, None] * self._keep[None, :]
        return jac

    def jacobian_input(self, x: Tensor, u: Tensor | None = None) -> Tensor:
        """∂F/∂u = α W_in (clamped rows zero), broadcast to (K, B, N, n_in)."""
        jac = self.config.alpha * self.params["W_in"]
        if self._keep is not None:
            jac = jac * self._keep[:, None]
        return jac[:, None].expand(-1, x.shape[1], -1, -1)

    def output(self, x: Tensor, rates: Tensor | None = None) -> Tensor:
        """Readout y = ψ(W_out z + b_out), z = x or φ(x); x has the member axis first."""
        z = x if self.config.readout == "x" else (self.rate(x) if rates is None else rates)
        k = x.shape[0]
        lead = z.shape[1:-1]
        y = (z.reshape(k, -1, z.shape[-1]) @ self.params["W_out"].transpose(1, 2)
             ).reshape(k, *lead, -1) + self.params["b_out"].reshape(k, *([1] * len(lead)), -1)
        return torch.tanh(y) if self.config.output_nonlinearity == "tanh" else y

    # simulation ---------------------------------------------------------------------------
    def initial_state(self, batch: int, generator: torch.Generator | None = None,
                      shared: bool = False, std: float | None = None) -> Tensor:
        """x(0) = x0 + std·ξ, ξ ~ N(0, I), one draw per trial or one shared by the batch."""
        std = self.config.x0_std if std is None else std
        x = self.params["x0"][:, None, :].expand(-1, batch, -1)
        if std > 0:
            shape = (self.members, 1 if shared else batch, self.config.n_rec)
            noise = torch.randn(shape, generator=generator, dtype=self.dtype).to(self.device)
            x = x + std * noise
        return self.clamp(x)

    def drive(self, inputs: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Per-step additive drive α(W_in ũ_t + b) + α√(2/α)σ_rec ξ_t, time-major (T, K, B, N).

        ``inputs`` is (B, T, n_in) or (K, B, T, n_in); ũ adds the input noise √(2/α)σ_in ξ.
        """
        cfg, p = self.config, self.params
        u = inputs.to(self.device, self.dtype)
        u = u.transpose(-3, -2)  # (…, T, B, n_in)
        if u.dim() == 4:
            u = u.transpose(0, 1)  # (T, K, B, n_in)
        else:
            u = u[:, None]  # (T, 1, B, n_in)
        scale = (2.0 / cfg.alpha) ** 0.5
        if cfg.noise_in > 0:
            shape = (u.shape[0], self.members) + tuple(u.shape[2:])
            u = u + scale * cfg.noise_in * self._randn(shape, generator)
        d = cfg.alpha * (u @ p["W_in"].transpose(1, 2) + p["b"][:, None, :])
        if cfg.noise_rec > 0:
            d = d + cfg.alpha * scale * cfg.noise_rec * self._randn(tuple(d.shape), generator)
        return d.expand(-1, self.members, -1, -1) if d.shape[1] != self.members else d

    def _randn(self, shape: tuple[int, ...], generator: torch.Generator | None) -> Tensor:
        return torch.randn(shape, generator=generator, dtype=self.dtype).to(self.device)

    def simulate(self, inputs: Tensor, x_init: Tensor,
                 generator: torch.Generator | None = None) -> Trajectory:
        """Run all members over trials; differentiable with respect to every parameter.

        Args:
            inputs: (B, T, n_in) shared by all members, or (K, B, T, n_in).
            x_init: (K, B, N) initial states.
            generator: source of the network's input and recurrent noise.
        """
        d = self.drive(inputs, generator).contiguous()
        xs, rs = scan(self.clamp(x_init).contiguous(), d, self.params["W_rec"].contiguous(),
                      self.config.alpha, self.phi, self._keep, self._fill)
        states, rates = xs.permute(1, 2, 0, 3), rs.permute(1, 2, 0, 3)
        return Trajectory(states, rates, self.output(states, rates))


@torch.no_grad()
def final_outputs(net: CTRNN, inputs: Tensor, x_init: Tensor, time_chunk: int = 64,
                  generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Outputs at the first and last steps, (K, B, n_out) each, in bounded memory.

    Runs the same scan as :meth:`CTRNN.simulate` over blocks of ``time_chunk`` steps,
    keeping only the state carried between blocks, so validating thousands of long trials
    never holds a (T, B, N) tensor.
    """
    x = net.clamp(x_init).contiguous()
    first = None
    steps = inputs.shape[-2]
    w = net.params["W_rec"].contiguous()
    for start in range(0, steps, time_chunk):
        block = inputs[..., start:start + time_chunk, :]
        xs, rs = scan(x, net.drive(block, generator).contiguous(), w, net.config.alpha, net.phi,
                      net._keep, net._fill)
        if first is None:
            first = net.output(xs[0], rs[0])
        x = xs[-1].contiguous()
        last_r = rs[-1]
    return first, net.output(x, last_r)
