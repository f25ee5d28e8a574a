"""Network configuration and the named presets that reproduce the seed systems' variants.

The presets are explicit settings chosen once (by the CLI, from a rule) and stored in every
model file; nothing downstream infers dynamics from a model's name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from rnntool.errors import ConfigError
from rnntool.registry import Registry

PARAMETER_NAMES = ("W_in", "W_rec", "b", "W_out", "b_out", "x0")
INITIALISATIONS = ("mcmahan", "gaussian", "spectral", "fullforce", "miconi", "identity")


@dataclass(frozen=True)
class NetworkConfig:
    """Everything that defines a continuous-time rate RNN apart from its weights.

    Dynamics, with α = dt/τ and r = φ(x)::

        x ← (1 − α)·x + α·(W_rec r + W_in (u + √(2/α)·σ_in·ξ) + b + √(2/α)·σ_rec·ξ′)
        y = ψ(W_out z + b_out),  z = x or φ(x) (``readout``), ψ = identity or tanh

    The √(2/α) factor makes the injected noise a discretised white noise whose stationary
    effect does not depend on the step size (the convention of Song et al. 2016 and Yang et
    al. 2019). Units listed in ``clamp_units`` are held at ``clamp_values`` before and after
    every step (Miconi's bias units).

    ``cell`` names the update (:mod:`rnntool.network.cells`; the equation above is the
    ``ctrnn`` cell), ``cell_options`` holds its own settings; ``dale``, ``nonnegative``,
    ``self_connections`` and ``mask`` are the weight constraints of
    :mod:`rnntool.network.constraints`.
    """

    n_in: int
    n_rec: int
    n_out: int = 1
    alpha: float = 0.1
    phi: str = "tanh"
    readout: str = "phi"
    output_nonlinearity: str = "none"
    noise_in: float = 0.0
    noise_rec: float = 0.0
    x0_std: float = 0.0
    clamp_units: tuple[int, ...] = ()
    clamp_values: tuple[float, ...] = ()
    init: str = "gaussian"
    g: float = 1.0
    trainable: tuple[str, ...] = ("W_in", "W_rec", "b", "W_out")
    dtype: str = "float32"
    preset: str = "ctrnn"
    cell: str = "ctrnn"
    cell_options: dict[str, Any] = field(default_factory=dict)
    dale: float = 0.0
    nonnegative: tuple[str, ...] = ()
    self_connections: bool = True
    mask: str = ""

    def __post_init__(self) -> None:
        if min(self.n_in, self.n_rec, self.n_out) < 1:
            raise ConfigError("network sizes must be positive")
        if not 0.0 < self.alpha <= 1.0:
            raise ConfigError(f"alpha must lie in (0, 1], got {self.alpha}")
        if self.noise_in < 0 or self.noise_rec < 0 or self.x0_std < 0:
            raise ConfigError("noise levels must be non-negative")
        if self.readout not in ("x", "phi"):
            raise ConfigError(f"readout must be 'x' or 'phi', got {self.readout!r}")
        if self.output_nonlinearity not in ("none", "tanh"):
            raise ConfigError("output_nonlinearity must be 'none' or 'tanh'")
        if len(self.clamp_units) != len(self.clamp_values):
            raise ConfigError("clamp_units and clamp_values must have the same length")
        if any(not 0 <= i < self.n_rec for i in self.clamp_units):
            raise ConfigError("clamped unit index out of range")
        if self.init not in INITIALISATIONS:
            raise ConfigError(f"unknown initialisation {self.init!r}")
        if self.dtype not in ("float32", "float64"):
            raise ConfigError(f"dtype must be float32 or float64, got {self.dtype!r}")
        if not 0.0 <= self.dale < 1.0:
            raise ConfigError(f"dale (the excitatory fraction) must lie in [0, 1), got {self.dale}")
        bad = set(self.nonnegative) - {"W_in", "W_out"}
        if bad:
            raise ConfigError(f"nonnegative applies to W_in and W_out only, not {', '.join(sorted(bad))}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dictionary of every setting."""
        d = asdict(self)
        d["clamp_units"] = list(self.clamp_units)
        d["clamp_values"] = list(self.clamp_values)
        d["trainable"] = list(self.trainable)
        d["nonnegative"] = list(self.nonnegative)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "NetworkConfig":
        """Inverse of :meth:`to_dict`; unknown keys are an error.

        Dictionaries written by schema-1 files (always the ``ctrnn`` cell) carry an empty
        ``extra`` dictionary, which is dropped.
        """
        names = {f.name for f in fields(cls)}
        d = dict(d)
        if not d.get("extra", True):
            d.pop("extra")
        unknown = set(d) - names
        if unknown:
            raise ConfigError(f"unknown network setting(s): {', '.join(sorted(unknown))}")
        for key in ("clamp_units", "clamp_values", "trainable", "nonnegative"):
            if key in d:
                d[key] = tuple(d[key])
        return cls(**d)

    def with_(self, **changes: Any) -> "NetworkConfig":
        """A copy with some settings changed."""
        return replace(self, **changes)


MICONI_CLAMPS = ((1, 10, 11), (1.0, 1.0, -1.0))

PRESETS: Registry[dict[str, Any]] = Registry("network preset")
for _name, _settings in {
    # McMahan et al. 2021 BPTT/GA: x ← (1−α)x + α(W_in u + W_rec(1 + tanh x) + b), y = W_out x.
    "mcmahan": dict(phi="one_plus_tanh", readout="x", output_nonlinearity="none",
                    init="mcmahan", x0_std=0.3, alpha=0.1),
    # McMahan et al. 2021 full-FORCE: tanh dynamics, y = tanh(W_out tanh x); W_rec and W_out start at 0.
    "fullforce": dict(phi="tanh", readout="phi", output_nonlinearity="tanh",
                      init="fullforce", x0_std=1.0, alpha=0.1),
    # Miconi (2017): tanh dynamics, output = r of unit 0, bias units 1, 10, 11 clamped.
    "miconi": dict(phi="tanh", readout="phi", output_nonlinearity="none", init="miconi",
                   clamp_units=MICONI_CLAMPS[0], clamp_values=MICONI_CLAMPS[1],
                   alpha=1.0 / 30.0, g=1.5, x0_std=0.0),
    # System A (frozen recurrent network, Puhl's duration memory): potential-form tanh
    # dynamics x ← (1−α)x + α(g·G tanh x + I u), z = wᵀ tanh x, no bias, no noise, x(0) = 0,
    # τ = 100 ms at dt = 1 ms. G ~ N(0, 1/N) with gain g = 1.5 is drawn from its own seed
    # (rec_seed, 1 as the original), so every model of an ensemble shares the same frozen G
    # and the model seeds draw only I ~ N(0, 1) and w ~ N(0, 1/N); train W_in and W_out
    # (W_out alone is the study's Experiment B).
    "system-a": dict(phi="tanh", readout="phi", output_nonlinearity="none", init="gaussian",
                     g=1.5, alpha=0.01, x0_std=0.0, noise_in=0.0, noise_rec=0.0,
                     trainable=("W_in", "W_out"), cell_options={"rec_seed": 1}),
    # Standard CT-RNN: tanh rates, Gaussian g/√N weights, readout from rates.
    "ctrnn": dict(phi="tanh", readout="phi", output_nonlinearity="none", init="gaussian",
                  alpha=0.1),
}.items():
    PRESETS.register(_name, _settings)


def preset_config(preset: str, n_in: int, n_rec: int, n_out: int = 1,
                  **overrides: Any) -> NetworkConfig:
    """Build a :class:`NetworkConfig` from a named preset plus explicit overrides.

    With a ``cell`` other than ``ctrnn`` the preset contributes only the settings that cell
    reads (a GRU takes no α from the McMahan preset); explicit overrides are kept, so a
    setting the cell does not take is reported when the cell is built.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    base = dict(PRESETS.get(preset))
    cell = given.get("cell", "ctrnn")
    if cell != "ctrnn":
        from rnntool.network.cells import CELLS, COMMON_FIELDS

        reads = set(COMMON_FIELDS) | set(CELLS.get(cell).config_fields)
        base = {k: v for k, v in base.items() if k in reads}
    return NetworkConfig(n_in=n_in, n_rec=n_rec, n_out=n_out, preset=preset, **{**base, **given})
