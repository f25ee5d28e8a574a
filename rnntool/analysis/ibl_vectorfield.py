"""Vector fields, fixed points and basins of an IBL agent under the six canonical inputs.

Schaeffer et al. (2020) read the agent's dynamics under six constant inputs (L, R, feedback):
strong left, equal and strong right evidence during a trial (feedback −0.05, the delay
cost), and negative, no and positive feedback with blank stimuli (:data:`IBL_CONDITIONS`).
For each condition, in the agent's hidden-state space h (where its states were recorded):

- the **ideal field**: one step of the agent from every point of a 15 × 15 grid over the
  PC1–PC2 bounding box of the visited states, kept inside their convex hull (Delaunay) and
  lifted to the full space; the displacement G(h, u) − h is shown in the plane;
- the **real field**: observed transitions h_{t−1} → h_t whose input matches the condition
  (stimuli within ±0.15 and the same feedback; at most ``max_transitions``, a seeded sample);
- **fixed points** from rnntool's own finder (:func:`rnntool.analysis.fixedpoints.find_fixed_points`,
  Newton-polished, seeded from the recorded sessions), stable when every eigenvalue of the
  map's Jacobian has |λ| < 1 (the finder's ``root_tol`` is the explicit tolerance of a
  root); Jacobian time constants τ_i = −1 / ln|λ_i| steps;
- **basins**: every grid state iterated under the condition until it settles, labelled by
  the stable fixed point it reaches (within ``settle_tol``), and the region certified by a
  quadratic Lyapunov function V = (h − h*)ᵀ P (h − h*) with AᵀPA − P = −I at each stable point
  (the largest sublevel set of V on the grid inside which the Taylor remainder of the map is
  small enough for V to decrease; the original's condition, solved for the map's own
  Lyapunov equation).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np
import torch

from rnntool.errors import ConfigError
from rnntool.storage.stored_analysis import StoredAnalysis

GROUP = "analyses/vectorfield"
STORED = StoredAnalysis(GROUP, "vector field", "vectorfield")
#: The named input set of ``fixedpoints --inputs ibl-conditions``.
INPUT_SET = "ibl-conditions"
#: (L, R, feedback) of the six canonical conditions of Schaeffer et al. (2020).
IBL_CONDITIONS = np.array([[1.2, 0.2, -0.05], [0.2, 0.2, -0.05], [0.2, 1.2, -0.05],
                           [0.0, 0.0, -1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
#: Roots of one condition closer than this (in the network's state) are the same root.
DUPLICATE_TOL = 1e-8
CONDITION_LABELS = ["strong left", "equal evidence", "strong right", "negative feedback",
                    "blank", "positive feedback"]


def ibl_conditions(time_delay_cost: float = 0.05) -> tuple[np.ndarray, list[str]]:
    """The six conditions, the in-trial feedback being the environment's delay cost."""
    arr = IBL_CONDITIONS.copy()
    arr[:3, 2] = -time_delay_cost
    return arr, list(CONDITION_LABELS)


@dataclass
class VectorFieldSettings:
    """Settings of :func:`vector_field` (stored with the result)."""

    grid: int = 15
    stimulus_tol: float = 0.15
    max_transitions: int = 1000
    settle_steps: int = 500
    settle_tol: float = 1e-3
    seed: int = 0

    def check(self) -> None:
        if self.grid < 3:
            raise ConfigError("grid must be at least 3")
        if self.max_transitions < 1 or self.settle_steps < 1:
            raise ConfigError("max_transitions and settle_steps must be at least 1")
        if not (self.stimulus_tol > 0 and self.settle_tol > 0):
            raise ConfigError("stimulus_tol and settle_tol must be positive")


