"""The ``ctrnn`` cell: the potential (x-state) form of the continuous-time rate network.

    x ← (1 − α)·x + α·(W_rec φ(x) + W_in (u + √(2/α)·σ_in·ξ) + b + √(2/α)·σ_rec·ξ′)

(McMahan et al. 2021, Miconi 2017, DePasquale et al. 2018 and the engellab pipeline's
"h" equation). Runs over whole trials through the fused scan of :mod:`rnntool.network.scan`
and has analytic Jacobians.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from rnntool.network.cells.base import Cell, Params, ParamSpec, Setting
from rnntool.network.config import NetworkConfig
from rnntool.network.forward_scan import Ends, advance
from rnntool.network.initialisation import initial_parameters
from rnntool.network.nonlinearities import get_nonlinearity
from rnntool.network.scan import scan
from rnntool.network.shared_recurrence import fold_members, unfold_members, uses_shared_recurrence

CONTINUOUS_FIELDS = ("alpha", "phi", "readout", "noise_in", "noise_rec", "x0_std", "init", "g")


class CTRNNCell(Cell):
    name = "ctrnn"
    summary = "x ← (1−α)x + α(W_rec φ(x) + W_in u + b); fused scan (McMahan et al. 2021)"
    config_fields = CONTINUOUS_FIELDS + ("clamp_units", "clamp_values")
    continuous = True
    supports_dale = True
    settings = {"rec_seed": Setting(int, None, "seed of W_rec, drawn apart from the model's "
                                    "seed so every model of an ensemble shares it (System A's "
                                    "frozen G); unset: drawn from the model's seed")}

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__(config)
        self.phi = get_nonlinearity(config.phi)
        self.keep: Tensor | None = None
        self.fill: Tensor | None = None

    def place(self, dtype: torch.dtype, device: torch.device) -> None:
        """Build the clamp masks on the network's device."""
        if not self.config.clamp_units:
            return
        keep = torch.ones(self.config.n_rec, dtype=dtype, device=device)
        fill = torch.zeros_like(keep)
        idx = torch.tensor(self.config.clamp_units, device=device)
        keep[idx] = 0.0
        fill[idx] = torch.tensor(self.config.clamp_values, dtype=dtype, device=device)
        self.keep, self.fill = keep, fill

    def parameters(self) -> list[ParamSpec]:
        c = self.config
        n, n_in, n_out = c.n_rec, c.n_in, c.n_out
        return [ParamSpec("W_in", (n, n_in), True, f"{c.init} initialisation"),
                ParamSpec("W_rec", (n, n), True, f"{c.init} initialisation, gain g"),
                ParamSpec("b", (n,), True, "zeros"),
                ParamSpec("W_out", (n_out, n), True, f"{c.init} initialisation"),
                ParamSpec("b_out", (n_out,), False, "zeros"),
                ParamSpec("x0", (n,), False, "zeros (miconi: 0.1·U[−1, 1])")]

    def initial_parameters(self, generator: torch.Generator) -> Params:
        """The configured initialisation; with ``rec_seed`` set, W_rec comes from its own
        generator (the same matrix for every member and seed) and the other weights from
        ``generator``."""
        params = initial_parameters(self.config, generator)
        rec_seed = self.options["rec_seed"]
        if rec_seed is not None:
            shared = initial_parameters(self.config, torch.Generator().manual_seed(int(rec_seed)))
            params["W_rec"] = shared["W_rec"]
        return params

    def clamp(self, x: Tensor) -> Tensor:
        return x if self.keep is None else x * self.keep + self.fill

    def activity(self, x: Tensor) -> Tensor:
        return self.phi.fn(x)

    @property
    def readout_reads_state(self) -> bool:
        return self.config.readout == "x"

    def readout_source(self, x: Tensor, activity: Tensor | None = None) -> Tensor:
        if self.config.readout == "x":
            return x
        return self.phi.fn(x) if activity is None else activity

    def input_drive(self, params: Params, u: Tensor) -> Tensor:
        # α(W_in u + b) as one product and one in-place add: the (T, K, B, N) result is the
        # largest tensor of a trial, so each extra pass over it costs a pass of memory.
        a = self.config.alpha
        return (u @ (a * params["W_in"]).transpose(1, 2)).add_(a * params["b"][:, None, :])

    def driven_step(self, params: Params, x: Tensor, d: Tensor) -> Tensor:
        a = self.config.alpha
        x = self.clamp(x)
        rec = self.phi.fn(x) @ params["W_rec"].transpose(1, 2)
        return self.clamp((1.0 - a) * x + a * rec + d)

    def step(self, params: Params, x: Tensor, u: Tensor) -> Tensor:
        a = self.config.alpha
        x = self.clamp(x)
        inner = (self.phi.fn(x) @ params["W_rec"].transpose(1, 2)
                 + u @ params["W_in"].transpose(1, 2) + params["b"][:, None, :])
        return self.clamp((1.0 - a) * x + a * inner)

    def unroll(self, params: Params, x0: Tensor, drive: Tensor) -> tuple[Tensor, Tensor]:
        x0, drive, w_rec = self.clamp(x0).contiguous(), drive.contiguous(), params["W_rec"]
        if uses_shared_recurrence(self.config, w_rec):  # one product per step for all members
            xs, rs = scan(*fold_members(x0, drive, w_rec), self.config.alpha, self.phi,
                          self.keep, self.fill)
            return unfold_members(xs, x0.shape[0]), unfold_members(rs, x0.shape[0])
        return scan(x0, drive, w_rec.contiguous(), self.config.alpha, self.phi, self.keep,
                    self.fill)

    def advance(self, params: Params, x0: Tensor, drive: Tensor, first: bool = True) -> Ends:
        """Two carried buffers and three kernels a step (:mod:`rnntool.network.forward_scan`)."""
        x0, w_rec, k = self.clamp(x0), params["W_rec"], x0.shape[0]
        if uses_shared_recurrence(self.config, w_rec):  # one product per step for all members
            ends = advance(*fold_members(x0, drive, w_rec), self.config.alpha, self.phi,
                           self.keep, self.fill, first)
            return Ends(*(None if v is None else v.reshape(k, -1, v.shape[-1]) for v in ends))
        return advance(x0, drive, w_rec, self.config.alpha, self.phi, self.keep, self.fill,
                       first)

    def jacobian_state(self, params: Params, x: Tensor, u: Tensor | None = None) -> Tensor:
        """(1 − α)I + α W_rec diag(φ′(x)); F is affine in u, so u is unused."""
        a, n = self.config.alpha, self.config.n_rec
        x = self.clamp(x)
        jac = a * params["W_rec"][:, None] * self.phi.derivative(x)[:, :, None, :]
        jac = jac + (1.0 - a) * torch.eye(n, dtype=x.dtype, device=x.device)
        if self.keep is not None:
            jac = jac * self.keep[:, None] * self.keep[None, :]
        return jac

    def jacobian_input(self, params: Params, x: Tensor, u: Tensor | None = None) -> Tensor:
        """α W_in (clamped rows zero), broadcast over trials."""
        jac = self.config.alpha * params["W_in"]
        if self.keep is not None:
            jac = jac * self.keep[:, None]
        return jac[:, None].expand(-1, x.shape[1], -1, -1)

    def noisy_drive(self, params: Params, u: Tensor, members: int,
                    randn: Callable[[tuple[int, ...]], Tensor]) -> Tensor:
        """α(W_in ũ_t + b) + α√(2/α)σ_rec ξ_t with ũ = u + √(2/α)σ_in ξ′."""
        cfg = self.config
        scale = (2.0 / cfg.alpha) ** 0.5
        if cfg.noise_in > 0:
            u = u + scale * cfg.noise_in * randn((u.shape[0], members) + tuple(u.shape[2:]))
        d = self.input_drive(params, u)
        if cfg.noise_rec > 0:
            d = d + cfg.alpha * scale * cfg.noise_rec * randn(tuple(d.shape))
        return d.expand(-1, members, -1, -1) if d.shape[1] != members else d
