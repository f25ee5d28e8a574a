"""Hidden activity of a model under the static probe inputs, as (samples, units) data.

Every step of every probe condition is one sample; the state is the pre-activation x that
McMahan et al. 2021 record (for any cell, the units its dynamical-system view observes:
h of an LSTM). The network is simulated noise-free through its
:class:`~rnntool.network.DynamicalSystem` view from seeded initial states x(0) = x0 + σ₀ξ;
clamped units (Miconi's bias units) carry no information and are dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from rnntool.errors import ConfigError
from rnntool.models import Model, load_model, open_loop
from rnntool.network import DynamicalSystem
from rnntool.seeding import Seeds
from rnntool.tasks.probes import probe_inputs, probe_levels


def probe_activity(model: Model, seed: int = 0, levels: int = 10,
                   conditions: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The probe inputs (C, T, n_in) and the activity (C·T, N − clamped) in float64;
    ``conditions`` (C in all, split over the contexts) replaces ``levels`` per context."""
    inputs = probe_inputs(model.task, probe_levels(model.task, levels, conditions))
    system = DynamicalSystem(model.network).quiet()
    with torch.no_grad():
        x_init = system.initial_state(inputs.shape[0], Seeds(seed).generator("analysis"))
        states = system.observed(system.simulate(inputs, x_init).states[0])
    keep = np.setdiff1d(np.arange(system.hidden_size), system.clamped_units)
    activity = states.double().cpu().numpy()[..., keep]
    return inputs.numpy(), activity.reshape(-1, keep.size)


def population_activity(paths: Sequence[Path], seed: int = 0, levels: int = 10,
                        device: str = "cpu", conditions: int | None = None) -> list[np.ndarray]:
    """Probe activity of every model; all must share the same probe inputs."""
    reference, out = None, []
    for path in paths:
        model = open_loop(load_model(path, device), "population activity")
        inputs, activity = probe_activity(model, seed, levels, conditions)
        if reference is None:
            reference = (path, inputs)
        elif inputs.shape != reference[1].shape or not np.array_equal(inputs, reference[1]):
            raise ConfigError(f"{path} and {reference[0]} have different probe inputs "
                              "(tasks with different inputs cannot be compared)")
        out.append(activity)
    return out