# the agent as a map on its activity ---------------------------------------------------------
def activity_map(network: Any) -> tuple[Callable[[torch.Tensor], torch.Tensor],
                                        Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]:
    """(state_of, G): the network state of an activity h, and the agent's step on activities
    G(h, u) = rate(F(state_of(h), u)), for h (P, N) and u (P, n_in).

    Cells whose state is their activity (``rnn``, ``gru``) and the discrete tanh ``ctrnn``
    (α = 1, x = arctanh h) qualify; others have no map on the activity alone."""
    cfg = network.config
    if cfg.cell in ("rnn", "gru"):
        def state_of(h: torch.Tensor) -> torch.Tensor:
            return h
    elif cfg.cell == "ctrnn" and cfg.alpha == 1.0 and cfg.phi == "tanh":
        def state_of(h: torch.Tensor) -> torch.Tensor:
            return torch.atanh(h.clamp(-1 + 1e-12, 1 - 1e-12))
    else:
        raise ConfigError(f"vector fields on the hidden state need a cell whose state is its "
                          f"activity (rnn, gru, or a discrete tanh ctrnn), not {cfg.cell!r}")

    def step(h: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        x = network.step(state_of(h.to(network.dtype))[None], u.to(network.dtype)[None])
        return network.rate(x)[0]
    return state_of, step


def activity_jacobian(step: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                      h: np.ndarray, u: np.ndarray) -> np.ndarray:
    """∂G/∂h at each (h, u) row, (P, N, N), by automatic differentiation."""
    out = []
    for hi, ui in zip(np.atleast_2d(h), np.atleast_2d(u)):
        ut = torch.as_tensor(ui, dtype=torch.float64)[None]
        jac = torch.autograd.functional.jacobian(
            lambda x: step(x[None], ut)[0], torch.as_tensor(hi, dtype=torch.float64))
        out.append(jac.detach().numpy())
    return np.array(out).reshape(len(out), h.shape[-1], h.shape[-1])


def time_constants(eigenvalues: np.ndarray) -> np.ndarray:
    """τ = −1 / ln|λ| in steps, sorted in decreasing order along the last axis (inf for
    |λ| = 1; negative τ marks a growing mode)."""
    mag = np.abs(np.asarray(eigenvalues))
    with np.errstate(divide="ignore"):
        tau = -1.0 / np.log(mag)
    return -np.sort(-tau, axis=-1)


# grids and fields --------------------------------------------------------------------------
def hull_grid(points: np.ndarray, size: int) -> np.ndarray:
    """A ``size`` × ``size`` grid over the bounding box of 2-D ``points``, kept inside their
    convex hull (G, 2)."""
    from scipy.spatial import Delaunay

    lo, hi = points.min(0), points.max(0)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], size), np.linspace(lo[1], hi[1], size))
    grid = np.stack([gx.ravel(), gy.ravel()], -1)
    inside = Delaunay(points).find_simplex(grid) >= 0
    return grid[inside]


def ideal_field(step: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], states: np.ndarray,
                conditions: np.ndarray) -> np.ndarray:
    """G(h, u) − h at every state (G, N) under every condition (C, N_in): (C, G, N)."""
    c, g = len(conditions), len(states)
    h = torch.as_tensor(np.repeat(states[None], c, 0).reshape(c * g, -1), dtype=torch.float64)
    u = torch.as_tensor(np.repeat(conditions, g, 0), dtype=torch.float64)
    with torch.no_grad():
        return (step(h, u) - h).numpy().reshape(c, g, -1)


def matching_transitions(rows: dict[str, np.ndarray], conditions: np.ndarray,
                         tol: float) -> np.ndarray:
    """For every row, the condition its input matches (−1: none): stimuli within ``tol``
    and the same feedback for in-trial conditions; for blank-stimulus conditions, blank
    steps carrying that feedback (no feedback: the second blank step)."""
    left, right = rows["left_stimulus"], rows["right_stimulus"]
    fb = np.asarray(rows["previous_feedback"], float)
    blank = rows["blank"].astype(bool)
    which = np.full(len(fb), -1)
    for i, (cl, cr, cf) in enumerate(conditions):
        if cl == 0 and cr == 0:
            hit = blank & np.isclose(fb, cf)
            if cf == 0:
                hit &= rows["step_in_trial"] == 1
        else:
            hit = (~blank & np.isclose(fb, cf) & (np.abs(left - cl) < tol)
                   & (np.abs(right - cr) < tol))
        which[hit & (which < 0)] = i
    return which


