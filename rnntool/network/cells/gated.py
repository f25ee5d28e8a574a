"""Discrete-time cells with torch.nn semantics: ``rnn`` (Elman, tanh or ReLU), ``gru``, ``lstm``.

Each stores the same weights as the one-layer ``torch.nn.RNN`` / ``GRU`` / ``LSTM`` under
rnntool's names — ``W_in`` = ``weight_ih_l0``, ``W_rec`` = ``weight_hh_l0``, ``b`` =
``bias_ih_l0``, ``b_rec`` = ``bias_hh_l0`` (gates stacked in torch's order: r, z, n for the
GRU; i, f, g, o for the LSTM) — and :func:`from_torch` / :func:`to_torch` convert both ways.
Initialisation is torch's: every weight and bias U(−1/√N, 1/√N); the readout y = W_out h +
b_out is an ``nn.Linear``'s U(−1/√N, 1/√N). The LSTM's state is the flat vector [h, c].

``rnn``: the input's share W_in u + b is one product over all steps (:meth:`Cell.input_drive`);
each step then adds one batched product W_rec h per member. ``gru`` and ``lstm`` run whole
trials through torch's own sequence kernels (``torch._VF.gru`` / ``lstm``, one call per
member), so they train as fast as torch.nn.GRU / LSTM. The Jacobians are written out
(``tests/test_cells.py`` checks them against autograd).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.network.cells.base import Cell, Params, ParamSpec
from rnntool.network.config import NetworkConfig


class _TorchCell(Cell):
    """Shared parameters, initialisation and input drive of the torch.nn-style cells."""

    gates: int = 1
    config_fields = ()

    def parameters(self) -> list[ParamSpec]:
        c, n, g = self.config, self.config.n_rec, self.gates
        init = "U(−1/√N, 1/√N), as torch.nn"
        return [ParamSpec("W_in", (g * n, c.n_in), True, init),
                ParamSpec("W_rec", (g * n, n), True, init),
                ParamSpec("b", (g * n,), True, init),
                ParamSpec("b_rec", (g * n,), True, init),
                ParamSpec("W_out", (c.n_out, n), True, init),
                ParamSpec("b_out", (c.n_out,), True, init),
                ParamSpec("x0", (self.state_size,), False, "zeros")]

    def initial_parameters(self, generator: torch.Generator) -> Params:
        dt = torch.float64 if self.config.dtype == "float64" else torch.float32
        bound = self.config.n_rec ** -0.5
        out = {}
        for spec in self.parameters():
            if spec.name == "x0":
                out[spec.name] = torch.zeros(spec.shape, dtype=dt)
            else:
                out[spec.name] = (2.0 * torch.rand(spec.shape, generator=generator, dtype=dt)
                                  - 1.0) * bound
        return out

    def _bias(self, params: Params) -> Tensor:
        """The biases that add to the gates' pre-activations: b + b_rec."""
        return params["b"] + params["b_rec"]

    def input_drive(self, params: Params, u: Tensor) -> Tensor:
        """W_in u + b + b_rec (the GRU keeps b_rec's candidate part inside r ⊙ ·)."""
        return u @ params["W_in"].transpose(1, 2) + self._bias(params)[:, None, :]

    def _recurrent(self, params: Params, h: Tensor, d: Tensor) -> Tensor:
        return torch.baddbmm(d, h, params["W_rec"].transpose(1, 2))


class RNNCell(_TorchCell):
    name = "rnn"
    summary = "h ← φ(W_in u + b + W_rec h + b_rec), torch.nn.RNN (φ = tanh or relu)"
    config_fields = ("phi",)
    supports_dale = True
    #: Adam at the task's rate for the leaky ctrnn (flip-flop: 1e-2) drives this leak-free map
    #: (α = 1) into saturation: 1e-3 trains it (3-bit flip-flop ≥ 95 % in ~200 iterations)
    rule_limits = {"bptt": {"lr": 1e-3}}

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__(config)
        if config.phi not in ("tanh", "relu"):
            raise ConfigError(f"cell 'rnn' takes phi tanh or relu (as torch.nn.RNN), not {config.phi!r}")
        self.relu = config.phi == "relu"

    def _phi(self, pre: Tensor) -> Tensor:
        return torch.relu(pre) if self.relu else torch.tanh(pre)

    def driven_step(self, params: Params, x: Tensor, d: Tensor) -> Tensor:
        return self._phi(self._recurrent(params, x, d))

    def _slope(self, params: Params, x: Tensor, u: Tensor) -> Tensor:
        pre = self._recurrent(params, x, self.input_drive(params, u).expand_as(x))
        if self.relu:
            return (pre > 0).to(pre.dtype)
        h = torch.tanh(pre)
        return 1.0 - h * h

    def jacobian_state(self, params: Params, x: Tensor, u: Tensor) -> Tensor:
        """diag(φ′(pre)) W_rec."""
        return self._slope(params, x, u)[..., None] * params["W_rec"][:, None]

    def jacobian_input(self, params: Params, x: Tensor, u: Tensor) -> Tensor:
        """diag(φ′(pre)) W_in."""
        return self._slope(params, x, u)[..., None] * params["W_in"][:, None]


