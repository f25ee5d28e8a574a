"""Forward-only run of the CT-RNN recurrence that keeps just the carried state.

Evaluations that read only the first and last steps of a trial (the genetic algorithm's
fitness and every validation on McMahan et al. 2021's tasks) need neither the trajectory
nor a gradient. :func:`advance` runs the recurrence

    x_{t+1} = (1 − α)·x_t + α·W_rec φ(x_t) + d_t

in two (K, B, N) buffers that stay in cache between steps, with three kernels a step. For
φ(x) = 2σ(2x) − offset (tanh, 1 + tanh) it runs on y = 2x: then the rate needs one sigmoid
of y (no doubling pass), and the constant −α·offset·W_rec·1 joins the drive:

    y_{t+1} = (1 − α)·y_t + 4α·W_rec σ(y_t) + (2·d_t − 2α·offset·W_rec·1).

``tests/test_forward_scan.py`` checks it against the autograd-ready scan in float64.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from rnntool.network.nonlinearities import SIGMOID_OFFSET, Nonlinearity


class Ends(NamedTuple):
    """State and activity after the first step (None when not asked) and after the last,
    each (K, B, ·)."""

    first_state: Tensor | None
    first_activity: Tensor | None
    last_state: Tensor
    last_activity: Tensor


@torch.no_grad()
def advance(x0: Tensor, drive: Tensor, w_rec: Tensor, alpha: float, phi: Nonlinearity,
            keep: Tensor | None = None, fill: Tensor | None = None, first: bool = True) -> Ends:
    """Run ``drive`` (T ≥ 1, K, B, N) from ``x0`` (K, B, N) and return its :class:`Ends`
    (the first step's only when ``first``: a run split into blocks asks it of one block).

    ``keep`` and ``fill`` hold clamped units (x ← x·keep + fill after every step).
    """
    offset = SIGMOID_OFFSET.get(phi.name)
    if offset is None:
        return _advance_generic(x0, drive, w_rec, alpha, phi, keep, fill, first)
    w_t = w_rec.transpose(1, 2)
    d = torch.mul(drive, 2.0)
    if offset:
        d.sub_((2.0 * alpha * offset) * w_rec.sum(2)[None, :, None, :])
    y = torch.mul(x0, 2.0)
    s = torch.sigmoid(y)
    fill2 = None if fill is None else 2.0 * fill
    ends: tuple[Tensor | None, Tensor | None] = (None, None)
    for t, d_t in enumerate(d.unbind(0)):
        torch.add(d_t, y, alpha=1.0 - alpha, out=y)
        y.baddbmm_(s, w_t, alpha=4.0 * alpha)
        if keep is not None:
            y.mul_(keep).add_(fill2)
        torch.sigmoid(y, out=s)
        if first and t == 0:
            ends = (0.5 * y, 2.0 * s - offset)
    return Ends(*ends, 0.5 * y, 2.0 * s - offset)


def _advance_generic(x0: Tensor, drive: Tensor, w_rec: Tensor, alpha: float,
                     phi: Nonlinearity, keep: Tensor | None, fill: Tensor | None,
                     first: bool) -> Ends:
    w_t = w_rec.transpose(1, 2)
    x, r = x0, phi.fn(x0)
    ends: tuple[Tensor | None, Tensor | None] = (None, None)
    for t, d_t in enumerate(drive.unbind(0)):
        x = torch.add(d_t, x, alpha=1.0 - alpha)  # a new buffer: φ may return its argument
        x.baddbmm_(r, w_t, alpha=alpha)
        if keep is not None:
            x.mul_(keep).add_(fill)
        r = phi.fn(x)
        if first and t == 0:
            ends = (x, r)
    return Ends(*ends, x, r)
