"""Weight initialisations: seed 002's, full-FORCE's, Miconi's, Gaussian g/√N, spectral radius.

Every draw comes from the ``torch.Generator`` passed in, so one seed fixes all weights.
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.network.config import NetworkConfig


def _normal(shape: tuple[int, ...], std: float, gen: torch.Generator,
            dtype: torch.dtype) -> Tensor:
    return torch.randn(shape, generator=gen, dtype=dtype) * std


def _uniform(shape: tuple[int, ...], low: float, high: float, gen: torch.Generator,
             dtype: torch.dtype) -> Tensor:
    return low + (high - low) * torch.rand(shape, generator=gen, dtype=dtype)


def spectral_radius(w: Tensor) -> float:
    """Largest eigenvalue modulus of a square matrix."""
    return float(torch.linalg.eigvals(w.double()).abs().max())


def miconi_readout_units(cfg: NetworkConfig) -> list[int]:
    """The units Miconi's outputs read: unit 0, then the next units that are not clamped
    (unit 1 is a bias unit held at 1, so a second output must not read it)."""
    free = [i for i in range(cfg.n_rec) if i not in cfg.clamp_units]
    if len(free) < cfg.n_out:
        raise ConfigError(f"miconi readout: {cfg.n_out} outputs need as many unclamped units")
    return free[:cfg.n_out]


def initial_parameters(cfg: NetworkConfig, gen: torch.Generator) -> dict[str, Tensor]:
    """Draw one network's parameters (no member dimension) following ``cfg.init``.

    - ``mcmahan``: W_in ~ N(0, 0.5²), W_rec ~ (g²/50)·N(0, 1), W_out ~ N(0, 0.1²), b = 0
      (seed 002; the 50 is the original's literal, not N).
    - ``fullforce``: W_in ~ N(0, 0.5²), W_rec = 0, W_out = 0 (RLS learns both).
    - ``miconi``: W_in ~ U[−1, 1] with the output units' rows zero, W_rec ~ g·N(0, 1)/√N,
      output i reads the i-th unclamped unit (unit 0 first), x0 ~ 0.1·U[−1, 1].
    - ``gaussian``: W_rec ~ g·N(0, 1)/√N, W_in ~ N(0, 1/n_in), W_out ~ N(0, 1/N).
    - ``spectral``: as ``gaussian``, then W_rec rescaled to spectral radius g.
    - ``identity``: as ``gaussian``, but W_rec = g·I (the multitask delay networks start
      from 0.9·I).
    """
    dt = torch.float64 if cfg.dtype == "float64" else torch.float32
    n, n_in, n_out = cfg.n_rec, cfg.n_in, cfg.n_out
    p: dict[str, Tensor] = {
        "b": torch.zeros(n, dtype=dt),
        "b_out": torch.zeros(n_out, dtype=dt),
        "x0": torch.zeros(n, dtype=dt),
    }
    if cfg.init == "mcmahan":
        p["W_in"] = _normal((n, n_in), 0.5, gen, dt)
        p["W_rec"] = _normal((n, n), cfg.g ** 2 / 50.0, gen, dt)
        p["W_out"] = _normal((n_out, n), 0.1, gen, dt)
    elif cfg.init == "fullforce":
        p["W_in"] = _normal((n, n_in), 0.5, gen, dt)
        p["W_rec"] = torch.zeros((n, n), dtype=dt)
        p["W_out"] = torch.zeros((n_out, n), dtype=dt)
    elif cfg.init == "miconi":
        readout = miconi_readout_units(cfg)
        w_in = _uniform((n, n_in), -1.0, 1.0, gen, dt)
        w_in[readout] = 0.0
        p["W_in"] = w_in
        p["W_rec"] = _normal((n, n), cfg.g / n ** 0.5, gen, dt)
        w_out = torch.zeros((n_out, n), dtype=dt)
        w_out[torch.arange(n_out), readout] = 1.0
        p["W_out"] = w_out
        p["x0"] = _uniform((n,), -0.1, 0.1, gen, dt)
    else:
        p["W_in"] = _normal((n, n_in), 1.0 / n_in ** 0.5, gen, dt)
        p["W_rec"] = _normal((n, n), cfg.g / n ** 0.5, gen, dt)
        p["W_out"] = _normal((n_out, n), 1.0 / n ** 0.5, gen, dt)
        if cfg.init == "spectral":
            p["W_rec"] *= cfg.g / spectral_radius(p["W_rec"])
        elif cfg.init == "identity":
            p["W_rec"] = cfg.g * torch.eye(n, dtype=dt)
    return p
