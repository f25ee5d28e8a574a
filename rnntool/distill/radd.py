"""RADD: representations-and-dynamics distillation (Schaeffer et al. 2020).

The network's task-aligned states z_t (trial and block coordinates,
:mod:`rnntool.analysis.ibl_statespace`) are divided by s = 1.01·max|z| so they lie in
(−1, 1), and a 2-unit tanh system is fitted to them by linear regression:

    arctanh(z_t / s) = A′ z_{t−1}/s + B′ u_t + c,     u_t = [L_t, R_t, feedback_{t−1}],

on training sessions (test R² on held-out sessions). The fitted system is simulated on the
observed inputs (z̃_t = tanh(A′ z̃_{t−1} + B′ u_t + c)), compared with z (simulated R²,
error accumulation by difference order, beside a random control system), and becomes a
2-unit agent: a discrete tanh RNN with W_rec = A′, W_in = B′, b = c whose readout is fitted
(least squares) to the network's own logit difference w_R·h − w_L·h + b_R − b_L from
its task-aligned state — so the distilled agent acts in the environment through the same
threshold policy. (The original's readout, √H·‖W_ro‖/√2 on the trial unit alone, is not a
fit and sets the decision scale arbitrarily.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from rnntool.analysis.ibl_statespace import StateSpace, held_out_sessions, previous_states

#: Highest difference order of the error-accumulation curves.
MAX_ORDER = 19


@dataclass
class RaddFit:
    """A fitted 2-unit tanh system of the task-aligned states.

    Attributes:
        A: (2, 2) recurrent matrix A′; B: (2, 3) input matrix B′; c: (2,) intercept.
        scale: s, the task-aligned coordinates are z = s·z̃.
        z_init: (2,) z̃ at the start of a session (the network's initial state, aligned).
        readout: (2,) weights and ``readout_bias`` of the logit difference on z̃.
        r2_train, r2_test: R² of the one-step regression (arctanh targets), per unit and mean.
        r2_simulated: R² of the free simulation against z on the test sessions.
        readout_r2: R² of the fitted logit difference.
        errors: error accumulation, by trajectory: (orders, 2) mean and variance.
    """

    A: np.ndarray
    B: np.ndarray
    c: np.ndarray
    scale: float
    z_init: np.ndarray
    readout: np.ndarray
    readout_bias: float
    r2_train: np.ndarray
    r2_test: np.ndarray
    r2_simulated: float
    readout_r2: float
    test_sessions: np.ndarray
    errors: dict[str, np.ndarray] = field(default_factory=dict)

    def simulate(self, inputs: np.ndarray, session: np.ndarray) -> np.ndarray:
        """z (T, 2) of the fitted system run on ``inputs`` (T, 3), restarting at each
        session's first row (vectorised over sessions)."""
        return simulate_sessions(self.A, self.B, self.c, self.z_init, inputs, session) * self.scale

    def to_tree(self) -> dict[str, Any]:
        tree = {k: v for k, v in asdict(self).items() if k != "errors"}
        tree["errors"] = dict(self.errors)
        tree["r2_test_mean"] = float(np.mean(self.r2_test))
        return tree


def model_inputs(rows: dict[str, np.ndarray]) -> np.ndarray:
    """The agent's input at every row, [L, R, feedback of the previous step] (T, 3)."""
    return np.stack([rows["left_stimulus"], rows["right_stimulus"], rows["previous_feedback"]],
                    -1).astype(np.float64)


def session_matrix(values: np.ndarray, session: np.ndarray, fill: float = np.nan
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows (sessions one after another) as a padded (S, T_max, …) array, with the
    session of every row index and its step within the session."""
    ids, first = np.unique(session, return_index=True)
    which = np.searchsorted(ids, session)
    step = np.arange(len(session)) - first[which]
    out = np.full((len(ids), int(step.max()) + 1, *values.shape[1:]), fill)
    out[which, step] = values
    return out, which, step


def simulate_sessions(A: np.ndarray, B: np.ndarray, c: np.ndarray, z_init: np.ndarray,
                      inputs: np.ndarray, session: np.ndarray) -> np.ndarray:
    """z̃_t = tanh(A z̃_{t−1} + B u_t + c) from ``z_init`` in every session at once (T, 2)."""
    u, which, step = session_matrix(inputs, session, 0.0)
    z = np.repeat(np.asarray(z_init, float)[None], u.shape[0], 0)
    out = np.empty((*u.shape[:2], len(c)))
    for t in range(u.shape[1]):
        z = np.tanh(z @ A.T + u[:, t] @ B.T + c)
        out[:, t] = z
    return out[which, step]


def difference_errors(trajectory: np.ndarray, session: np.ndarray, orders: int = MAX_ORDER
                      ) -> np.ndarray:
    """For n = 0 … ``orders``: mean and variance over steps of ‖Δⁿ x_t‖ / √dim, the n-th
    order differences taken along time within each session (orders + 1, 2)."""
    x, _, _ = session_matrix(trajectory, session)
    out = np.zeros((orders + 1, 2))
    scale = np.sqrt(trajectory.shape[1])
    for n in range(orders + 1):
        norms = np.linalg.norm(x, axis=-1) / scale
        norms = norms[np.isfinite(norms)]
        out[n] = (norms.mean(), norms.var()) if norms.size else (np.nan, np.nan)
        x = np.diff(x, axis=1)
    return out


def _r2(y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    res = ((y - pred) ** 2).sum(0)
    tot = ((y - y.mean(0)) ** 2).sum(0)
    return 1 - res / np.maximum(tot, 1e-300)


def fit_radd(rows: dict[str, np.ndarray], space: StateSpace, w_out: np.ndarray,
             b_out: np.ndarray, h0: np.ndarray, test_fraction: float = 1 / 3, seed: int = 0,
             scale: float | None = None) -> RaddFit:
    """Fit RADD to a session table and its state space (see the module docstring);
    ``scale`` is s (default 1.01·max|z|, the original's)."""
    z = space.z
    z_prev = space.aligned(previous_states(rows, h0))
    z_init = space.aligned(h0)
    if scale is None:
        scale = 1.01 * float(max(np.abs(z).max(), np.abs(z_init).max()))
    if not scale > np.abs(z).max():
        raise ValueError("the scale must exceed every |z|")
    u = model_inputs(rows)
    session = np.asarray(rows["session"])
    test_sessions = held_out_sessions(session, test_fraction, seed)
    test = np.isin(session, test_sessions)
    x = np.concatenate([z_prev / scale, u, np.ones((len(u), 1))], 1)
    y = np.arctanh(z / scale)
    coef, *_ = np.linalg.lstsq(x[~test], y[~test], rcond=None)
    A, B, c = coef[:2].T.copy(), coef[2:5].T.copy(), coef[5].copy()
    z_sim = simulate_sessions(A, B, c, z_init / scale, u, session)
    r2_sim = float(np.mean(_r2(z[test], z_sim[test] * scale)))
    logit = np.asarray(rows["hidden_state"], float) @ (w_out[1] - w_out[0]) + (b_out[1] - b_out[0])
    design = np.concatenate([z / scale, np.ones((len(z), 1))], 1)
    ro, *_ = np.linalg.lstsq(design, logit, rcond=None)
    rng = np.random.default_rng(seed)
    control = simulate_sessions(rng.standard_normal((2, 2)), rng.standard_normal((2, 3)),
                                np.zeros(2), np.zeros(2), u, session)
    hidden = np.asarray(rows["hidden_state"], float)
    trajectories = {"hidden": hidden, "task_aligned": z / scale, "radd": z_sim,
                    "radd_full": space.lift(_plane(space, z_sim * scale)), "control": control}
    return RaddFit(A=A, B=B, c=c, scale=scale, z_init=z_init / scale, readout=ro[:2],
                   readout_bias=float(ro[2]),
                   r2_train=_r2(y[~test], x[~test] @ coef), r2_test=_r2(y[test], x[test] @ coef),
                   r2_simulated=r2_sim, readout_r2=float(_r2(logit[:, None], (design @ ro)[:, None])[0]),
                   test_sessions=test_sessions,
                   errors={k: difference_errors(v, session) for k, v in trajectories.items()})


def _plane(space: StateSpace, z: np.ndarray) -> np.ndarray:
    """PCA-plane coordinates whose task-aligned coordinates are z (the two non-orthogonal
    vectors of the plane as a basis; exact when the plane is 2-D)."""
    basis = np.stack([space.trial_vector_pca, space.block_vector_pca])
    coords, *_ = np.linalg.lstsq(basis, z.T, rcond=None)
    return coords.T


def radd_weights(fit: RaddFit) -> dict[str, np.ndarray]:
    """The RADD agent's weights as a discrete tanh RNN (the ``ctrnn`` cell with α = 1:
    x ← W_rec tanh(x) + W_in u + b, h = tanh(x) = z̃): W_rec = A′, W_in = B′, b = c, a
    readout giving the fitted logit difference, x(0) = arctanh(z̃_init)."""
    half = fit.readout / 2
    return {"W_in": fit.B.copy(), "W_rec": fit.A.copy(), "b": fit.c.copy(),
            "W_out": np.stack([-half, half]), "b_out": np.array([-fit.readout_bias / 2,
                                                                  fit.readout_bias / 2]),
            "x0": np.arctanh(np.clip(fit.z_init, -0.999999, 0.999999))}
