"""The multitask and engellab systems' configurations as task defaults."""

from __future__ import annotations

import torch

from rnntool.network.config import NetworkConfig
from rnntool.network.initialisation import initial_parameters


def test_identity_initialisation_starts_w_rec_at_g_times_identity() -> None:
    config = NetworkConfig(n_in=5, n_rec=16, n_out=3, init="identity", g=0.9)
    params = initial_parameters(config, torch.Generator().manual_seed(0))
    assert torch.equal(params["W_rec"], 0.9 * torch.eye(16))
    assert float(params["W_in"].std()) > 0.2 and params["W_in"].shape == (16, 5)