class GRUCell(_TorchCell):
    """Like the LSTM, the GRU's drive is its (noisy) input u itself, so a whole trial runs
    through torch's own sequence kernel (``torch._VF.gru``, the code of torch.nn.GRU)."""

    name = "gru"
    summary = "torch.nn.GRU: r, z gates, n = tanh(W_in u + b + r ⊙ (W_rec h + b_rec))"
    gates = 3

    def _bias(self, params: Params) -> Tensor:
        n = self.config.n_rec
        b_rec = params["b_rec"]
        return params["b"] + torch.cat([b_rec[:, :2 * n], torch.zeros_like(b_rec[:, 2 * n:])], 1)

    def input_drive(self, params: Params, u: Tensor) -> Tensor:
        return u.expand(*u.shape[:-3], params["W_in"].shape[0], *u.shape[-2:])

    def _parts(self, params: Params, h: Tensor, u: Tensor) -> tuple[Tensor, ...]:
        n = self.config.n_rec
        d = torch.baddbmm(self._bias(params)[:, None, :], u, params["W_in"].transpose(1, 2))
        gh = torch.bmm(h, params["W_rec"].transpose(1, 2))
        rz = torch.sigmoid(d[..., :2 * n] + gh[..., :2 * n])
        r, z = rz[..., :n], rz[..., n:]
        hn = gh[..., 2 * n:] + params["b_rec"][:, None, 2 * n:]
        new = torch.tanh(torch.addcmul(d[..., 2 * n:], r, hn))
        return r, z, new, hn

    def driven_step(self, params: Params, x: Tensor, d: Tensor) -> Tensor:
        _, z, new, _ = self._parts(params, x, d)
        return new + z * (x - new)

    def unroll(self, params: Params, x0: Tensor, drive: Tensor) -> tuple[Tensor, Tensor]:
        """h of every step from torch's sequence kernel, one call per member."""
        weights = [params[k] for k in ("W_in", "W_rec", "b", "b_rec")]
        hs = torch.stack([
            torch._VF.gru(drive[:, k], x0[k][None].contiguous(), [w[k] for w in weights], True,
                          1, 0.0, torch.is_grad_enabled(), False, False)[0]
            for k in range(drive.shape[1])], 1)
        return hs, hs

    def _jacobian(self, params: Params, x: Tensor, u: Tensor, of_state: bool) -> Tensor:
        """∂h′/∂v for v = h (weight W_rec) or v = u (weight W_in): both enter the gates
        linearly, only the candidate's v-term differs (inside r ⊙ · for h, outside for u)."""
        n = self.config.n_rec
        r, z, new, hn = self._parts(params, x, u.expand(x.shape[0], x.shape[1], -1))
        w = params["W_rec" if of_state else "W_in"][:, None]  # (K, 1, 3N, ·)
        dr = (r * (1 - r))[..., None] * w[:, :, :n]
        dz = (z * (1 - z))[..., None] * w[:, :, n:2 * n]
        if of_state:
            inner = hn[..., None] * dr + r[..., None] * w[:, :, 2 * n:]
        else:
            inner = w[:, :, 2 * n:] + hn[..., None] * dr
        dn = (1 - new * new)[..., None] * inner
        return (1 - z)[..., None] * dn + (x - new)[..., None] * dz

    def jacobian_state(self, params: Params, x: Tensor, u: Tensor) -> Tensor:
        eye = torch.eye(self.config.n_rec, dtype=x.dtype, device=x.device)
        z = self._parts(params, x, u.expand(x.shape[0], x.shape[1], -1))[1]
        return self._jacobian(params, x, u, True) + z[..., None] * eye

    def jacobian_input(self, params: Params, x: Tensor, u: Tensor) -> Tensor:
        return self._jacobian(params, x, u, False)


