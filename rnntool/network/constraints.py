"""Biological and structural constraints on the weights, the same for every rule and cell.

Configured in :class:`NetworkConfig` and stored with it:

- ``dale``: the fraction of excitatory units (0 disables). Unit j's outgoing weights (column
  j of W_rec) keep the sign s_j (+ for the first round(dale·N) units, − for the rest).
  Initialisation follows the engellab pipeline (after Song et al. 2016): E columns
  |N(1/√N, (1/N)²)|, I columns −|N(4/√N, (1/N)²)|, zero diagonal, rescaled to spectral
  radius g. Dale's law constrains W_rec only: a task with signed outputs needs a signed W_out.
- ``nonnegative``: parameters held ≥ 0 (``W_in``, ``W_out``; the engellab pipeline's
  ``constrained`` networks use both with Dale's law); they start as |initial draw|.
- ``self_connections = False``: a zero diagonal of W_rec.
- ``mask``: a fixed connectivity mask of W_rec: ``blocks:K`` (block-diagonal, K blocks),
  ``random:DENSITY`` (each connection present with that probability, drawn from the seed)
  or a ``.npy``/``.csv``/``.txt`` file of 0/1 entries. The drawn mask is stored as the
  non-trainable weight ``mask_rec`` so a model file reproduces it.

Gradient rules differentiate through :meth:`Constraints.apply` (masked, sign-rectified
weights); every rule also calls :meth:`Network.project` after each update, which writes the
projection into the stored weights (GA, FORCE, full-FORCE and Hebbian rely on it). This is
projected gradient descent, as in the engellab pipeline: a weight held at zero by the
projection still receives its gradient (the rectification is a clamp, whose derivative is 1
at the boundary, not a ReLU, whose derivative there is 0), so it can grow again. A ReLU
would make zero absorbing: every weight the projection touched once would be pruned for
good, which silenced whole readouts of Dale networks within a few hundred updates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.network.config import NetworkConfig


def parse_mask(spec: str) -> tuple[str, float]:
    """``blocks:K`` → ("blocks", K), ``random:D`` → ("random", D), a file → ("file", 0)."""
    kind, _, value = spec.partition(":")
    if kind in ("blocks", "random"):
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"mask {spec!r}: expected {kind}:NUMBER") from None
        if kind == "blocks" and (number < 1 or number != int(number)):
            raise ConfigError(f"mask {spec!r}: the number of blocks must be a positive integer")
        if kind == "random" and not 0.0 < number <= 1.0:
            raise ConfigError(f"mask {spec!r}: the density must lie in (0, 1]")
        return kind, number
    if Path(spec).suffix in (".npy", ".csv", ".txt"):
        return "file", 0.0
    raise ConfigError(f"mask {spec!r}: expected blocks:K, random:DENSITY or a .npy/.csv/.txt file")


def draw_mask(spec: str, n: int, generator: torch.Generator, dtype: torch.dtype) -> Tensor:
    """The (N, N) 0/1 mask a specification names."""
    kind, number = parse_mask(spec)
    if kind == "blocks":
        k = int(number)
        if k > n:
            raise ConfigError(f"mask {spec!r}: more blocks than the {n} units")
        block = torch.arange(n) * k // n
        return (block[:, None] == block[None, :]).to(dtype)
    if kind == "random":
        return (torch.rand((n, n), generator=generator) < number).to(dtype)
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"mask file {path} not found")
    try:
        arr = np.load(path, allow_pickle=False) if path.suffix == ".npy" else np.loadtxt(
            path, delimiter="," if path.suffix == ".csv" else None, ndmin=2)
    except (ValueError, OSError) as err:
        raise ConfigError(f"cannot read mask {path}: {err}") from None
    arr = np.asarray(arr, dtype=np.float64)
    if arr.shape != (n, n) or not np.isin(arr, (0.0, 1.0)).all():
        raise ConfigError(f"mask {path}: expected an {n}×{n} array of 0 and 1, got shape {arr.shape}")
    return torch.as_tensor(arr, dtype=dtype)


def dale_signs(config: NetworkConfig, dtype: torch.dtype = torch.float64) -> Tensor:
    """+1 for the round(dale·N) excitatory units, −1 for the inhibitory ones, (N,)."""
    n = config.n_rec
    excitatory = int(round(config.dale * n))
    signs = torch.ones(n, dtype=dtype)
    signs[excitatory:] = -1.0
    return signs


class Constraints:
    """The constraints of one configuration, ready for the network's device and dtype."""

    def __init__(self, signs: Tensor | None, mask: Tensor | None, nonnegative: tuple[str, ...],
                 gates: int) -> None:
        self.signs, self.mask, self.nonnegative, self.gates = signs, mask, nonnegative, gates

    @property
    def active(self) -> bool:
        return self.signs is not None or self.mask is not None or bool(self.nonnegative)

    @classmethod
    def from_config(cls, config: NetworkConfig, dtype: torch.dtype, device: torch.device,
                    stored_mask: Tensor | None = None) -> "Constraints":
        """Build from the configuration; ``stored_mask`` (K, N, N) is the drawn mask."""
        n = config.n_rec
        mask = None
        if stored_mask is not None:
            mask = stored_mask.to(device, dtype)
        if not config.self_connections:
            diag = 1.0 - torch.eye(n, dtype=dtype, device=device)
            mask = diag[None] if mask is None else mask * diag
        signs = dale_signs(config, dtype).to(device) if config.dale > 0 else None
        return cls(signs, mask, tuple(config.nonnegative), _gates(config))

    @staticmethod
    def initialise(config: NetworkConfig, params: dict[str, Tensor],
                   generator: torch.Generator) -> None:
        """Adjust one member's freshly drawn parameters (no member axis) in place."""
        n, dtype = config.n_rec, params["W_rec"].dtype
        if config.dale > 0:
            signs = dale_signs(config, dtype)
            means = torch.where(signs > 0, 1.0, 4.0) / n ** 0.5
            w = (means[None, :] + torch.randn((n, n), generator=generator, dtype=dtype) / n).abs()
            w = w * signs[None, :]
            w.fill_diagonal_(0.0)
            radius = float(torch.linalg.eigvals(w.double()).abs().max())
            params["W_rec"] = w * (config.g / max(radius, 1e-12))
        for name in config.nonnegative:
            params[name] = params[name].abs()
        if config.mask:
            params["mask_rec"] = draw_mask(config.mask, n, generator, dtype)

    def _rec_mask(self) -> Tensor | None:
        if self.mask is None or self.gates == 1:
            return self.mask
        return self.mask.repeat(1, self.gates, 1)

    def apply(self, params: dict[str, Tensor]) -> dict[str, Tensor]:
        """The parameters as the dynamics use them (differentiable); unchanged when inactive."""
        if not self.active:
            return params
        out = dict(params)
        w = out["W_rec"]
        if self.signs is not None:
            w = (w * self.signs).clamp(min=0.0) * self.signs
        mask = self._rec_mask()
        if mask is not None:
            w = w * mask
        out["W_rec"] = w
        for name in self.nonnegative:
            out[name] = out[name].clamp(min=0.0)
        return out

    def project(self, params: dict[str, Tensor]) -> None:
        """Write the constrained weights into ``params`` in place (after an update)."""
        if not self.active:
            return
        for name, value in self.apply({k: v.detach() for k, v in params.items()}).items():
            if name in params and value is not params[name].detach():
                params[name].data.copy_(value)

    def violations(self, params: dict[str, Tensor]) -> dict[str, int]:
        """Entries breaking each constraint (0 everywhere after :meth:`project`)."""
        out: dict[str, int] = {}
        w = params["W_rec"].detach()
        if self.signs is not None:
            out["dale"] = int(((w * self.signs) < 0).sum())
        mask = self._rec_mask()
        if mask is not None:
            out["mask"] = int(((w != 0) & (mask == 0)).sum())
        for name in self.nonnegative:
            out[name] = int((params[name].detach() < 0).sum())
        return out


def _gates(config: NetworkConfig) -> int:
    return {"gru": 3, "lstm": 4}.get(config.cell, 1)
