"""The cell protocol: one recurrent update with its parameters, Jacobians and unrolled scan.

A cell is stateless apart from its configuration: parameters are passed to every method as
a dict of tensors that carry the member axis K first, so one call runs a whole population
or ensemble. States are flat vectors of :attr:`Cell.state_size` (an LSTM's (h, c) is one
vector [h, c]); inputs are (K or 1, B, n_in).

What a new cell must write: :meth:`Cell.parameters`, :meth:`Cell.input_drive` and
:meth:`Cell.driven_step` (the step given its precomputed input drive). Everything else has
a generic default: :meth:`Cell.step` composes the two, :meth:`Cell.unroll` loops over
steps, the Jacobians come from autograd (``torch.func``), :meth:`Cell.activity` is the
state. Cells that can do better override them (the fused scans, analytic Jacobians).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import torch
from torch import Tensor

from rnntool.network.config import NetworkConfig
from rnntool.network.forward_scan import Ends

Params = dict[str, Tensor]


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a cell: its name, shape without the member axis, whether it is
    trained by default, and how it is initialised (a sentence, for ``--help`` and docs)."""

    name: str
    shape: tuple[int, ...]
    trainable: bool = True
    init: str = ""


@dataclass(frozen=True)
class Setting:
    """A cell-specific setting (``--net-opt KEY=VALUE``): its type, default and meaning."""

    type: type
    default: Any
    help: str
    choices: tuple[Any, ...] = ()


