"""The cell registry: every recurrent update rnntool can train and analyse, by name.

Adding a cell is one module with a :class:`~rnntool.network.cells.base.Cell` subclass and
one :func:`register_cell` line here.
"""

from __future__ import annotations

from dataclasses import fields

from rnntool.errors import ConfigError
from rnntool.network.cells.base import Cell, Params, ParamSpec, Setting
from rnntool.network.cells.ctrnn import CTRNNCell
from rnntool.network.cells.gated import GRUCell, LSTMCell, RNNCell, from_torch, to_torch
from rnntool.network.cells.rate import RateCell
from rnntool.network.config import NetworkConfig
from rnntool.registry import Registry, check_settings

CELLS: Registry[type[Cell]] = Registry("cell")

#: NetworkConfig fields every cell reads.
COMMON_FIELDS = ("n_in", "n_rec", "n_out", "output_nonlinearity", "trainable", "dtype", "preset",
                 "cell", "cell_options", "nonnegative", "self_connections", "mask", "x0_std")


def register_cell(cls: type[Cell]) -> type[Cell]:
    """Add a cell class under ``cls.name`` (a taken name is an error)."""
    return CELLS.register(cls.name, cls)


def make_cell(config: NetworkConfig) -> Cell:
    """The cell ``config.cell`` for this configuration, after checking that the
    configuration sets only what the cell reads and trains only parameters it has."""
    cls = CELLS.get(config.cell)
    check_settings("cell", cls.name, config.cell_options, cls.settings)
    reads = set(COMMON_FIELDS) | set(cls.config_fields)
    defaults = NetworkConfig(n_in=1, n_rec=1)
    ignored = [f.name for f in fields(NetworkConfig) if f.name not in reads
               and f.name != "dale" and getattr(config, f.name) != getattr(defaults, f.name)]
    if ignored:
        raise ConfigError(f"cell {cls.name!r} has no setting(s) {', '.join(sorted(ignored))}")
    if config.dale > 0 and not cls.supports_dale:
        raise ConfigError(f"Dale's law needs a cell whose units have one sign of output; "
                          f"cell {cls.name!r} has none")
    for name, setting in cls.settings.items():
        value = config.cell_options.get(name, setting.default)
        if setting.choices and value not in setting.choices:
            raise ConfigError(f"cell {cls.name!r}: {name} must be one of "
                              f"{', '.join(map(str, setting.choices))}, got {value!r}")
    cell = cls(config)
    names = {s.name for s in cell.parameters()}
    unknown = set(config.trainable) - names
    if unknown:
        raise ConfigError(f"cell {cls.name!r} has no parameter(s) {', '.join(sorted(unknown))} "
                          f"to train (it has {', '.join(sorted(names))})")
    return cell


def parameter_names(config: NetworkConfig) -> tuple[str, ...]:
    """The weights a network of this configuration stores (the fixed mask included)."""
    names = tuple(s.name for s in make_cell(config).parameters())
    return names + (("mask_rec",) if config.mask else ())


for _cell in (CTRNNCell, RateCell, RNNCell, GRUCell, LSTMCell):
    register_cell(_cell)

__all__ = ["CELLS", "Cell", "Params", "ParamSpec", "Setting", "from_torch", "make_cell", "parameter_names",
           "register_cell", "to_torch"]