class LSTMCell(_TorchCell):
    """The LSTM's drive is its (noisy) input u itself: a whole trial then runs through
    torch's own sequence kernel (``torch._VF.lstm``, oneDNN on CPU), which forms W_in u for
    all steps in one product — as fast as torch.nn.LSTM. That kernel returns h at every step
    and c only at the end; training reads h alone, so the c trajectory is rebuilt from the h
    trajectory only when the states are asked for (:meth:`unroll_activity`)."""

    name = "lstm"
    summary = "torch.nn.LSTM: gates i, f, g, o; state [h, c], readout from h"
    gates = 4

    @property
    def state_size(self) -> int:
        return 2 * self.config.n_rec

    def activity(self, x: Tensor) -> Tensor:
        return x[..., :self.config.n_rec]

    def input_drive(self, params: Params, u: Tensor) -> Tensor:
        return u.expand(*u.shape[:-3], params["W_in"].shape[0], *u.shape[-2:])

    def _pre(self, params: Params, h: Tensor, u: Tensor) -> Tensor:
        """Gate pre-activations W_in u + b + b_rec + W_rec h, (…, K, B, 4N)."""
        k = params["W_in"].shape[0]
        d = torch.baddbmm(self._bias(params)[:, None, :], u.reshape(k, -1, u.shape[-1]),
                          params["W_in"].transpose(1, 2)).reshape(*u.shape[:-1], -1)
        return self._recurrent(params, h, d) if h.dim() == 3 else d

    def _gates(self, pre: Tensor, c: Tensor) -> tuple[Tensor, ...]:
        n = self.config.n_rec
        s = torch.sigmoid(pre)  # the g quarter is recomputed as tanh: cheaper than a cat
        i, f, o = s[..., :n], s[..., n:2 * n], s[..., 3 * n:]
        g = torch.tanh(pre[..., 2 * n:3 * n])
        c_new = torch.addcmul(f * c, i, g)
        return i, f, g, o, c_new, torch.tanh(c_new)

    def _parts(self, params: Params, x: Tensor, u: Tensor) -> tuple[Tensor, ...]:
        n = self.config.n_rec
        c = x[..., n:]
        i, f, g, o, c_new, tc = self._gates(self._pre(params, x[..., :n], u.expand(
            x.shape[0], x.shape[1], -1)), c)
        return i, f, g, o, c, c_new, tc

    def driven_step(self, params: Params, x: Tensor, d: Tensor) -> Tensor:
        *_, o, _, c_new, tc = self._parts(params, x, d)
        return torch.cat([o * tc, c_new], -1)

    def unroll_activity(self, params: Params, x0: Tensor,
                        drive: Tensor) -> tuple[Tensor, Tensor, Callable[[], Tensor]]:
        """h of every step and the last [h, c] from torch's sequence kernel, one call per
        member; the c trajectory only when asked (:meth:`_cell_states`)."""
        n = self.config.n_rec
        h0, c0 = x0[..., :n], x0[..., n:]
        weights = [params[k] for k in ("W_in", "W_rec", "b", "b_rec")]
        runs = [torch._VF.lstm(drive[:, k], (h0[k][None].contiguous(), c0[k][None].contiguous()),
                               [w[k] for w in weights], True, 1, 0.0, torch.is_grad_enabled(),
                               False, False) for k in range(drive.shape[1])]
        hs = torch.stack([r[0] for r in runs], 1)  # (T, K, B, N)
        last = torch.cat([torch.cat([r[1] for r in runs]), torch.cat([r[2] for r in runs])], -1)
        return hs, last, lambda: torch.cat([hs, self._cell_states(params, x0, drive, hs)], -1)

    def unroll(self, params: Params, x0: Tensor, drive: Tensor) -> tuple[Tensor, Tensor]:
        hs, _, every_state = self.unroll_activity(params, x0, drive)
        return every_state(), hs

    def _cell_states(self, params: Params, x0: Tensor, drive: Tensor, hs: Tensor) -> Tensor:
        """c of every step (T, K, B, N), rebuilt from the h trajectory: the i, f, g gates of
        all steps in one product, then the element-wise recurrence c ← f c + i g."""
        n = self.config.n_rec
        steps, members, batch = drive.shape[:3]
        h_prev = torch.cat([x0[None, ..., :n], hs[:-1]])
        w_in, w_rec = params["W_in"][:, :3 * n], params["W_rec"][:, :3 * n]
        d = torch.baddbmm(self._bias(params)[:, None, :3 * n],
                          drive.transpose(0, 1).reshape(members, -1, drive.shape[-1]),
                          w_in.transpose(1, 2))
        pre = torch.baddbmm(d, h_prev.transpose(0, 1).reshape(members, -1, n),
                            w_rec.transpose(1, 2)).reshape(members, steps, batch, 3 * n)
        s = torch.sigmoid(pre[..., :2 * n]).transpose(0, 1)
        g = torch.tanh(pre[..., 2 * n:]).transpose(0, 1)
        c, cs = x0[..., n:], []
        for t in range(steps):
            c = torch.addcmul(s[t, ..., n:] * c, s[t, ..., :n], g[t])
            cs.append(c)
        return torch.stack(cs)

    def _gate_jacobians(self, params: Params, x: Tensor, u: Tensor,
                        weight: Tensor) -> tuple[Tensor, Tensor, tuple[Tensor, Tensor]]:
        """∂c′/∂v and ∂h′/∂v through the gates, for v entering them through ``weight``."""
        n = self.config.n_rec
        i, f, g, o, c, c_new, tc = self._parts(params, x, u)
        w = weight[:, None]
        di = (i * (1 - i))[..., None] * w[:, :, :n]
        df = (f * (1 - f))[..., None] * w[:, :, n:2 * n]
        dg = (1 - g * g)[..., None] * w[:, :, 2 * n:3 * n]
        do = (o * (1 - o))[..., None] * w[:, :, 3 * n:]
        dc = c[..., None] * df + g[..., None] * di + i[..., None] * dg
        dh = tc[..., None] * do + (o * (1 - tc * tc))[..., None] * dc
        return dc, dh, (o * (1 - tc * tc) * f, f)

    def jacobian_state(self, params: Params, x: Tensor, u: Tensor) -> Tensor:
        """[[∂h′/∂h, ∂h′/∂c], [∂c′/∂h, ∂c′/∂c]] with ∂c′/∂c = diag(f)."""
        dc, dh, (dh_dc, dc_dc) = self._gate_jacobians(params, x, u, params["W_rec"])
        top = torch.cat([dh, torch.diag_embed(dh_dc)], -1)
        bottom = torch.cat([dc, torch.diag_embed(dc_dc)], -1)
        return torch.cat([top, bottom], -2)

    def jacobian_input(self, params: Params, x: Tensor, u: Tensor) -> Tensor:
        dc, dh, _ = self._gate_jacobians(params, x, u, params["W_in"])
        return torch.cat([dh, dc], -2)


