"""Fused time scan of the CT-RNN recurrence with a hand-written backward pass.

The recurrence is the network's step ``x_{t+1} = (1 − α)x_t + α W_rec φ(x_t) + d_t`` where
``d_t = α(W_in u_t + b) + noise`` is precomputed for all steps in one product. The forward
pass writes into preallocated buffers (a few in-place kernels per step); the backward pass
runs the adjoint recurrence in place and forms the W_rec gradient as one large product over
all steps instead of one small product per step. ``tests/test_network.py`` checks this
against repeated calls of :meth:`CTRNN.step` and against autograd.

tanh-family rates are carried as s = σ(2x), because tanh(x) = 2s − 1 and 1 + tanh(x) = 2s:
PyTorch's CPU sigmoid kernel is about four times faster than its tanh, and φ′ = 4s(1 − s)
then needs no transcendental function in the backward pass.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from rnntool.network.nonlinearities import Nonlinearity

# φ(x) = 2σ(2x) − offset for these nonlinearities.
_SIGMOID_OFFSET = {"tanh": 1.0, "one_plus_tanh": 0.0}


class _Scan(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x0: Tensor, drive: Tensor, w_rec: Tensor, alpha: float,
                phi: Nonlinearity, keep: Tensor | None, fill: Tensor | None
                ) -> tuple[Tensor, Tensor]:
        steps = drive.shape[0]
        offset = _SIGMOID_OFFSET.get(phi.name)
        xs = x0.new_empty((steps + 1,) + x0.shape)
        hs = torch.empty_like(xs)  # s = σ(2x) for the tanh family, else r = φ(x)
        tmp = torch.empty_like(x0)
        xs[0].copy_(x0)
        x_views, h_views, d_views = xs.unbind(0), hs.unbind(0), drive.unbind(0)
        w_t = w_rec.transpose(1, 2)
        if offset is None:
            h_views[0].copy_(phi.fn(x0))
            gain, shift = alpha, None
        else:
            torch.sigmoid(torch.mul(x0, 2.0, out=tmp), out=h_views[0])
            gain = 2.0 * alpha
            shift = (alpha * offset * w_rec.sum(2)).unsqueeze(1) if offset else None
        for t in range(steps):
            x_next = x_views[t + 1]
            torch.add(d_views[t], x_views[t], alpha=1.0 - alpha, out=x_next)
            x_next.baddbmm_(h_views[t], w_t, alpha=gain)
            if shift is not None:
                x_next.sub_(shift)
            if keep is not None:
                x_next.mul_(keep).add_(fill)
            if offset is None:
                h_views[t + 1].copy_(phi.fn(x_next))
            else:
                torch.sigmoid(torch.mul(x_next, 2.0, out=tmp), out=h_views[t + 1])
        ctx.save_for_backward(xs, hs, w_rec, keep)
        ctx.alpha, ctx.phi, ctx.offset = alpha, phi, offset
        rates = hs[1:] if offset is None else torch.mul(hs[1:], 2.0).sub_(offset)
        return xs[1:], rates

    @staticmethod
    def backward(ctx: Any, grad_x: Tensor | None, grad_r: Tensor | None
                 ) -> tuple[Tensor | None, ...]:
        xs, hs, w_rec, keep = ctx.saved_tensors
        alpha, phi, offset = ctx.alpha, ctx.phi, ctx.offset
        steps = xs.shape[0] - 1
        sigmoid_form = offset is not None
        dphi = None if sigmoid_form else phi.derivative(xs)
        # g[t] accumulates the total gradient with respect to x_{t+1}, in place.
        g = grad_x.clone() if grad_x is not None else torch.zeros_like(xs[1:])
        if grad_r is not None and not sigmoid_form:
            g.addcmul_(grad_r, dphi[1:])
        fold_rates = grad_r is not None and sigmoid_form
        tmp, tmp_r = torch.empty_like(xs[0]), torch.empty_like(xs[0])
        g_views, h_views = g.unbind(0), hs.unbind(0)
        r_views = grad_r.unbind(0) if fold_rates else None
        d_views = None if sigmoid_form else dphi.unbind(0)
        back_gain = 4.0 * alpha if sigmoid_form else alpha
        # With several members, Σ_t g_tᵀ h_t accumulates step by step while g_t is in cache:
        # one product over all steps would first copy g and h into member-major order.
        gram = (xs.new_zeros(w_rec.shape) if xs.shape[1] > 1 and ctx.needs_input_grad[2]
                else None)
        for t in range(steps - 1, -1, -1):
            g_t = g_views[t]
            if fold_rates:  # g_t += grad_r_t · 4s(1 − s), s = σ(2x_{t+1})
                torch.mul(r_views[t], h_views[t + 1], out=tmp_r)
                tmp_r.addcmul_(tmp_r, h_views[t + 1], value=-1.0)
                g_t.add_(tmp_r, alpha=4.0)
            if keep is not None:
                g_t.mul_(keep)
            if gram is not None:
                gram.baddbmm_(g_t.transpose(1, 2), h_views[t])
            torch.bmm(g_t, w_rec, out=tmp)
            if sigmoid_form:
                tmp.mul_(h_views[t])
                tmp.addcmul_(tmp, h_views[t], value=-1.0)  # tmp·s·(1 − s)
            else:
                tmp.mul_(d_views[t])
            if t > 0:
                g_views[t - 1].add_(g_t, alpha=1.0 - alpha).add_(tmp, alpha=back_gain)
        grad_x0 = g_views[0] * (1.0 - alpha) + tmp * back_gain
        if keep is not None:
            grad_x0.mul_(keep)
        grad_w = (_weight_gradient(g, hs[:-1], alpha, offset, gram)
                  if ctx.needs_input_grad[2] else None)
        return grad_x0, g, grad_w, None, None, None, None


def _weight_gradient(g: Tensor, h: Tensor, alpha: float, offset: float | None,
                     gram: Tensor | None = None) -> Tensor:
    """α Σ_t g_tᵀ r_t per member; ``gram`` = Σ_t g_tᵀ h_t when already summed, else one
    product over all steps and trials (one member: g and h are (T·B, N) views)."""
    n = g.shape[-1]
    if gram is None:
        gram = torch.bmm(g.reshape(1, -1, n).transpose(1, 2), h.reshape(1, -1, n))
    if offset is None:
        return alpha * gram
    grad = (2.0 * alpha) * gram
    if offset:
        grad.sub_(alpha * offset * g.sum((0, 2)).unsqueeze(2))
    return grad


def scan(x0: Tensor, drive: Tensor, w_rec: Tensor, alpha: float, phi: Nonlinearity,
         keep: Tensor | None = None, fill: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Run the recurrence over all steps of ``drive``.

    Args:
        x0: initial states, (K, B, N).
        drive: per-step additive drive α(W_in u_t + b) + noise, (T, K, B, N).
        w_rec: recurrent weights, (K, N, N).
        alpha: Euler factor dt/τ.
        phi: the rate nonlinearity.
        keep, fill: clamp masks (N,) so that clamped units become ``fill`` after each step.

    Returns:
        states x_1 … x_T and rates φ(x_1) … φ(x_T), each (T, K, B, N); both differentiable.
    """
    return _Scan.apply(x0, drive, w_rec, alpha, phi, keep, fill)
