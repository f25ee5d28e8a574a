"""Recurrent networks: configuration, presets, cells, constraints, initialisation, dynamics."""

from rnntool.network.cells import CELLS, Cell, make_cell, register_cell
from rnntool.network.config import PRESETS, NetworkConfig, preset_config
from rnntool.network.ctrnn import CTRNN
from rnntool.network.network import Network, Trajectory, final_outputs
from rnntool.network.nonlinearities import NONLINEARITIES, get_nonlinearity
from rnntool.network.system import DynamicalSystem

__all__ = ["CELLS", "CTRNN", "Cell", "DynamicalSystem", "Network", "NetworkConfig",
           "NONLINEARITIES", "PRESETS", "Trajectory", "final_outputs", "get_nonlinearity",
           "make_cell", "preset_config", "register_cell"]