TORCH_MODULES = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
TORCH_NAMES = {"W_in": "weight_ih_l0", "W_rec": "weight_hh_l0", "b": "bias_ih_l0",
               "b_rec": "bias_hh_l0"}


def from_torch(module: torch.nn.RNNBase) -> dict[str, Tensor]:
    """The recurrent weights of a one-layer, unidirectional torch.nn.RNN / GRU / LSTM under
    rnntool's names (no member axis)."""
    if module.num_layers != 1 or module.bidirectional or not module.bias or \
            getattr(module, "proj_size", 0):
        raise ConfigError("only one-layer, unidirectional torch modules with biases convert")
    state = module.state_dict()
    return {ours: state[theirs].detach().clone() for ours, theirs in TORCH_NAMES.items()}


def to_torch(cell: str, params: dict[str, Tensor], nonlinearity: str = "tanh",
             batch_first: bool = True) -> torch.nn.RNNBase:
    """A torch.nn module of ``cell`` holding the recurrent weights ``params`` (no member axis)."""
    hidden, n_in = params["W_rec"].shape[1], params["W_in"].shape[1]
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    module = TORCH_MODULES[cell](n_in, hidden, batch_first=batch_first, **kwargs)
    module = module.to(params["W_rec"].dtype)
    module.load_state_dict({theirs: params[ours].detach().clone()
                            for ours, theirs in TORCH_NAMES.items()})
    return module
