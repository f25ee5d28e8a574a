"""Fused time scan of the CT-RNN recurrence with a hand-written backward pass.

The recurrence is the network's step ``x_{t+1} = (1 − α)x_t + α W_rec φ(x_t) + d_t`` where
``d_t = α(W_in u_t + b) + noise`` is precomputed for all steps in one product. The forward
pass writes into preallocated buffers (a few in-place kernels per step); the backward pass
runs the adjoint recurrence in place and forms the W_rec gradient as one large product over
all steps instead of one small product per step. ``tests/test_network.py`` checks this
against repeated calls of :meth:`CTRNN.step` and against autograd.

tanh-family rates are computed as φ(x) = 2σ(2x) − offset (tanh: offset 1, 1 + tanh: 0):
PyTorch's CPU sigmoid kernel is about four times faster than its tanh, and φ′ then needs no
transcendental function. What the scan stores per step depends on the step's size:

- small steps (one network, few trials: overhead-bound) store s = σ(2x), one kernel per step
  fewer, and form the rates in one pass over the trajectory at the end;
- large steps (an ensemble, big batches: memory-bound) store the rates themselves, so the
  rate trajectory is a view of the scan's buffer and no extra pass over K·B·T·N values (tens
  to hundreds of MB, far beyond the caches) is made; φ′ = 1 − r² (tanh) or r(2 − r) (1 + tanh).

With several members the W_rec gradient Σ_t g_tᵀ r_t accumulates step by step in the
backward pass while g_t is in cache; one product over all steps would first copy the
time-major trajectories into member-major order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from rnntool.network.nonlinearities import SIGMOID_OFFSET, Nonlinearity

#: steps of at least this many values (K·B·N) store rates rather than σ(2x): measured on one
#: core, the per-step kernel this costs is cheaper than a pass over a trajectory that large
RATES_FROM = 8192


@dataclass(frozen=True)
class _Stored:
    """What the scan keeps per step, h, with r = scale·h − shift (r = h unless σ-stored)."""

    sigmoid: bool  # φ is 2σ(2x) − offset
    offset: float
    scale: float  # 2 when h = σ(2x), else 1
    shift: float  # offset when h = σ(2x), else 0

    @classmethod
    def choose(cls, phi: Nonlinearity, step_size: int) -> "_Stored":
        offset = SIGMOID_OFFSET.get(phi.name)
        if offset is None:
            return cls(False, 0.0, 1.0, 0.0)
        if step_size >= RATES_FROM:
            return cls(True, offset, 1.0, 0.0)
        return cls(True, offset, 2.0, offset)

    @property
    def half_sigmoid(self) -> bool:
        return self.sigmoid and self.scale == 2.0

    @property
    def back_gain(self) -> float:
        """The factor of α that ``times_dphi`` leaves out of φ′."""
        if self.half_sigmoid:
            return 4.0  # v·s(1 − s) = v·φ′/4
        return 2.0 if self.sigmoid and not self.offset else 1.0  # 1 + tanh: v·r(1 − r/2)


class _Scan(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x0: Tensor, drive: Tensor, w_rec: Tensor, alpha: float,
                phi: Nonlinearity, keep: Tensor | None, fill: Tensor | None
                ) -> tuple[Tensor, Tensor]:
        steps = drive.shape[0]
        form = _Stored.choose(phi, x0.numel())
        xs = x0.new_empty((steps + 1,) + x0.shape)
        hs = torch.empty_like(xs)
        tmp = torch.empty_like(x0)
        xs[0].copy_(x0)
        x_views, h_views, d_views = xs.unbind(0), hs.unbind(0), drive.unbind(0)
        w_t = w_rec.transpose(1, 2)
        gain = alpha * form.scale
        shift = (alpha * form.shift * w_rec.sum(2)).unsqueeze(1) if form.shift else None

        def store(x: Tensor, out: Tensor) -> None:
            if not form.sigmoid:
                out.copy_(phi.fn(x))
                return
            torch.sigmoid(torch.mul(x, 2.0, out=tmp), out=out)
            if not form.half_sigmoid:
                out.mul_(2.0)
                if form.offset:
                    out.sub_(form.offset)

        store(x0, h_views[0])
        for t in range(steps):
            x_next = x_views[t + 1]
            torch.add(d_views[t], x_views[t], alpha=1.0 - alpha, out=x_next)
            x_next.baddbmm_(h_views[t], w_t, alpha=gain)
            if shift is not None:
                x_next.sub_(shift)
            if keep is not None:
                x_next.mul_(keep).add_(fill)
            store(x_next, h_views[t + 1])
        ctx.save_for_backward(xs, hs, w_rec, keep)
        ctx.alpha, ctx.phi, ctx.form = alpha, phi, form
        # an output that nothing reads (the rates when the readout reads x) comes back as
        # None, not as a trajectory of zeros folded in step by step
        ctx.set_materialize_grads(False)
        rates = torch.mul(hs[1:], 2.0).sub_(form.offset) if form.half_sigmoid else hs[1:]
        return xs[1:], rates

    @staticmethod
    def backward(ctx: Any, grad_x: Tensor | None, grad_r: Tensor | None
                 ) -> tuple[Tensor | None, ...]:
        xs, hs, w_rec, keep = ctx.saved_tensors
        alpha, phi, form = ctx.alpha, ctx.phi, ctx.form
        steps = xs.shape[0] - 1
        dphi = None if form.sigmoid else phi.derivative(xs)
        # g[t] accumulates the total gradient with respect to x_{t+1}, in place.
        gram = (xs.new_zeros(w_rec.shape) if xs.shape[1] > 1 and ctx.needs_input_grad[2]
                else None)
        # The whole trajectory of g is kept only when it is returned (the drive's gradient)
        # or the W_rec gradient is one product over all steps (one member); otherwise two
        # rolling buffers hold g_t, with no copy of grad_x and no pass over its trajectory.
        keep_all = ctx.needs_input_grad[1] or (ctx.needs_input_grad[2] and gram is None)
        if keep_all:
            # time-major and dense whatever view of the trajectory the loss read (a plain
            # clone keeps grad_x's strides): the per-step products want dense (B × N) slices.
            # Without grad_x, g_{t−1} is written rather than accumulated, so no pass zeroes
            # the whole trajectory first (55 ms of a 0.4 s step at N = 50, B = 500, T = 750)
            fresh = grad_x is None and (grad_r is None or form.sigmoid)
            if fresh:
                g = torch.empty_like(xs[1:])
                g[-1].zero_()
            else:
                g = (grad_x.clone(memory_format=torch.contiguous_format) if grad_x is not None
                     else torch.zeros_like(xs[1:]))
            if grad_r is not None and not form.sigmoid:
                g.addcmul_(grad_r, dphi[1:])
            g_views = g.unbind(0)
        else:
            g, rolling = None, (torch.empty_like(xs[0]), torch.empty_like(xs[0]))
            gx_views = grad_x.unbind(0) if grad_x is not None else None
        fold_rates = grad_r is not None and (form.sigmoid or not keep_all)
        tmp, tmp_r = torch.empty_like(xs[0]), torch.empty_like(xs[0])
        h_views = hs.unbind(0)
        gr_views = grad_r.unbind(0) if fold_rates else None
        d_views = None if form.sigmoid else dphi.unbind(0)
        back_gain = form.back_gain * alpha

        def times_dphi(v: Tensor, t: int) -> None:
            """v ← v·φ′(x_t)/back_gain·α (tmp_r is free here)."""
            h = h_views[t]
            if not form.sigmoid:
                v.mul_(d_views[t])
            elif form.half_sigmoid:  # v·s(1 − s)
                v.mul_(h)
                v.addcmul_(v, h, value=-1.0)
            elif form.offset:  # v·(1 − r²)
                torch.mul(v, h, out=tmp_r)
                v.addcmul_(tmp_r, h, value=-1.0)
            else:  # v·r(1 − r/2)
                v.mul_(h)
                v.addcmul_(v, h, value=-0.5)

        def add_rate_gradient(g_t: Tensor, gr: Tensor, t: int) -> None:
            """g_t += gr·φ′(x_t)."""
            h = h_views[t]
            if not form.sigmoid:
                g_t.addcmul_(gr, d_views[t])
            elif form.half_sigmoid:  # 4·gr·s(1 − s)
                torch.mul(gr, h, out=tmp_r)
                tmp_r.addcmul_(tmp_r, h, value=-1.0)
                g_t.add_(tmp_r, alpha=4.0)
            elif form.offset:  # gr·(1 − r²)
                g_t.add_(gr)
                torch.mul(gr, h, out=tmp_r)
                g_t.addcmul_(tmp_r, h, value=-1.0)
            else:  # 2·gr·r(1 − r/2)
                torch.mul(gr, h, out=tmp_r)
                tmp_r.addcmul_(tmp_r, h, value=-0.5)
                g_t.add_(tmp_r, alpha=2.0)

        # Σ_t g_t for the W_rec gradient's shift term, when g_t is not kept
        g_sum = (torch.zeros_like(xs[0]) if not keep_all and gram is not None and form.shift
                 else None)
        g_t = None
        for t in range(steps - 1, -1, -1):
            if keep_all:
                g_t = g_views[t]
            elif g_t is None:  # the last step: g_T = grad_x_T
                g_t = (rolling[0].copy_(gx_views[t]) if gx_views is not None
                       else rolling[0].zero_())
            if fold_rates:
                add_rate_gradient(g_t, gr_views[t], t + 1)
            if keep is not None:
                g_t.mul_(keep)
            if gram is not None:
                gram.baddbmm_(g_t.transpose(1, 2), h_views[t])
            if g_sum is not None:
                g_sum.add_(g_t)
            torch.bmm(g_t, w_rec, out=tmp)
            times_dphi(tmp, t)
            if t == 0:
                break
            if keep_all and fresh:
                torch.mul(g_t, 1.0 - alpha, out=g_views[t - 1]).add_(tmp, alpha=back_gain)
            elif keep_all:
                g_views[t - 1].add_(g_t, alpha=1.0 - alpha).add_(tmp, alpha=back_gain)
            else:  # g_{t−1} = grad_x_{t−1} + (1 − α)g_t + back_gain·tmp
                g_prev = rolling[1] if g_t is rolling[0] else rolling[0]
                if gx_views is not None:
                    torch.add(gx_views[t - 1], g_t, alpha=1.0 - alpha, out=g_prev)
                else:
                    torch.mul(g_t, 1.0 - alpha, out=g_prev)
                g_t = g_prev.add_(tmp, alpha=back_gain)
        grad_x0 = g_t * (1.0 - alpha) + tmp * back_gain
        if keep is not None:
            grad_x0.mul_(keep)
        if g_sum is not None:
            g = g_sum[None]
        grad_w = (_weight_gradient(g, hs[:-1], alpha, form, gram)
                  if ctx.needs_input_grad[2] else None)
        if not keep_all:
            g = None
        return grad_x0, g, grad_w, None, None, None, None


def _weight_gradient(g: Tensor | None, h: Tensor, alpha: float, form: _Stored,
                     gram: Tensor | None = None) -> Tensor:
    """α Σ_t g_tᵀ r_t per member with r = scale·h − shift; ``gram`` = Σ_t g_tᵀ h_t when
    already summed, else one product over all steps and trials (one member: g and h are
    (T·B, N) views). With a shift, g may be Σ_t g_t alone, (1, K, B, N)."""
    if gram is None:
        n = g.shape[-1]
        gram = torch.bmm(g.reshape(1, -1, n).transpose(1, 2), h.reshape(1, -1, n))
    grad = gram.mul_(alpha * form.scale)
    if form.shift:
        grad.sub_(alpha * form.shift * g.sum((0, 2)).unsqueeze(2))
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
