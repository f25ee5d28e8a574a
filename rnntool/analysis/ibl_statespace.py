"""Task-aligned state space of an IBL agent (Schaeffer et al. 2020, their §3 analyses).

From one long recorded run of the agent in the environment (:func:`session_data`):

- PCA of the hidden states h_t (full spectrum, and the ``components``-dimensional plane);
- the trial readout vector: the direction w_R − w_L of the readout (the only direction the
  two-way softmax reads), normalised; PC1 is sign-flipped so that the trial vector's image
  in the plane points to +PC1 (the original's alignment);
- the block vector: a scikit-learn logistic decoder of the block side from the PCA states,
  trained on some sessions and scored on held-out sessions (whole sessions are held out:
  neighbouring steps are strongly correlated, so a random step-level split would overstate
  the accuracy); a decoder on the full hidden state is scored the same way;
- the angle between the two vectors, in the full space and in the plane;
- task-aligned coordinates z_t = (⟨p_t, v_trial⟩, ⟨p_t, v_block⟩), p_t the centred PCA
  state, both vectors taken in the same plane (the original mixed coordinate systems);
  directions are mapped to the full space linearly (never with the affine inverse transform,
  which adds the mean);
- the regression of the change Δz_t on the observation d_t = R_t − L_t (observation steps),
  on the feedback (steps whose input carries a ±1 outcome) and on the side that feedback
  reveals as rewarded: slope, intercept, r and the slope's p-value along each direction.

:func:`state_space` returns a :class:`StateSpace`; :func:`store_state_space` writes it under
``analyses/statespace`` of the model file and :func:`load_state_space` reads it back.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnntool.errors import ConfigError, RnnToolError
from rnntool.seeding import Seeds
from rnntool.storage.stored_analysis import StoredAnalysis

GROUP = "analyses/statespace"
STORED = StoredAnalysis(GROUP, "state space", "statespace")
DIRECTIONS = ("trial", "block")


@dataclass
class StateSpaceSettings:
    """Settings of :func:`state_space` (stored with the result).

    Attributes:
        sessions, blocks: the run analysed (sessions in parallel, blocks per session).
        seed: seed of the sessions and of the decoder (the same seed gives the same run).
        components: principal components the decoder and the task-aligned coordinates use;
            0 (the default) keeps them all, so nothing of the trial or block direction is
            cut away; 2 is Schaeffer et al.'s PC1–PC2 plane (it can hold too little of the
            block signal: check the held-out accuracy against ``decoder_accuracy_full``).
        test_fraction: share of sessions held out to score the block decoders.
        C: inverse L2 strength of the logistic decoders (scikit-learn's C).
    """

    sessions: int = 8
    blocks: int = 20
    seed: int = 0
    components: int = 0
    test_fraction: float = 1 / 3
    C: float = 1.0

    def check(self) -> None:
        if self.sessions < 2:
            raise ConfigError("--sessions must be at least 2 (whole sessions are held out "
                              "to score the block decoder)")
        if self.blocks < 2:
            raise ConfigError("--blocks must be at least 2 (a decoder needs both block sides)")
        if self.components < 0 or self.components == 1:
            raise ConfigError("--components must be 0 (all) or at least 2")
        if not 0 < self.test_fraction < 1:
            raise ConfigError("test_fraction must lie in (0, 1)")
        if not self.C > 0:
            raise ConfigError("C must be positive")


@dataclass
class StateSpace:
    """The task-aligned geometry of an agent's hidden states (N units, T steps).

    Attributes:
        mean: (N,) mean hidden state; components: (k, N) PCA axes (rows, sign-aligned);
        variance: (N,) variance of every principal component (the spectrum).
        trial_vector, block_vector: (N,) unit vectors in the full space.
        trial_vector_pca, block_vector_pca: (k,) unit vectors in the plane.
        trial_in_plane: fraction of ‖v_trial‖ lying in the plane.
        angle_full, angle_plane: angle between the two vectors in degrees.
        decoder_accuracy: held-out accuracy of the block decoder on the PCA states;
            ``decoder_accuracy_full``: on the full hidden states; ``decoder_train_accuracy``.
        decoder_coef, decoder_intercept: the PCA-space decoder (its logit).
        plane: (T, 2) PC1–PC2 coordinates of every recorded step.
        z: (T, 2) task-aligned coordinates (trial, block) of every recorded step;
            z_change: (T, 2) their change over the step, z_t − z_{t−1}.
        block_belief: (T,) 2·P(right block) − 1 from the decoder.
        effects: regression of Δz on the observation and the feedback, by direction.
        test_sessions: the held-out sessions.
    """

    mean: np.ndarray
    components: np.ndarray
    variance: np.ndarray
    trial_vector: np.ndarray
    block_vector: np.ndarray
    trial_vector_pca: np.ndarray
    block_vector_pca: np.ndarray
    trial_in_plane: float
    angle_full: float
    angle_plane: float
    decoder_accuracy: float
    decoder_accuracy_full: float
    decoder_train_accuracy: float
    decoder_coef: np.ndarray
    decoder_intercept: float
    plane: np.ndarray
    z: np.ndarray
    z_change: np.ndarray
    block_belief: np.ndarray
    effects: dict[str, dict[str, float]]
    test_sessions: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)

    def project(self, h: np.ndarray) -> np.ndarray:
        """PCA coordinates (…, k) of hidden states h (…, N)."""
        return (np.asarray(h, float) - self.mean) @ self.components.T

    def lift(self, p: np.ndarray) -> np.ndarray:
        """Hidden states (…, N) of PCA coordinates p (…, k) (points: the mean is added)."""
        return self.mean + np.asarray(p, float) @ self.components

    def aligned(self, h: np.ndarray) -> np.ndarray:
        """Task-aligned coordinates (…, 2) = (trial, block) of hidden states (…, N)."""
        p = self.project(h)
        return np.stack([p @ self.trial_vector_pca, p @ self.block_vector_pca], -1)

    @property
    def explained(self) -> np.ndarray:
        """Fraction of variance of every component."""
        return self.variance / max(self.variance.sum(), 1e-300)

    def summary(self) -> dict[str, float]:
        """The headline numbers."""
        out = {"angle_full_deg": self.angle_full, "angle_plane_deg": self.angle_plane,
               "decoder_test_accuracy": self.decoder_accuracy,
               "decoder_test_accuracy_full": self.decoder_accuracy_full,
               "trial_vector_in_plane": self.trial_in_plane,
               "variance_in_plane": float(self.explained[:len(self.components)].sum())}
        for cause, by_dir in self.effects.items():
            for direction in DIRECTIONS:
                out[f"{cause}_slope_{direction}"] = by_dir[f"{direction}_slope"]
                out[f"{cause}_p_{direction}"] = by_dir[f"{direction}_p"]
        return out

    def to_tree(self) -> dict[str, Any]:
        tree = {k: v for k, v in asdict(self).items() if k not in ("effects", "settings")}
        tree["effects"] = self.effects
        tree["summary"] = self.summary()
        return tree

    @classmethod
    def from_tree(cls, tree: dict[str, Any], settings: dict[str, Any]) -> "StateSpace":
        names = [f for f in cls.__dataclass_fields__ if f != "settings"]
        data = {k: tree[k] for k in names}
        for key in ("trial_in_plane", "angle_full", "angle_plane", "decoder_accuracy",
                    "decoder_accuracy_full", "decoder_train_accuracy", "decoder_intercept"):
            data[key] = float(data[key])
        data["effects"] = {c: {k: float(v) for k, v in d.items()} for c, d in tree["effects"].items()}
        return cls(**data, settings=settings)


# data --------------------------------------------------------------------------------------
def session_data(network: Any, env: Any, sessions: int, blocks: int, seed: int
                 ) -> dict[str, np.ndarray]:
    """One row per step of ``sessions`` fresh sessions of ``blocks`` blocks run by a network
    agent (the session-table layout of :mod:`rnntool.analysis.ibl_behaviour`).

    The sessions come from ``Seeds(seed).generator("evaluation")``, the stream
    ``rnntool evaluate`` uses: the same seed, sessions and blocks give the same sessions."""
    from dataclasses import replace

    from rnntool.analysis.ibl_behaviour import session_columns
    from rnntool.envs.agents import NetworkAgent
    from rnntool.envs.ibl import IBLEnvironment
    from rnntool.envs.rollout import rollout

    if not isinstance(env, IBLEnvironment):
        raise ConfigError(f"the state-space analyses need the IBL environment, not "
                          f"{getattr(env, 'name', type(env).__name__)!r}")
    env = replace(env, blocks_per_session=blocks)
    plan = env.draw_plan(sessions, Seeds(seed).generator("evaluation"))
    with torch.no_grad():
        run = rollout(NetworkAgent(network), env, sessions, None, record=True, plan=plan)
    return session_columns(run)


def previous_states(rows: dict[str, np.ndarray], h0: np.ndarray) -> np.ndarray:
    """The hidden state before each row's step (``h0`` at the first step of a session)."""
    h = np.asarray(rows["hidden_state"], float)
    prev = np.empty_like(h)
    prev[1:] = h[:-1]
    first = np.r_[True, rows["session"][1:] != rows["session"][:-1]]
    prev[first] = h0
    return prev


def held_out_sessions(session: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """The sessions held out for testing: a seeded random ``fraction`` of them (≥ 1)."""
    ids = np.unique(session)
    rng = np.random.default_rng(seed)
    n_test = min(len(ids) - 1, max(1, int(round(fraction * len(ids)))))
    return np.sort(rng.permutation(ids)[:n_test])


# analyses ----------------------------------------------------------------------------------
def readout_direction(w_out: np.ndarray) -> np.ndarray:
    """The unit direction the readout decides along: w_R − w_L for two actions (the row
    itself for one output)."""
    w = np.asarray(w_out, float)
    v = w[1] - w[0] if w.shape[0] == 2 else w[0]
    norm = np.linalg.norm(v)
    if norm == 0:
        raise RnnToolError("the readout is zero: no trial direction")
    return v / norm


def pca(h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean (N,), axes (N, N) as rows and variances (N,) of the states h (T, N), by an SVD
    of the centred states (float64)."""
    h = np.asarray(h, np.float64)
    mean = h.mean(0)
    _, s, vt = np.linalg.svd(h - mean, full_matrices=False)
    var = s ** 2 / max(len(h) - 1, 1)
    full = np.zeros(h.shape[1])
    full[:len(var)] = var
    axes = np.zeros((h.shape[1], h.shape[1]))
    axes[:len(vt)] = vt
    return mean, axes, full


def fit_block_decoder(x: np.ndarray, side: np.ndarray, train: np.ndarray, C: float = 1.0
                      ) -> tuple[Any, float, float]:
    """Logistic decoder of ``side`` (±1) from ``x`` fitted on rows ``train``; returns the
    fitted scikit-learn model, its train and its test (``~train``) accuracy."""
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(side) > 0
    if len(np.unique(y[train])) < 2:
        raise RnnToolError("the training sessions show one block side only; run more blocks")
    model = LogisticRegression(C=C, max_iter=2000)
    model.fit(x[train], y[train])
    test = ~train
    return (model, float(model.score(x[train], y[train])),
            float(model.score(x[test], y[test])) if test.any() else float("nan"))


def angle_degrees(a: np.ndarray, b: np.ndarray) -> float:
    """Angle between two vectors in degrees."""
    c = float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-300))
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def regression(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Ordinary least squares y = slope·x + intercept with the slope's two-sided p-value."""
    from scipy.stats import linregress

    if len(x) < 3 or np.ptp(x) == 0:
        return {"slope": float("nan"), "intercept": float("nan"), "r": float("nan"),
                "p": float("nan"), "stderr": float("nan"), "n": float(len(x))}
    fit = linregress(x, y)
    return {"slope": float(fit.slope), "intercept": float(fit.intercept),
            "r": float(fit.rvalue), "p": float(fit.pvalue), "stderr": float(fit.stderr),
            "n": float(len(x))}


def state_effects(rows: dict[str, np.ndarray], z: np.ndarray, z_prev: np.ndarray
                  ) -> dict[str, dict[str, float]]:
    """Regression of Δz along each direction on three causes:

    - ``observation``: d = R − L, on observation steps;
    - ``feedback``: the ±1 outcome, on the steps whose input carries it;
    - ``rewarded_side``: the side the outcome reveals as correct (+1 right, −1 left: the
      outcome times the side of the action that earned it), on the same steps after an
      action (timeouts reveal no side) — the evidence about the block that feedback brings.
    """
    dz = z - z_prev
    observing = ~rows["blank"].astype(bool)
    feedback = np.asarray(rows["previous_feedback"], float)
    outcome = np.abs(np.abs(feedback) - 1) < 1e-9
    acted = np.zeros(len(feedback))
    acted[1:] = rows["action_side"][:-1]
    first = np.r_[True, rows["session"][1:] != rows["session"][:-1]]
    acted[first] = 0
    causes = {"observation": (observing, rows["right_stimulus"] - rows["left_stimulus"]),
              "feedback": (outcome, feedback),
              "rewarded_side": (outcome & (acted != 0), feedback * acted)}
    out: dict[str, dict[str, float]] = {}
    for cause, (mask, x) in causes.items():
        entry: dict[str, float] = {}
        for i, direction in enumerate(DIRECTIONS):
            fit = regression(np.asarray(x, float)[mask], dz[mask, i])
            entry.update({f"{direction}_{k}": v for k, v in fit.items()})
        out[cause] = entry
    return out


def state_space(rows: dict[str, np.ndarray], w_out: np.ndarray, h0: np.ndarray,
                settings: StateSpaceSettings | None = None) -> StateSpace:
    """The task-aligned state space of a session table (see the module docstring).

    ``w_out`` is the agent's readout (n_actions, N) and ``h0`` its initial hidden state."""
    settings = settings or StateSpaceSettings()
    settings.check()
    h = np.asarray(rows["hidden_state"], np.float64)
    n = h.shape[1]
    k = n if settings.components == 0 else min(settings.components, n)
    mean, axes, variance = pca(h)
    components = axes[:k].copy()
    v_trial = readout_direction(w_out)
    if components[0] @ v_trial < 0:
        components[0] = -components[0]
    trial_pca = components @ v_trial
    in_plane = float(np.linalg.norm(trial_pca))
    if in_plane < 1e-12:
        raise RnnToolError("the readout direction is orthogonal to the PCA plane")
    trial_pca = trial_pca / in_plane
    p = (h - mean) @ components.T
    test_sessions = held_out_sessions(rows["session"], settings.test_fraction, settings.seed)
    train = ~np.isin(rows["session"], test_sessions)
    side = rows["block_side"]
    decoder, train_acc, test_acc = fit_block_decoder(p, side, train, settings.C)
    _, _, test_full = fit_block_decoder(h, side, train, settings.C)
    coef = decoder.coef_[0]
    block_pca = coef / max(np.linalg.norm(coef), 1e-300)
    v_block = components.T @ block_pca
    v_block = v_block / max(np.linalg.norm(v_block), 1e-300)
    z = np.stack([p @ trial_pca, p @ block_pca], -1)
    p_prev = (previous_states(rows, h0) - mean) @ components.T
    z_prev = np.stack([p_prev @ trial_pca, p_prev @ block_pca], -1)
    belief = 2 * decoder.predict_proba(p)[:, 1] - 1
    return StateSpace(
        mean=mean, components=components, variance=variance, trial_vector=v_trial,
        block_vector=v_block, trial_vector_pca=trial_pca, block_vector_pca=block_pca,
        trial_in_plane=in_plane, angle_full=angle_degrees(v_trial, v_block),
        angle_plane=angle_degrees(trial_pca, block_pca), decoder_accuracy=test_acc,
        decoder_accuracy_full=test_full, decoder_train_accuracy=train_acc,
        decoder_coef=coef, decoder_intercept=float(decoder.intercept_[0]), plane=p[:, :2], z=z,
        z_change=z - z_prev,
        block_belief=belief, effects=state_effects(rows, z, z_prev),
        test_sessions=test_sessions, settings=asdict(settings))


# model files -------------------------------------------------------------------------------
def initial_activity(network: Any) -> np.ndarray:
    """The agent's hidden state before the first step of a session."""
    x0 = network.initial_state(1, std=0.0)
    return network.rate(x0)[0, 0].detach().cpu().double().numpy()


def analyse_model(path: str | os.PathLike, settings: StateSpaceSettings | None = None
                  ) -> tuple[StateSpace, dict[str, np.ndarray]]:
    """Load a closed-loop model, run its sessions and compute its state space; returns the
    state space and the session table it came from."""
    from rnntool.models import load_model

    settings = settings or StateSpaceSettings()
    settings.check()
    model = load_model(path)
    rows = session_data(model.network, model.task, settings.sessions, settings.blocks,
                        settings.seed)
    space = state_space(rows, model.record.weights["W_out"], initial_activity(model.network),
                        settings)
    return space, rows


def store_state_space(path: str | os.PathLike, space: StateSpace,
                      rows: dict[str, np.ndarray] | None = None) -> Path:
    """Write ``space`` (and the few session columns its figures need) under
    ``analyses/statespace``; returns the file written."""
    tree = space.to_tree()
    if rows is not None:
        tree["rows"] = {k: np.asarray(rows[k]) for k in FIGURE_COLUMNS}
    return STORED.store(path, tree, space.settings)


#: Session columns stored with the state space (its figures draw them against z).
FIGURE_COLUMNS = ("session", "trial_index", "trial_in_block", "step_in_trial", "block_side",
                  "trial_side", "strength", "left_stimulus", "right_stimulus",
                  "previous_feedback", "action_side", "blank", "trial_end", "block_start",
                  "right_probability")


def has_state_space(path: str | os.PathLike) -> bool:
    return STORED.exists(path)


def load_state_space(path: str | os.PathLike) -> tuple[StateSpace, dict[str, np.ndarray]]:
    """The stored state space and its session columns."""
    tree, settings = STORED.load(path)
    return StateSpace.from_tree(tree, settings), tree.get("rows", {})
