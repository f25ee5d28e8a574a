"""Fixed points of gated cells (GRU, LSTM) whose roots are known in closed form.

Hand-built 3-unit flip-flops: each unit excites itself only through the candidate (GRU) or
the cell input g (LSTM), and a pulse on its input channel sets its sign. Every other gate
is a constant, so each unit's fixed points solve one scalar equation (three roots: 0 and
±h*), and the network has 3³ = 27 fixed points, the 8 sign corners stable. The search
starts from states visited on flip-flop trials, as ``rnntool fixedpoints`` does.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
from scipy.optimize import brentq

from rnntool.analysis.fixedpoints import FinderSettings, find_fixed_points, initial_states
from rnntool.network import DynamicalSystem, Network, NetworkConfig
from rnntool.tasks import make_task

N = 3
GAIN = 4.0  # self-excitation of the candidate (GRU) / cell input (LSTM)
PULSE = 4.0  # input weight of each unit's own channel


def _params(n_gates: int, state: int, candidate: int, z_bias: float = 0.0) -> dict[str, torch.Tensor]:
    """Weights with GAIN·I on the candidate block and PULSE·I from the inputs into it."""
    f64 = torch.float64
    w_rec = torch.zeros(n_gates * N, N, dtype=f64)
    w_in = torch.zeros(n_gates * N, N, dtype=f64)
    w_rec[candidate * N:(candidate + 1) * N] = GAIN * torch.eye(N, dtype=f64)
    w_in[candidate * N:(candidate + 1) * N] = PULSE * torch.eye(N, dtype=f64)
    b = torch.zeros(n_gates * N, dtype=f64)
    b[N:2 * N] = z_bias
    return {"W_in": w_in[None], "W_rec": w_rec[None], "b": b[None],
            "b_rec": torch.zeros(1, n_gates * N, dtype=f64),
            "W_out": torch.eye(N, dtype=f64)[None], "b_out": torch.zeros(1, N, dtype=f64),
            "x0": torch.zeros(1, state, dtype=f64)}


def _gru() -> Network:
    """r = z = σ(0) = ½ (z_bias 0): h = tanh(r·GAIN·h) at a fixed point."""
    config = NetworkConfig(n_in=N, n_rec=N, n_out=N, cell="gru", dtype="float64")
    return Network(config, _params(3, N, candidate=2))


def _lstm() -> Network:
    """i = f = o = ½: c = i·g/(1 − f) = tanh(GAIN·h), h = o·tanh(c) at a fixed point."""
    config = NetworkConfig(n_in=N, n_rec=N, n_out=N, cell="lstm", dtype="float64")
    return Network(config, _params(4, 2 * N, candidate=2))


def _expected(unit_roots: list[np.ndarray]) -> np.ndarray:
    return np.array([np.concatenate(c) for c in itertools.product(*[unit_roots] * N)])


def _gru_roots() -> np.ndarray:
    h = brentq(lambda v: np.tanh(0.5 * GAIN * v) - v, 0.1, 1.0)
    return _expected([np.array([v]) for v in (-h, 0.0, h)])  # per unit (h,)


def _lstm_roots() -> np.ndarray:
    h = brentq(lambda v: 0.5 * np.tanh(np.tanh(GAIN * v)) - v, 0.05, 0.5)
    per_unit = [np.array([v, np.tanh(GAIN * v)]) for v in (-h, 0.0, h)]  # (h, c) of one unit
    roots = _expected(per_unit)  # (27, [h0, c0, h1, c1, h2, c2])
    return np.concatenate([roots[:, 0::2], roots[:, 1::2]], axis=1)  # the state [h, c]


def _check(net: Network, expected: np.ndarray) -> None:
    task = make_task("flipflop", bits=N)
    points = find_fixed_points(net, np.zeros((1, N)), task, FinderSettings(n_inits=256, seed=0))
    fixed = points.select(points.is_fixed)
    assert len(fixed) == 27 and (points.kind == "fixed").all()
    gap = np.abs(fixed.x[:, None] - expected[None]).max(-1)
    assert (gap.min(1) < 1e-9).all() and (gap.min(0) < 1e-9).all()  # the same 27, each once
    corners = np.abs(fixed.x[:, :N]).min(1) > 0.1
    assert (fixed.stable_map == corners).all() and corners.sum() == 8
    assert sorted(fixed.n_unstable.tolist()) == [0] * 8 + [1] * 12 + [2] * 6 + [3]


def test_gru_flipflop_has_its_27_derived_fixed_points() -> None:
    _check(_gru(), _gru_roots())


def test_lstm_flipflop_has_its_27_derived_fixed_points_in_h_and_c() -> None:
    _check(_lstm(), _lstm_roots())


def test_starts_are_visited_states_on_each_components_own_scale() -> None:
    """An LSTM's starts cover its whole state (h, c); each component's noise follows its own
    spread over the visited states and stays in the range it visits (so a GRU's h stays in
    (−1, 1), where its gates are not saturated)."""
    task = make_task("flipflop", bits=N)
    for net in (_gru(), _lstm()):
        system = DynamicalSystem.of(net)
        gen = torch.Generator().manual_seed(0)
        batch = task.sample(64, gen)
        with torch.no_grad():
            visited = system.simulate(batch.inputs, system.initial_state(64)).states[0]
        visited = visited.reshape(-1, system.state_size)
        starts = initial_states(system, task, 2048, FinderSettings(), torch.Generator().manual_seed(1))
        assert starts.shape == (2048, system.state_size)
        lo, hi = visited.min(0).values, visited.max(0).values
        assert ((starts >= lo - 1e-12) & (starts <= hi + 1e-12)).all()
        assert starts[:, :N].abs().max() < 1
        spread = starts.std(0) / visited.std(0)
        assert (spread > 0.5).all() and (spread < 2).all()