class Cell(ABC):
    """A recurrent update x_{t+1} = F(x_t, u_t) and what training and analyses need of it."""

    #: registry name (``--cell``)
    name: ClassVar[str]
    #: one line for ``train --help``
    summary: ClassVar[str] = ""
    #: the :class:`NetworkConfig` fields this cell reads (others must keep their defaults)
    config_fields: ClassVar[tuple[str, ...]] = ()
    #: the cell's own settings, stored in ``NetworkConfig.cell_options``
    settings: ClassVar[dict[str, Setting]] = {}
    #: whether the cell has a continuous-time scale α (a leaky, Euler-discretised flow)
    continuous: ClassVar[bool] = False
    #: whether Dale's law applies (square W_rec whose columns are the units' outputs)
    supports_dale: ClassVar[bool] = False
    #: upper bounds on learning rules' default hyper-parameters, per rule name, that this
    #: cell needs to train stably, e.g. ``{"bptt": {"lr": 1e-3}}`` (explicit options are kept)
    rule_limits: ClassVar[dict[str, dict[str, float]]] = {}

    def __init__(self, config: NetworkConfig) -> None:
        self.config = config
        self.options = {k: s.default for k, s in self.settings.items()}
        self.options.update(config.cell_options)

    # what the cell declares ---------------------------------------------------------------
    @property
    def hidden_size(self) -> int:
        """Units seen by the readout and by analyses of activity (N)."""
        return self.config.n_rec

    @property
    def state_size(self) -> int:
        """Length of the flat state vector (2N for an LSTM)."""
        return self.config.n_rec

    @property
    def alpha(self) -> float | None:
        """The time scale α = dt/τ of a continuous-time cell, None for a discrete map."""
        return self.config.alpha if self.continuous else None

    @abstractmethod
    def parameters(self) -> list[ParamSpec]:
        """The cell's parameters in drawing order, readout and initial state included."""

    @abstractmethod
    def initial_parameters(self, generator: torch.Generator) -> Params:
        """One member's parameters (no member axis), every draw from ``generator``."""

    # the dynamics -------------------------------------------------------------------------
    @abstractmethod
    def input_drive(self, params: Params, u: Tensor) -> Tensor:
        """The input's contribution to each step, computed for all steps in one product:
        u (…, K|1, B, n_in) → (…, K, B, D) with any leading (time) axes."""

    @abstractmethod
    def driven_step(self, params: Params, x: Tensor, d: Tensor) -> Tensor:
        """One step from state x (K, B, S) given its input drive d (K, B, D)."""

    def step(self, params: Params, x: Tensor, u: Tensor) -> Tensor:
        """F(x, u), noise-free: x (K, B, S), u (K|1, B, n_in) → (K, B, S)."""
        return self.driven_step(params, x, _broadcast_members(self.input_drive(params, u), x))

    def unroll(self, params: Params, x0: Tensor, drive: Tensor) -> tuple[Tensor, Tensor]:
        """States x_1 … x_T (T, K, B, S) and activities (T, K, B, N) over a drive (T, K, B, D).

        The default loops over steps; cells with a fused scan override it.
        """
        x, states = x0, []
        for d in drive.unbind(0):
            x = self.driven_step(params, x, d)
            states.append(x)
        xs = torch.stack(states)
        return xs, self.activity(xs)

    def unroll_activity(self, params: Params, x0: Tensor,
                        drive: Tensor) -> tuple[Tensor, Tensor, Callable[[], Tensor]]:
        """Activities (T, K, B, N), the last state (K, B, S) and a function returning every
        state (T, K, B, S) when asked.

        Training reads the activities only (unless the readout reads the state), so a cell
        whose states cost work beyond its activities (an LSTM's c) computes them on demand.
        The default unrolls once and hands out the states it already has.
        """
        xs, rs = self.unroll(params, x0, drive)
        return rs, xs[-1], lambda: xs

    def advance(self, params: Params, x0: Tensor, drive: Tensor, first: bool = True) -> Ends:
        """State and activity after the last step of ``drive`` (T, K, B, D), and after the
        first when ``first``, for evaluations that read only those (no gradient). The
        default unrolls the whole block; the ``ctrnn`` cell keeps just the carried state."""
        rs, last, every_state = self.unroll_activity(params, x0, drive)
        if not first:
            return Ends(None, None, last, rs[-1])
        return Ends(every_state()[0], rs[0], last, rs[-1])

    @property
    def readout_reads_state(self) -> bool:
        """Whether :meth:`readout_source` needs the state when it is given the activity."""
        return False

    def activity(self, x: Tensor) -> Tensor:
        """What analyses and the readout read of a state (…, S) → (…, N): rates, h, …"""
        return x

    def observed(self, x: Tensor) -> Tensor:
        """The units analyses of activity record, (…, S) → (…, N): the state itself for
        rate networks (McMahan et al. 2021 record x), h of an LSTM's (h, c)."""
        return x[..., :self.hidden_size]

    def readout_source(self, x: Tensor, activity: Tensor | None = None) -> Tensor:
        """The vector z the readout y = ψ(W_out z + b_out) reads."""
        return self.activity(x) if activity is None else activity

    def clamp(self, x: Tensor) -> Tensor:
        """Hold clamped units at their values (identity for cells without clamps)."""
        return x

    def project(self, params: Params) -> None:
        """Re-impose cell-specific invariants in place after a weight update (default none)."""

    # linearisation ------------------------------------------------------------------------
    def jacobian_state(self, params: Params, x: Tensor, u: Tensor) -> Tensor:
        """∂F/∂x at each (member, trial): (K, B, S, S). Autograd unless the cell writes it."""
        return _autograd_jacobian(self, params, x, u, argnum=0)

    def jacobian_input(self, params: Params, x: Tensor, u: Tensor) -> Tensor:
        """∂F/∂u at each (member, trial): (K, B, S, n_in). Autograd unless the cell writes it."""
        return _autograd_jacobian(self, params, x, u, argnum=1)

    # noise --------------------------------------------------------------------------------
    def noisy_drive(self, params: Params, u: Tensor, members: int,
                    randn: Callable[[tuple[int, ...]], Tensor]) -> Tensor:
        """The drive of a trial u (T, K|1, B, n_in) with the configured noise, (T, K, B, D).

        Discrete cells have no noise settings; continuous cells add theirs here.
        """
        d = self.input_drive(params, u)
        return d.expand(-1, members, -1, -1) if d.shape[1] != members else d


def _broadcast_members(d: Tensor, x: Tensor) -> Tensor:
    return d.expand(x.shape[0], *d.shape[1:]) if d.shape[0] != x.shape[0] else d


def _autograd_jacobian(cell: Cell, params: Params, x: Tensor, u: Tensor, argnum: int) -> Tensor:
    """Jacobian of one (member, trial) step, vectorised over members and trials by torch.func."""
    members, batch = x.shape[0], x.shape[1]
    u = u.expand(members, batch, u.shape[-1])

    def single(p: Params, xi: Tensor, ui: Tensor) -> Tensor:
        full = {k: v[None] for k, v in p.items()}
        return cell.step(full, xi[None, None], ui[None, None])[0, 0]

    jac = torch.func.jacrev(single, argnums=1 + argnum)
    per_trial = torch.func.vmap(jac, in_dims=(None, 0, 0))
    per_member = torch.func.vmap(per_trial, in_dims=(0, 0, 0))
    used = {k: v.detach() for k, v in params.items()}
    return per_member(used, x, u)
