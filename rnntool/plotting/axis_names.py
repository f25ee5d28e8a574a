"""The axis names of ``rnntool plot --axes`` (no matplotlib: the command line checks them
before any work)."""

from __future__ import annotations

import re

from rnntool.errors import ConfigError

#: the axis names ``--axes`` takes
AXIS_HELP = ("choice (W_out row 0 − row 1), context and sensory (CDDM), readout (the row the "
             "points vary most along), readoutK (W_out row K), inputK (W_in column K), pcK "
             "(K-th principal component of the points); K from 0 (pc from 1)")
_AXIS = re.compile(r"choice|context|sensory|readout\d*|input\d+|pc[1-9]\d*")


def parse_axes(spec: str | None, dims: int) -> list[str]:
    """The axis names of an ``--axes`` list, checked before any work (ConfigError)."""
    if not spec:
        return []
    names = [t.strip().lower() for t in spec.split(",") if t.strip()]
    bad = [n for n in names if not _AXIS.fullmatch(n)]
    if bad:
        raise ConfigError(f"--axes: unknown axis {bad[0]!r} (axes: {AXIS_HELP})")
    if len(set(names)) < len(names):
        raise ConfigError(f"--axes names an axis twice: {spec}")
    if len(names) > dims:
        raise ConfigError(f"--axes names {len(names)} axes for a {dims}-D figure"
                          + ("; add --dims 3" if len(names) == 3 else ""))
    return names
