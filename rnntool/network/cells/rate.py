"""The ``rate`` cell: the rate-state form of the continuous-time network.

    r ← (1 − α)·r + α·φ(W_rec r + W_in (u + √(2/α)·σ_in·ξ) + b + √(2/α)·σ_rec·ξ′)   (noise inside)
    r ← (1 − α)·r + α·φ(W_rec r + W_in (u + √(2/α)·σ_in·ξ) + b) + α·√(2/α)·σ_rec·ξ′  (outside)

The state is the rate itself and the readout y = ψ(W_out r + b_out) reads it. The
multitask networks of Driscoll et al.'s style (leaky softplus, noise inside φ) and the
engellab pipeline (noise outside φ, Dale's law) are this cell. Runs over whole trials
through the fused scan of :mod:`rnntool.network.rate_scan`; analytic Jacobians.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from rnntool.network.cells.base import Cell, Params, ParamSpec, Setting
from rnntool.network.config import NetworkConfig
from rnntool.network.initialisation import initial_parameters
from rnntool.network.nonlinearities import get_nonlinearity
from rnntool.network.rate_scan import rate_scan


class RateCell(Cell):
    name = "rate"
    summary = "r ← (1−α)r + α φ(W_rec r + W_in u + b); fused scan"
    config_fields = ("alpha", "phi", "noise_in", "noise_rec", "init", "g")
    settings = {"noise": Setting(str, "inside", "recurrent noise inside φ (multitask networks) "
                                 "or outside it (engellab pipeline)", ("inside", "outside"))}
    continuous = True
    supports_dale = True

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__(config)
        self.phi = get_nonlinearity(config.phi)
        self.outside = self.options["noise"] == "outside"

    def parameters(self) -> list[ParamSpec]:
        c = self.config
        n = c.n_rec
        return [ParamSpec("W_in", (n, c.n_in), True, f"{c.init} initialisation"),
                ParamSpec("W_rec", (n, n), True, f"{c.init} initialisation, gain g"),
                ParamSpec("b", (n,), True, "zeros"),
                ParamSpec("W_out", (c.n_out, n), True, f"{c.init} initialisation"),
                ParamSpec("b_out", (c.n_out,), False, "zeros"),
                ParamSpec("x0", (n,), False, "zeros")]

    def initial_parameters(self, generator: torch.Generator) -> Params:
        return initial_parameters(self.config, generator)

    def input_drive(self, params: Params, u: Tensor) -> Tensor:
        return u @ params["W_in"].transpose(1, 2) + params["b"][:, None, :]

    def driven_step(self, params: Params, x: Tensor, d: Tensor) -> Tensor:
        a, n = self.config.alpha, self.config.n_rec
        inner = self.phi.fn(torch.baddbmm(d[..., :n], x, params["W_rec"].transpose(1, 2)))
        out = (1.0 - a) * x + a * inner
        return out + d[..., n:] if d.shape[-1] > n else out

    def unroll(self, params: Params, x0: Tensor, drive: Tensor) -> tuple[Tensor, Tensor]:
        n = self.config.n_rec
        outer = drive[..., n:].contiguous() if drive.shape[-1] > n else None
        rs = rate_scan(x0.contiguous(), drive[..., :n].contiguous(),
                       params["W_rec"].contiguous(), self.config.alpha, self.phi, outer)
        return rs, rs

    def _slope(self, params: Params, x: Tensor, u: Tensor) -> Tensor:
        pre = torch.baddbmm(self.input_drive(params, u).expand_as(x), x,
                            params["W_rec"].transpose(1, 2))
        return self.phi.derivative(pre)

    def jacobian_state(self, params: Params, x: Tensor, u: Tensor) -> Tensor:
        """(1 − α)I + α diag(φ′(p)) W_rec, p = W_rec r + W_in u + b."""
        a = self.config.alpha
        eye = torch.eye(self.config.n_rec, dtype=x.dtype, device=x.device)
        return a * self._slope(params, x, u)[..., None] * params["W_rec"][:, None] + (1 - a) * eye

    def jacobian_input(self, params: Params, x: Tensor, u: Tensor) -> Tensor:
        """α diag(φ′(p)) W_in."""
        return self.config.alpha * self._slope(params, x, u)[..., None] * params["W_in"][:, None]

    def noisy_drive(self, params: Params, u: Tensor, members: int,
                    randn: Callable[[tuple[int, ...]], Tensor]) -> Tensor:
        """W_in ũ_t + b with the recurrent noise inside φ, or [W_in ũ_t + b, α·noise] when
        it acts outside (the scan adds the second half after φ)."""
        cfg = self.config
        scale = (2.0 / cfg.alpha) ** 0.5
        if cfg.noise_in > 0:
            u = u + scale * cfg.noise_in * randn((u.shape[0], members) + tuple(u.shape[2:]))
        d = self.input_drive(params, u)
        d = d.expand(-1, members, -1, -1) if d.shape[1] != members else d
        if cfg.noise_rec > 0:
            noise = scale * cfg.noise_rec * randn(tuple(d.shape))
            d = torch.cat([d, cfg.alpha * noise], -1) if self.outside else d + noise
        return d