# fixed points ------------------------------------------------------------------------------
class RecordedSessions:
    """The recorded sessions as a task whose trials are their input sequences, so the
    fixed-point finder seeds its search from the states the agent visited."""

    name = "recorded-sessions"

    def __init__(self, rows: dict[str, np.ndarray]) -> None:
        from rnntool.distill.radd import model_inputs, session_matrix

        self.inputs, _, _ = session_matrix(model_inputs(rows), rows["session"], 0.0)

    def sample(self, n: int, generator: torch.Generator) -> SimpleNamespace:
        pick = torch.randint(0, len(self.inputs), (n,), generator=generator).numpy()
        return SimpleNamespace(inputs=torch.as_tensor(self.inputs[pick]))


def find_condition_points(network: Any, rows: dict[str, np.ndarray], conditions: np.ndarray,
                          labels: list[str], settings: Any = None) -> Any:
    """Fixed points of the agent under each condition by rnntool's finder, seeded from the
    recorded sessions; a :class:`rnntool.analysis.fixedpoints.FixedPoints`. Roots closer
    than :data:`DUPLICATE_TOL` are one point (the finder can return a root several times,
    its copies differing by rounding only)."""
    from rnntool.analysis.fixedpoints import (FinderSettings, find_fixed_points, result_key,
                                              unique_points)

    task = RecordedSessions(rows)
    settings = settings or FinderSettings(seed=0)
    settings = replace(settings, trajectory_trials=min(settings.trajectory_trials,
                                                       len(task.inputs)))
    points = find_fixed_points(network, conditions, task, settings, labels,
                               result_key(INPUT_SET, settings.method))
    keep = np.zeros(len(points), bool)
    keep[unique_points(points.x, points.u, points.q, DUPLICATE_TOL)] = True
    return points.select(keep)


# basins ------------------------------------------------------------------------------------
def settle(step: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], states: np.ndarray,
           u: np.ndarray, steps: int) -> np.ndarray:
    """Iterate G(·, u) ``steps`` times from every state (G, N)."""
    h = torch.as_tensor(states, dtype=torch.float64)
    ut = torch.as_tensor(np.repeat(u[None], len(states), 0), dtype=torch.float64)
    with torch.no_grad():
        for _ in range(steps):
            h = step(h, ut)
    return h.numpy()


def lyapunov_region(step: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                    h_star: np.ndarray, u: np.ndarray, states: np.ndarray) -> tuple[np.ndarray, float]:
    """Grid states certified to lie in the basin of the stable point ``h_star`` by the
    quadratic Lyapunov function of its linearisation, and the level c of V bounding them.

    With A = ∂G/∂h at h*, P solves AᵀPA − P = −I; V decreases wherever the remainder
    g = G(h) − h* − A(h − h*) satisfies ‖g‖ < γ‖h − h*‖, γ the positive root of
    λmax(P)γ² + 2λmax(P)‖A‖γ − 1 = 0. The certified region is {V < c}, c the smallest V of
    a grid state where that fails."""
    from scipy.linalg import solve_discrete_lyapunov

    A = activity_jacobian(step, h_star[None], u[None])[0]
    P = solve_discrete_lyapunov(A.T, np.eye(len(A)))
    lam = float(np.linalg.eigvalsh(0.5 * (P + P.T)).max())
    norm_a = float(np.linalg.norm(A, 2))
    gamma = (-2 * lam * norm_a + np.sqrt(4 * lam ** 2 * norm_a ** 2 + 4 * lam)) / (2 * lam)
    d = states - h_star
    with torch.no_grad():
        nxt = step(torch.as_tensor(states), torch.as_tensor(np.repeat(u[None], len(states), 0))).numpy()
    g = nxt - h_star - d @ A.T
    v = np.einsum("gi,ij,gj->g", d, P, d)
    fails = np.linalg.norm(g, axis=1) >= gamma * np.linalg.norm(d, axis=1)
    level = float(v[fails].min()) if fails.any() else float("inf")
    return v < level, level


