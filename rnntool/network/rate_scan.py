"""Fused time scan of the rate-state recurrence with a hand-written backward pass.

    r_{t+1} = (1 − α)·r_t + α·φ(W_rec r_t + d_t) + e_t

d_t (the input drive W_in u_t + b, plus recurrent noise when it acts inside φ) and e_t
(recurrent noise outside φ, or nothing) are precomputed for all steps. The forward pass
writes into preallocated buffers — one batched product and three element-wise kernels per
step, and it keeps the pre-activations (for tanh and 1 + tanh: s = σ(2p), since
tanh p = 2σ(2p) − 1 and the sigmoid is the faster kernel). The backward pass evaluates φ′ of
all pre-activations in one vectorised call, runs the adjoint recurrence

    δ_t = α·g_t ⊙ φ′(p_t),   g_{t−1} += (1 − α)·g_t + δ_t W_rec

in place, and forms the W_rec gradient as one product over all steps, Σ_t δ_tᵀ r_t.
``tests/test_cells.py`` checks it against autograd through repeated steps in float64.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from rnntool.network.nonlinearities import SIGMOID_OFFSET, Nonlinearity


class _RateScan(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, r0: Tensor, drive: Tensor, outer: Tensor | None, w_rec: Tensor,
                alpha: float, phi: Nonlinearity) -> Tensor:
        steps = drive.shape[0]
        rs = r0.new_empty((steps + 1,) + r0.shape)
        pre = torch.empty_like(drive)
        rs[0].copy_(r0)
        r_views, p_views, d_views = rs.unbind(0), pre.unbind(0), drive.unbind(0)
        e_views = outer.unbind(0) if outer is not None else None
        w_t = w_rec.transpose(1, 2)
        into = _IN_PLACE.get(phi.name)
        offset = SIGMOID_OFFSET.get(phi.name)
        for t in range(steps):
            p_t, r_next = p_views[t], r_views[t + 1]
            torch.baddbmm(d_views[t], r_views[t], w_t, out=p_t)
            if offset is not None:  # p_t becomes s = σ(2p); r' = (1 − α)r + α(2s − offset)
                torch.mul(p_t.mul_(2.0).sigmoid_(), 2.0 * alpha, out=r_next)
                r_next.add_(r_views[t], alpha=1.0 - alpha)
                if offset:
                    r_next.sub_(alpha * offset)
            else:
                if into is None:
                    r_next.copy_(phi.fn(p_t))
                else:
                    into(p_t, r_next)
                r_next.mul_(alpha).add_(r_views[t], alpha=1.0 - alpha)
            if e_views is not None:
                r_next.add_(e_views[t])
        ctx.save_for_backward(rs, pre, w_rec)
        ctx.alpha, ctx.phi, ctx.has_outer = alpha, phi, outer is not None
        ctx.sigmoid_form = offset is not None
        return rs[1:]

    @staticmethod
    def backward(ctx: Any, grad_r: Tensor) -> tuple[Tensor | None, ...]:
        rs, pre, w_rec = ctx.saved_tensors
        alpha, phi = ctx.alpha, ctx.phi
        steps = pre.shape[0]
        g = grad_r.clone()  # g[t] accumulates the total gradient with respect to r_{t+1}
        if ctx.sigmoid_form:  # pre holds s = σ(2p): φ′(p) = 4s(1 − s)
            delta = torch.addcmul(pre, pre, pre, value=-1.0).mul_(4.0 * alpha)
        else:
            delta = phi.derivative(pre).mul_(alpha)  # becomes δ_t in place
        g_views, d_views = g.unbind(0), delta.unbind(0)
        grad_r0 = None
        for t in range(steps - 1, -1, -1):
            d_views[t].mul_(g_views[t])
            if t > 0:
                g_views[t - 1].baddbmm_(d_views[t], w_rec).add_(g_views[t], alpha=1.0 - alpha)
            else:
                grad_r0 = torch.baddbmm(g_views[0], d_views[0], w_rec, beta=1.0 - alpha)
        grad_w = _weight_gradient(delta, rs[:-1])
        return grad_r0, delta, g if ctx.has_outer else None, grad_w, None, None


def _relu_into(p: Tensor, out: Tensor) -> None:
    torch.clamp(p, min=0.0, out=out)


def _softplus_into(p: Tensor, out: Tensor) -> None:
    torch.nn.functional.softplus(p, out=out)


_IN_PLACE = {"relu": _relu_into, "softplus": _softplus_into}


def _weight_gradient(delta: Tensor, r: Tensor) -> Tensor:
    """Σ_t δ_tᵀ r_t per member, as one product over all steps and trials."""
    steps, members, batch, n = delta.shape
    if members == 1:
        return torch.mm(delta.reshape(-1, n).t(), r.reshape(-1, n))[None]
    d_k = delta.permute(1, 0, 2, 3).reshape(members, -1, n)
    r_k = r.permute(1, 0, 2, 3).reshape(members, -1, n)
    return torch.bmm(d_k.transpose(1, 2), r_k)


def rate_scan(r0: Tensor, drive: Tensor, w_rec: Tensor, alpha: float, phi: Nonlinearity,
              outer: Tensor | None = None) -> Tensor:
    """Run the rate recurrence over all steps of ``drive``.

    Args:
        r0: initial rates, (K, B, N).
        drive: per-step drive inside φ, (T, K, B, N).
        w_rec: recurrent weights, (K, N, N).
        alpha: Euler factor dt/τ.
        phi: the nonlinearity.
        outer: per-step terms added outside φ (recurrent noise), (T, K, B, N), or None.

    Returns:
        rates r_1 … r_T, (T, K, B, N), differentiable with respect to every argument.
    """
    return _RateScan.apply(r0, drive, outer, w_rec, alpha, phi)
