"""Command-line options choosing a network's cell and constraints: ``--cell``, ``--dale``,
``--no-self-connections`` and ``--net-opt KEY=VALUE``, checked against the cell's settings."""

from __future__ import annotations

from typing import Any, Callable

import click

from rnntool.cli.options import parse_assignments
from rnntool.errors import ConfigError
from rnntool.network.cells import CELLS

#: Settings ``--net-opt`` takes for every cell (the weight constraints).
CONSTRAINT_KEYS = ("mask", "nonnegative", "self_connections", "dale")


def network_options(command: Callable) -> Callable:
    """Add the cell and constraint options to a click command."""
    for option in reversed((
            click.option("--cell", type=click.Choice(sorted(CELLS)), default=None,
                         help="Recurrent cell (default ctrnn); see the list below."),
            click.option("--dale", type=float, default=None, metavar="FRACTION",
                         help="Dale's law with this fraction of excitatory units, e.g. 0.8."),
            click.option("--no-self-connections", "no_self_connections", is_flag=True,
                         help="Hold the diagonal of W_rec at zero."),
            click.option("--net-opt", "net_opts", multiple=True, metavar="KEY=VALUE",
                         help="Cell setting or constraint, e.g. mask=blocks:4, "
                              "mask=random:0.2, mask=FILE.npy, nonnegative=W_in,W_out, "
                              "noise=outside (rate)."))):
        command = option(command)
    return command


def network_overrides(cell: str | None, dale: float | None, no_self_connections: bool,
                      net_opts: tuple[str, ...]) -> dict[str, Any]:
    """NetworkConfig overrides from the options; a key the cell does not take is an error."""
    name = cell or "ctrnn"
    cls = CELLS.get(name)
    out: dict[str, Any] = {"cell": cell, "dale": dale,
                           "self_connections": False if no_self_connections else None}
    options: dict[str, Any] = {}
    for key, value in parse_assignments(net_opts, "--net-opt").items():
        if key in cls.settings:
            options[key] = value
        elif key in CONSTRAINT_KEYS or key in cls.config_fields:
            if key == "nonnegative":
                value = tuple(v.strip() for v in str(value).split(",") if v.strip())
            out[key] = str(value) if key == "mask" else value
        else:
            known = sorted(set(cls.settings) | set(CONSTRAINT_KEYS))
            raise ConfigError(f"--net-opt {key}: cell {name!r} takes {', '.join(known)}")
    if options:
        out["cell_options"] = options
    return {k: v for k, v in out.items() if v is not None}


def cells_help() -> str:
    """The epilog listing every cell, its update and its own settings."""
    lines = ["\b", "Cells (--cell NAME; --net-opt KEY=VALUE for their settings and the "
             "constraints mask, nonnegative, self_connections, dale):"]
    for name, cls in sorted(CELLS.items()):
        own = "; ".join(f"{k}={s.default} ({'/'.join(map(str, s.choices)) or s.type.__name__})"
                        for k, s in cls.settings.items())
        lines.append(f"{name}: {cls.summary}" + (f" [{own}]" if own else ""))
    return "\n".join(lines)