@dataclass
class VectorField:
    """Fields, fixed points and basins under the conditions (C conditions, G grid states).

    Attributes:
        conditions: (C, 3) inputs and ``labels``; grid: (G, 2) PC1–PC2 grid points.
        ideal: (C, G, 2) ideal displacement in the plane; ideal_norm: (C, G) its full norm.
        real_from, real_delta: (M, 2) observed start and displacement in the plane;
            real_condition: (M,) their condition.
        points_pca: (P, 2) fixed points in the plane; points_condition, points_stable (P,);
            points_tau: (P, k) largest time constants; points_aligned: (P, 2) task-aligned.
        basin: (C, G) index of the fixed point each grid state settles at (−1: none).
        lyapunov: (C, G) index of the stable point whose Lyapunov region certifies the
            grid state (−1: none).
    """

    conditions: np.ndarray
    labels: list[str]
    grid: np.ndarray
    ideal: np.ndarray
    ideal_norm: np.ndarray
    real_from: np.ndarray
    real_delta: np.ndarray
    real_condition: np.ndarray
    points_pca: np.ndarray
    points_aligned: np.ndarray
    points_condition: np.ndarray
    points_stable: np.ndarray
    points_tau: np.ndarray
    points_residual: np.ndarray
    basin: np.ndarray
    lyapunov: np.ndarray
    fixed_point_key: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    def to_tree(self) -> dict[str, Any]:
        tree = {k: v for k, v in asdict(self).items() if k != "settings"}
        tree["labels"] = np.array(self.labels, dtype=object)
        return tree

    @classmethod
    def from_tree(cls, tree: dict[str, Any], settings: dict[str, Any]) -> "VectorField":
        data = {k: tree[k] for k in cls.__dataclass_fields__ if k not in ("settings",)}
        data["labels"] = [str(s) for s in tree["labels"]]
        data["fixed_point_key"] = str(tree["fixed_point_key"])
        return cls(**data, settings=settings)

    def summary(self) -> list[dict[str, Any]]:
        """Per condition: fixed points, stable ones, slowest time constant, basins."""
        out = []
        for i, label in enumerate(self.labels):
            sel = self.points_condition == i
            stable = sel & self.points_stable
            tau = self.points_tau[stable, 0] if stable.any() else np.array([])
            out.append({"condition": label, "fixed": int(sel.sum()), "stable": int(stable.sum()),
                        "slowest_tau": float(tau.max()) if tau.size else float("nan"),
                        "grid_settled": float((self.basin[i] >= 0).mean()) if self.basin.size else 0.0,
                        "grid_certified": float((self.lyapunov[i] >= 0).mean()) if self.lyapunov.size else 0.0})
        return out


