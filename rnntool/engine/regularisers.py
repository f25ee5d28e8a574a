"""Regularisers added to a loss, looked up by name; each returns one penalty per member, (K,).

A regulariser takes ``(net, trajectory, names)``: the network (weights with a leading member
axis), the training trajectory (states and rates (K, B, T, N)) and the parameter names it
applies to. Specifications, comma-separated in ``--opt regularise=…``:
``NAME[:PARAM+PARAM]=WEIGHT``, e.g. ``l2:W_rec+W_in=1e-5,rate=0.1,orthogonality=0.3``.

- ``l1``, ``l2``: Σ|W| and Σ W² over the named weights (default W_rec). The parameters are
  named explicitly and checked, so the penalty can never silently apply to nothing.
- ``rate``: mean of r² over trials, steps and units (a firing-rate penalty over the whole
  trajectory); ``state``: the same on x.
- ``orthogonality``: ‖BᵀB − diag(BᵀB)‖_F with B = [W_in | W_outᵀ] and unit-length columns
  (the engellab pipeline's penalty pushing input and output vectors apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.network.ctrnn import CTRNN, Trajectory

RegulariserFn = Callable[[CTRNN, Trajectory, tuple[str, ...]], Tensor]
REGULARISERS: dict[str, RegulariserFn] = {}
#: Parameters a regulariser applies to when the specification names none.
DEFAULT_PARAMS: dict[str, tuple[str, ...]] = {}


def register_regulariser(name: str, default_params: tuple[str, ...] = ()) -> Callable[[RegulariserFn], RegulariserFn]:
    """Decorator adding a regulariser to :data:`REGULARISERS`."""
    def add(fn: RegulariserFn) -> RegulariserFn:
        REGULARISERS[name] = fn
        DEFAULT_PARAMS[name] = default_params
        return fn
    return add


@dataclass(frozen=True)
class Regulariser:
    """One weighted term: ``weight · REGULARISERS[name](net, trajectory, params)``."""

    name: str
    weight: float
    params: tuple[str, ...] = ()

    def __call__(self, net: CTRNN, trajectory: Trajectory) -> Tensor:
        return self.weight * REGULARISERS[self.name](net, trajectory, self.params)


def parse_regularisers(spec: str) -> list[Regulariser]:
    """``"l2:W_rec+W_in=1e-5,rate=0.1"`` → terms; ConfigError for unknown names or bad weights
    (parameter names are checked against a network by :func:`check_parameters`)."""
    terms = []
    for item in filter(None, (p.strip() for p in str(spec).split(","))):
        head, sep, weight = item.partition("=")
        name, _, params = head.partition(":")
        name = name.strip()
        if not sep or name not in REGULARISERS:
            raise ConfigError(f"bad regulariser {item!r}: use NAME[:PARAM+PARAM]=WEIGHT with NAME "
                              f"one of {', '.join(sorted(REGULARISERS))}")
        try:
            value = float(weight)
        except ValueError:
            raise ConfigError(f"regulariser {item!r}: the weight must be a number") from None
        if value < 0:
            raise ConfigError(f"regulariser {item!r}: the weight must be non-negative")
        names = tuple(p.strip() for p in params.split("+") if p.strip()) or DEFAULT_PARAMS[name]
        terms.append(Regulariser(name, value, names))
    return terms


def check_parameters(terms: list[Regulariser], known: tuple[str, ...]) -> None:
    """ConfigError if a term names a parameter the network does not have."""
    for term in terms:
        unknown = sorted(set(term.params) - set(known))
        if unknown:
            raise ConfigError(f"regulariser {term.name!r} names unknown parameter(s) "
                              f"{', '.join(unknown)} (the network has {', '.join(known)})")


def penalty(terms: list[Regulariser], net: CTRNN, trajectory: Trajectory) -> Tensor | None:
    """The sum of every term with a non-zero weight, (K,); None when there is none."""
    total = None
    for term in terms:
        if term.weight != 0:
            value = term(net, trajectory)
            total = value if total is None else total + value
    return total


def _flat(net: CTRNN, name: str) -> Tensor:
    p = net.params[name]
    return p.reshape(p.shape[0], -1)


@register_regulariser("l1", ("W_rec",))
def l1(net: CTRNN, trajectory: Trajectory, names: tuple[str, ...]) -> Tensor:
    return sum(_flat(net, n).abs().sum(-1) for n in names)


@register_regulariser("l2", ("W_rec",))
def l2(net: CTRNN, trajectory: Trajectory, names: tuple[str, ...]) -> Tensor:
    return sum((_flat(net, n) ** 2).sum(-1) for n in names)


@register_regulariser("rate")
def rate(net: CTRNN, trajectory: Trajectory, names: tuple[str, ...]) -> Tensor:
    return (trajectory.rates ** 2).mean(dim=(-1, -2, -3))


@register_regulariser("state")
def state(net: CTRNN, trajectory: Trajectory, names: tuple[str, ...]) -> Tensor:
    return (trajectory.states ** 2).mean(dim=(-1, -2, -3))


@register_regulariser("orthogonality")
def orthogonality(net: CTRNN, trajectory: Trajectory, names: tuple[str, ...]) -> Tensor:
    b = torch.cat([net.params["W_in"], net.params["W_out"].transpose(1, 2)], dim=2)
    b = b / b.norm(dim=1, keepdim=True).clamp(min=1e-12)
    gram = b.transpose(1, 2) @ b
    off = gram - torch.diag_embed(torch.diagonal(gram, dim1=1, dim2=2))
    return off.flatten(1).norm(dim=1)
