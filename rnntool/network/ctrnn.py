"""The name ``CTRNN``: today's continuous-time network is the :class:`Network` container with
the ``ctrnn`` cell (``NetworkConfig.cell``), and ``CTRNN`` names that container so code
written for it keeps working (:mod:`rnntool.network.network` holds the implementation)."""

from __future__ import annotations

from rnntool.network.network import Network, Trajectory, final_outputs

CTRNN = Network

__all__ = ["CTRNN", "Network", "Trajectory", "final_outputs"]