def vector_field(network: Any, rows: dict[str, np.ndarray], space: Any,
                 conditions: np.ndarray, labels: list[str], points: Any,
                 settings: VectorFieldSettings | None = None) -> VectorField:
    """Fields, basins and the given fixed points (``points``, found in the network's state
    space) seen in the plane of ``space`` (an :class:`rnntool.analysis.ibl_statespace.StateSpace`)."""
    settings = settings or VectorFieldSettings()
    settings.check()
    _, step = activity_map(network)
    axes = space.components[:2]
    h = np.asarray(rows["hidden_state"], np.float64)
    plane = (h - space.mean) @ axes.T
    grid = hull_grid(plane, settings.grid)
    states = space.mean + grid @ axes
    delta = ideal_field(step, states, conditions)
    # real field
    from rnntool.analysis.ibl_statespace import initial_activity, previous_states

    prev = previous_states(rows, initial_activity(network))
    which = matching_transitions(rows, conditions, settings.stimulus_tol)
    rng = np.random.default_rng(settings.seed)
    keep = []
    for i in range(len(conditions)):
        idx = np.flatnonzero(which == i)
        if len(idx) > settings.max_transitions:
            idx = np.sort(rng.choice(idx, settings.max_transitions, replace=False))
        keep.append(idx)
    keep = np.concatenate(keep) if keep else np.zeros(0, int)
    real_from = (prev[keep] - space.mean) @ axes.T
    real_delta = (h[keep] - prev[keep]) @ axes.T
    # fixed points in activity space
    with torch.no_grad():
        pts_h = network.rate(torch.as_tensor(points.x, dtype=network.dtype)[None])[0].double().numpy()
    stable = points.is_fixed & points.stable_map
    tau = time_constants(points.eigenvalues)[:, :min(5, points.eigenvalues.shape[-1])] \
        if len(points) else np.zeros((0, 5))
    # basins
    basin = np.full((len(conditions), len(states)), -1)
    lyap = np.full((len(conditions), len(states)), -1)
    for i, u in enumerate(conditions):
        own = np.flatnonzero((points.input_index == i) & stable)
        if not own.size:
            continue
        end = settle(step, states, u, settings.settle_steps)
        dist = np.linalg.norm(end[:, None] - pts_h[own][None], axis=-1)
        near = dist.argmin(1)
        basin[i] = np.where(dist[np.arange(len(end)), near] < settle_tol_scaled(settings, pts_h),
                            own[near], -1)
        best = np.full(len(states), np.inf)
        for j in own:
            inside, _ = lyapunov_region(step, pts_h[j], u, states)
            v = np.linalg.norm(states - pts_h[j], axis=1)
            take = inside & (v < best)
            lyap[i, take], best[take] = j, v[take]
    return VectorField(
        conditions=conditions, labels=list(labels), grid=grid,
        ideal=delta @ axes.T, ideal_norm=np.linalg.norm(delta, axis=-1),
        real_from=real_from, real_delta=real_delta, real_condition=which[keep],
        points_pca=(pts_h - space.mean) @ axes.T, points_aligned=space.aligned(pts_h),
        points_condition=points.input_index, points_stable=stable, points_tau=tau,
        points_residual=np.sqrt(2 * points.q), basin=basin, lyapunov=lyap,
        fixed_point_key=points.key, settings=asdict(settings))


def settle_tol_scaled(settings: VectorFieldSettings, points: np.ndarray) -> float:
    """The distance within which a settled state counts as having reached a point."""
    return settings.settle_tol * max(1.0, float(np.sqrt(points.shape[1])))


# model files -------------------------------------------------------------------------------
def analyse_model(path: str | os.PathLike, settings: VectorFieldSettings | None = None,
                  finder: Any = None, space_settings: Any = None
                  ) -> tuple[VectorField, Any, Any]:
    """The state space (stored one if present, else computed), fixed points and fields of a
    closed-loop model; returns (field, fixed points, state space)."""
    from rnntool.analysis.ibl_statespace import (StateSpaceSettings, initial_activity,
                                                 session_data, state_space)
    from rnntool.models import load_model

    model = load_model(path)
    space_settings = space_settings or StateSpaceSettings()
    rows = session_data(model.network, model.task, space_settings.sessions,
                        space_settings.blocks, space_settings.seed)
    space = state_space(rows, model.record.weights["W_out"], initial_activity(model.network),
                        space_settings)
    conditions, labels = ibl_conditions(model.task.time_delay_cost)
    points = find_condition_points(model.network, rows, conditions, labels, finder)
    return vector_field(model.network, rows, space, conditions, labels, points, settings), points, space


def store_vector_field(path: str | os.PathLike, field_: VectorField) -> Path:
    """Write ``field_`` under ``analyses/vectorfield``; returns the file written."""
    return STORED.store(path, field_.to_tree(), field_.settings)


def has_vector_field(path: str | os.PathLike) -> bool:
    return STORED.exists(path)


def load_vector_field(path: str | os.PathLike) -> VectorField:
    return VectorField.from_tree(*STORED.load(path))
