"""Rate nonlinearities φ with their derivatives φ′, looked up by name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from rnntool.registry import Registry


@dataclass(frozen=True)
class Nonlinearity:
    """A rate function and its derivative, both element-wise."""

    name: str
    fn: Callable[[Tensor], Tensor]
    derivative: Callable[[Tensor], Tensor]


def _one_plus_tanh(x: Tensor) -> Tensor:
    return 1.0 + torch.tanh(x)


def _tanh_prime(x: Tensor) -> Tensor:
    return 1.0 - torch.tanh(x) ** 2


def _relu_prime(x: Tensor) -> Tensor:
    return (x > 0).to(x.dtype)


#: φ(x) = 2σ(2x) − offset for these nonlinearities: PyTorch's CPU sigmoid is several times
#: faster than its tanh, so the fused scans evaluate them through the sigmoid, and φ′ then
#: needs no transcendental function
SIGMOID_OFFSET = {"tanh": 1.0, "one_plus_tanh": 0.0}

NONLINEARITIES: Registry[Nonlinearity] = Registry("nonlinearity")
for _phi in (Nonlinearity("tanh", torch.tanh, _tanh_prime),
             Nonlinearity("one_plus_tanh", _one_plus_tanh, _tanh_prime),
             Nonlinearity("relu", torch.relu, _relu_prime),
             Nonlinearity("softplus", torch.nn.functional.softplus, torch.sigmoid),
             Nonlinearity("linear", lambda x: x, torch.ones_like)):
    NONLINEARITIES.register(_phi.name, _phi)


def get_nonlinearity(name: str) -> Nonlinearity:
    """Return the nonlinearity registered under ``name``."""
    return NONLINEARITIES.get(name)
