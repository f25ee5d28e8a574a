"""Continuous-time rate RNNs: configuration, presets, initialisation, dynamics."""

from rnntool.network.config import PRESETS, NetworkConfig, preset_config
from rnntool.network.ctrnn import CTRNN, Trajectory
from rnntool.network.nonlinearities import NONLINEARITIES, get_nonlinearity

__all__ = ["CTRNN", "NetworkConfig", "NONLINEARITIES", "PRESETS", "Trajectory",
           "get_nonlinearity", "preset_config"]
