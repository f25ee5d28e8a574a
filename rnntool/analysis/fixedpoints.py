"""Fixed and slow points of a network under constant inputs, found as one batched problem.

For every initial state x and constant input u the finder minimises
q(x) = ½‖F(x, u) − x‖², F being the step of the network's dynamical-system view (so the
model's α and clamps hold). All initial states of all inputs form one batch; the algorithm lives in
:mod:`rnntool.analysis.fixedpoint_search` and sees the network only as a map with a
Jacobian (:func:`network_map`).

``method="exact"`` (the default): monotone Adam on q for at most ``handoff_iters`` steps,
then every candidate is polished by trust-region Newton in float64, and only roots with max|F(x) − x| < ``root_tol`` are fixed points (the others, with
q ≤ ``slow_q``, are slow points). Roots are merged by where they converged, roots joined by
a path of roots form one continuous set (line or ring attractors; ``manifold`` > −1, sampled
by at most ``manifold_points`` points), and stability is read off the polished roots
(for a continuous set, off every direction but the set's own marginal ones).
``method="approx"`` runs the descent alone, to find slow points: points with q ≤ ``fixed_q``
are labelled fixed but not polished, and points closer than ``tol_unique`` are one.
Every unique point is linearised (:mod:`rnntool.analysis.point_analytics`).

Results are stored in the model file under ``analyses/fixedpoints/<key>``
(:func:`find_and_store`) and read back as :class:`FixedPoints` (:func:`load_fixed_points`).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
from scipy.spatial import cKDTree

from rnntool.analysis.fixedpoint_search import (MapSystem, descend, group_roots,
                                                newton_polish, spread_sample)
from rnntool.analysis.point_analytics import Spectrum, analyse_points, float64_network
from rnntool.errors import ConfigError, RnnToolError
from rnntool.network import DynamicalSystem, Network
from rnntool.seeding import Seeds
from rnntool.storage import list_groups, read_group, update_model
from rnntool.tasks.base import Task
from rnntool.tasks.static_inputs import constant_inputs, interpolated_inputs

GROUP = "analyses/fixedpoints"
METHODS = ("approx", "exact")
INIT_SOURCES = ("trajectories", "box", "both")


@dataclass
class FinderSettings:
    """Hyper-parameters of the search (defaults from FixedPointFinder where it has one).

    Attributes:
        method: ``exact`` (Newton-polished roots, the default) or ``approx`` (the descent
            alone, for slow points).
        n_inits: initial states in all, shared evenly among the inputs (at least 16 each).
        init_from: ``trajectories`` (states visited on task trials — the cell's whole
            state, an LSTM's (h, c) — plus Gaussian noise of std ``noise_scale`` × each state
            component's spread over the visited states, kept within the range it visits),
            ``box`` (uniform in [−box_scale, box_scale]^S) or ``both``.
        trajectory_trials: task trials simulated to sample visited states.
        tol_q, tol_dq, max_iters, lr_init: Adam's stopping rule and (largest) step size.
        handoff_iters: in ``exact`` mode, Adam iterations before every candidate still
            descending goes to Newton (at most ``max_iters``): a short descent carries the
            starts into the basins of roots, and the trust-region Newton then needs a few
            factorisations where Adam needs thousands of steps.
        root_tol: largest max|F(x) − x| of an exact fixed point (float64).
        fixed_q: in ``approx`` mode, points with q ≤ fixed_q are labelled fixed.
        slow_q: points with fixed_q < q ≤ slow_q are kept as slow points; others dropped.
        tol_unique: slow points (and ``approx`` points) closer than this in (x*, u) are one;
            exact roots are merged by where they converge instead.
        manifold_points: points kept to represent one continuous set of fixed points.
        outlier_distance_scale: drop points farther from the initial states' centroid than
            this multiple of the initial states' mean distance to it (0 disables).
        newton_iters: damped Newton iterations at most.
        n_modes: leading eigenvectors stored per point (at least every unstable one).
        dtype: precision of the Adam stage (polishing is always float64); float32 halves
            the cost but stalls near q ≈ 1e-12 (|Δq| rounds to 0).
        seed: seed of the initial states (None: the model's seed).
    """

    method: str = "exact"
    n_inits: int = 1024
    init_from: str = "trajectories"
    noise_scale: float = 0.5
    box_scale: float = 5.0
    trajectory_trials: int = 64
    tol_q: float = 1e-12
    tol_dq: float = 1e-20
    max_iters: int = 5000
    handoff_iters: int = 200
    lr_init: float = 1.0
    root_tol: float = 1e-10
    fixed_q: float = 1e-10
    slow_q: float = 1e-3
    tol_unique: float = 1e-3
    manifold_points: int = 32
    outlier_distance_scale: float = 10.0
    newton_iters: int = 50
    n_modes: int = 10
    dtype: str = "float64"
    seed: int | None = None

    def check(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if self.init_from not in INIT_SOURCES:
            raise ConfigError(f"init_from must be one of {', '.join(INIT_SOURCES)}")
        if min(self.n_inits, self.max_iters, self.handoff_iters, self.trajectory_trials,
               self.manifold_points) < 1:
            raise ConfigError("n_inits, max_iters, handoff_iters, trajectory_trials and "
                              "manifold_points must be ≥ 1")
        if min(self.tol_q, self.tol_dq, self.fixed_q) < 0:
            raise ConfigError("tol_q, tol_dq and fixed_q must be non-negative")
        if min(self.lr_init, self.tol_unique, self.root_tol, self.slow_q) <= 0:
            raise ConfigError("lr_init, tol_unique, root_tol and slow_q must be positive")
        if self.noise_scale < 0 or self.box_scale <= 0 or self.outlier_distance_scale < 0:
            raise ConfigError("noise_scale must be ≥ 0 and box_scale > 0")
        if self.dtype not in ("float32", "float64"):
            raise ConfigError("dtype must be float32 or float64")


@dataclass
class FixedPoints(Spectrum):
    """Unique fixed and slow points with their linearisation (P points, N units).

    Attributes:
        x: the points x* (P, N).
        u: the constant input of each point (P, n_in).
        input_index: row of :attr:`inputs` each point belongs to (P,).
        inputs: the constant inputs searched (M, n_in), with ``input_labels`` (M).
        q: ½‖F(x*, u) − x*‖² in float64 (P,).
        kind: ``"fixed"`` or ``"slow"`` per point (P,).
        eigenvalues: map eigenvalues λ sorted by descending |λ| (P, N), complex.
        right, left: the leading ``n_modes`` right and left eigenvectors, as columns in the
            same order (P, N, n_modes), biorthonormal (lᵢᵀ rⱼ = δᵢⱼ).
        alpha: the model's α; flow eigenvalues are (λ − 1)/α in units of 1/τ (NaN for
            discrete maps, which have no flow).
        key: the group name under ``analyses/fixedpoints``; ``settings``: every parameter used.
        manifold: the continuous set of fixed points each point samples (0, 1, …), −1 for
            an isolated point (P,).
        manifold_dim: the set's dimension at the point: its eigenvalues λ ≈ 1 (|λ − 1| <
            1e-6, at least 1), which are neutral and left out of the stability counts (P,).
    """

    x: np.ndarray
    u: np.ndarray
    input_index: np.ndarray
    inputs: np.ndarray
    input_labels: list[str]
    q: np.ndarray
    kind: np.ndarray
    eigenvalues: np.ndarray
    right: np.ndarray
    left: np.ndarray
    alpha: float
    key: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    manifold: np.ndarray | None = None
    manifold_dim: np.ndarray | None = None

    def __post_init__(self) -> None:
        p = self.x.shape[0]
        self.manifold = np.full(p, -1, np.int64) if self.manifold is None else np.asarray(
            self.manifold, np.int64)
        self.manifold_dim = np.zeros(p, np.int64) if self.manifold_dim is None else np.asarray(
            self.manifold_dim, np.int64)

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def is_fixed(self) -> np.ndarray:
        return self.kind == "fixed"

    @property
    def stable(self) -> np.ndarray:
        """Stable as the network is simulated (the map) (P,)."""
        return self.stable_map

    def _transverse(self) -> np.ndarray:
        """(P, N) mask of the eigenvalues that decide stability: all but the manifold_dim
        eigenvalues nearest 1 of a point on a continuous set (its neutral directions)."""
        values = self.eigenvalues
        dims = self.manifold_dim
        if values.size == 0 or not dims.any():
            return np.ones(values.shape, dtype=bool)
        rank = np.argsort(np.argsort(np.abs(values - 1.0), axis=-1, kind="stable"), axis=-1)
        return rank >= dims[:, None]

    @property
    def n_unstable(self) -> np.ndarray:
        """Unstable directions of the map, |λ| > 1, neutral directions of a set excluded (P,)."""
        return ((np.abs(self.eigenvalues) > 1.0) & self._transverse()).sum(-1)

    @property
    def n_unstable_flow(self) -> np.ndarray | None:
        if not self.has_flow:
            return None
        return ((self.flow_eigenvalues.real > 0.0) & self._transverse()).sum(-1)

    @property
    def stable_map(self) -> np.ndarray:
        return ~((np.abs(self.eigenvalues) >= 1.0) & self._transverse()).any(-1)

    @property
    def stable_flow(self) -> np.ndarray | None:
        if not self.has_flow:
            return None
        return ~((self.flow_eigenvalues.real >= 0.0) & self._transverse()).any(-1)

    @property
    def n_manifolds(self) -> int:
        """Continuous sets of fixed points found."""
        return int(self.manifold.max()) + 1 if len(self) else 0

    def select(self, mask: np.ndarray) -> "FixedPoints":
        """The points where ``mask`` holds (inputs and settings unchanged)."""
        per_point = ("x", "u", "input_index", "q", "kind", "eigenvalues", "right", "left",
                     "manifold", "manifold_dim")
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data.update({k: getattr(self, k)[mask] for k in per_point})
        return FixedPoints(**data)

    def to_tree(self) -> dict[str, Any]:
        """The HDF5 tree stored under ``analyses/fixedpoints/<key>``."""
        tree = {"x": self.x, "u": self.u, "input_index": self.input_index,
                "inputs": self.inputs, "input_labels": np.array(self.input_labels, dtype=object),
                "q": self.q, "kind": np.array(self.kind, dtype=object),
                "eigenvalues": self.eigenvalues, "right": self.right, "left": self.left,
                "stable_map": self.stable_map, "stable_flow": self.stable_flow,
                "n_unstable": self.n_unstable, "n_unstable_flow": self.n_unstable_flow,
                "manifold": self.manifold, "manifold_dim": self.manifold_dim,
                "alpha": float(self.alpha)}
        return {k: v for k, v in tree.items() if v is not None}

    @classmethod
    def from_tree(cls, tree: dict[str, Any], key: str, settings: dict[str, Any]) -> "FixedPoints":
        return cls(x=tree["x"], u=tree["u"], input_index=tree["input_index"],
                   inputs=tree["inputs"], input_labels=[str(s) for s in tree["input_labels"]],
                   q=tree["q"], kind=np.asarray(tree["kind"]).astype(str),
                   eigenvalues=tree["eigenvalues"], right=tree["right"], left=tree["left"],
                   alpha=float(tree["alpha"]), key=key, settings=settings,
                   manifold=tree.get("manifold"), manifold_dim=tree.get("manifold_dim"))


# inputs ------------------------------------------------------------------------------------
def load_input_file(path: str | os.PathLike, n_in: int) -> np.ndarray:
    """Constant inputs from a .npy, .csv or whitespace-separated .txt file: rows of n_in values."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"input file {path} not found")
    try:
        if path.suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        else:
            arr = np.loadtxt(path, delimiter="," if path.suffix == ".csv" else None, ndmin=2)
    except (ValueError, OSError) as err:
        raise ConfigError(f"cannot read inputs from {path}: {err}") from None
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim == 1 and n_in == 1:
        arr = arr[:, None]
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != n_in or arr.shape[0] == 0 or not np.isfinite(arr).all():
        raise ConfigError(f"{path}: expected finite rows of {n_in} input value(s), got shape {arr.shape}")
    return arr


def _one_input(text: str, n_in: int) -> np.ndarray:
    if text == "zeros":
        return np.zeros(n_in)
    try:
        values = np.array([float(v) for v in text.replace(",", " ").split()])
    except ValueError:
        return load_input_file(text, n_in)[0]
    if values.shape != (n_in,):
        raise ConfigError(f"an input needs {n_in} value(s), got {values.size} in {text!r}")
    return values


def input_set(task: Task, n_in: int, mode: str | None = None, inputs: str | None = None,
              interpolate: tuple[str, str] | None = None,
              steps: int = 11) -> tuple[np.ndarray, list[str], str]:
    """Constant inputs, their labels and a storage-key stem from exactly one specification.

    ``mode``: the task's own sets (``task.static_inputs(mode)``, e.g. McMahan et al. 2021's large /
    small / sparse); ``inputs``: a named set (zeros, pulses) or a .txt/.csv/.npy file;
    ``interpolate``: two inputs (``zeros``, comma-separated values or a file's first row)
    joined by ``steps`` evenly spaced inputs. With none given, ``zeros``.
    """
    given = [s for s in (mode, inputs, interpolate) if s is not None]
    if len(given) > 1:
        raise ConfigError("give only one of --mode, --inputs and --interpolate")
    if interpolate is not None:
        start, end = (_one_input(t, n_in) for t in interpolate)
        arr, labels = interpolated_inputs(start, end, steps)
        return arr, labels, f"interp{steps}"
    if mode is not None:
        if not hasattr(task, "static_inputs"):
            raise ConfigError(f"task {task.name!r} has no static input sets; use --inputs")
        arr, labels = task.static_inputs(mode)
        return np.asarray(arr, float), labels, mode
    if inputs is None:
        return (*constant_inputs("zeros", n_in), "zeros")
    if Path(inputs).suffix in (".npy", ".csv", ".txt"):
        arr = load_input_file(inputs, n_in)
        return arr, [f"input {i}" for i in range(len(arr))], "file-" + Path(inputs).stem
    arr, labels = constant_inputs(inputs, n_in)
    return arr, labels, inputs


def result_key(stem: str, method: str) -> str:
    """Group name for an input set and a method, safe as an HDF5 name."""
    clean = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
    return f"{clean}_{method}"


# initial states ----------------------------------------------------------------------------
def visited_states(net: DynamicalSystem, task: Task, trials: int, generator: torch.Generator) -> torch.Tensor:
    """States (trials·T, N) the network visits on noise-driven task trials."""
    batch = task.sample(trials, generator)
    with torch.no_grad():
        states = net.simulate(batch.inputs, net.initial_state(trials, generator), generator).states
    return states[0].reshape(-1, net.state_size)


def initial_states(net: DynamicalSystem, task: Task | None, count: int, settings: FinderSettings,
                   generator: torch.Generator) -> torch.Tensor:
    """``count`` starting states (count, S) drawn as ``settings.init_from`` says.

    Trajectory starts are states the cell visited (its whole state: an LSTM's (h, c)) plus
    Gaussian noise of std ``noise_scale`` × each state component's standard deviation over
    the visited states, kept within the range that component visits. So the noise is on
    each component's own scale (an LSTM's c may span far more than its h), and a gated
    cell's starts stay where its gates are not saturated: a GRU's h never leaves (−1, 1),
    and beyond it z rounds to 1, where every state is a spurious root of F(x) = x.
    """
    n = net.state_size
    n_box = {"trajectories": 0, "box": count, "both": count // 2}[settings.init_from]
    if task is None:
        n_box = count
    parts = []
    if count - n_box > 0:
        pool = visited_states(net, task, settings.trajectory_trials, generator)
        pick = torch.randint(0, pool.shape[0], (count - n_box,), generator=generator)
        noise = torch.randn((count - n_box, n), generator=generator, dtype=pool.dtype)
        spread = pool.std(0) if pool.shape[0] > 1 else torch.ones_like(pool[0])
        start = pool[pick] + settings.noise_scale * spread * noise.to(pool.device)
        parts.append(torch.minimum(torch.maximum(start, pool.min(0).values), pool.max(0).values))
    if n_box:
        box = (2 * torch.rand((n_box, n), generator=generator) - 1) * settings.box_scale
        parts.append(box.to(net.device, net.dtype))
    return net.clamp(torch.cat(parts)[None])[0].to(net.dtype)


def search_starts(net: DynamicalSystem, task: Task | None, n_inputs: int, settings: FinderSettings
                  ) -> tuple[torch.Tensor, np.ndarray]:
    """The initial states of a search (S, N) and the input row of each (S,): ``n_inits``
    shared evenly among the inputs (at least 16 each), drawn from ``settings.seed``."""
    gen = Seeds(0 if settings.seed is None else settings.seed).generator("analysis")
    per_input = max(16, -(-settings.n_inits // n_inputs))
    x0 = initial_states(net, task, per_input * n_inputs, settings, gen)
    return x0, np.repeat(np.arange(n_inputs), per_input)


# the search --------------------------------------------------------------------------------
def network_map(system: DynamicalSystem | Network) -> MapSystem:
    """The system (member 0 of a network) as the map the search works on: F(x, u) and
    ∂F/∂x on (P, S)."""
    ds = DynamicalSystem.of(system)
    return MapSystem(step=ds.step, jacobian=ds.jacobian_state, device=torch.device(ds.device))


def polish_roots(net: DynamicalSystem | Network, x: np.ndarray, u: np.ndarray, iters: int = 50, tol: float = 1e-10,
                 chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Batched damped Newton on F(x, u) − x = 0 in float64 (see
    :func:`rnntool.analysis.fixedpoint_search.newton_polish`); returns the points and their
    residuals max|F(x) − x|."""
    out = newton_polish(network_map(float64_network(net)), x, np.asarray(u, np.float64),
                        iters, tol, chunk)
    return out.x, out.residual


def unique_points(x: np.ndarray, u: np.ndarray, q: np.ndarray, tol: float) -> np.ndarray:
    """Indices of one point per group closer than ``tol`` in (x, u), the one with smallest q."""
    points = np.concatenate([x, u], axis=1)
    tree = cKDTree(points)
    removed = np.zeros(len(points), dtype=bool)
    keep = []
    for i in np.argsort(q, kind="stable"):
        if removed[i]:
            continue
        keep.append(i)
        removed[tree.query_ball_point(points[i], tol)] = True
    return np.array(sorted(keep), dtype=int)


def _settings_dict(settings: FinderSettings) -> dict[str, Any]:
    return {k: v for k, v in asdict(settings).items() if v is not None}


def find_fixed_points(net: DynamicalSystem | Network, inputs: np.ndarray, task: Task | None = None,
                      settings: FinderSettings | None = None,
                      labels: list[str] | None = None, key: str = "") -> FixedPoints:
    """Fixed (and slow) points of member 0 of ``net`` for each constant input row (M, n_in).

    ``task`` supplies the trials whose visited states seed the search (without one, the
    initial states come from the box).
    """
    settings = settings or FinderSettings()
    settings.check()
    net = DynamicalSystem.of(net)
    inputs = np.atleast_2d(np.asarray(inputs, dtype=np.float64))
    if inputs.shape[1] != net.input_size:
        raise ConfigError(f"inputs have {inputs.shape[1]} channel(s), the network takes {net.input_size}")
    labels = labels or [f"input {i}" for i in range(len(inputs))]
    work = net.with_dtype(settings.dtype)
    exact = settings.method == "exact"
    map64 = network_map(net.float64())
    x0, which = search_starts(work, task, len(inputs), settings)
    u = torch.as_tensor(inputs[which], dtype=work.dtype, device=work.device)
    adam_iters = min(settings.max_iters, settings.handoff_iters) if exact else settings.max_iters
    found = descend(network_map(work), x0, u, adam_iters, settings.lr_init, settings.tol_q,
                    settings.tol_dq)
    x, u_np = found.x.cpu().double().numpy(), inputs[which]
    keep = _inliers(x, x0.cpu().double().numpy(), settings.outlier_distance_scale)
    keep &= np.isfinite(found.q.cpu().numpy())
    x, which, u_np = x[keep], which[keep], u_np[keep]
    starts = x0.cpu().double().numpy()
    region = (starts.min(0), starts.max(0))
    if exact:
        x, which, manifold = _exact_points(map64, x, u_np, which, settings, region)
        kept = _inliers(x, starts, settings.outlier_distance_scale)
        x, which, manifold = x[kept], which[kept], manifold[kept]
    else:
        q = 0.5 * (map64.residual(x, u_np) ** 2).sum(-1)
        kind = np.where(q <= settings.fixed_q, "fixed", "slow")
        kept = (kind == "fixed") | ((q <= settings.slow_q) & _within(x, region))
        x, which = x[kept], which[kept]
        first = unique_points(x, inputs[which], q[kept], settings.tol_unique)
        x, which = x[first], which[first]
        manifold = np.full(len(x), -1)
    u_np = inputs[which]
    q = 0.5 * (map64.residual(x, u_np) ** 2).sum(-1)
    if exact:
        kind = np.where(np.abs(map64.residual(x, u_np)).max(-1) < settings.root_tol, "fixed", "slow")
    else:
        kind = np.where(q <= settings.fixed_q, "fixed", "slow")
    order = np.lexsort((q, manifold, which))
    return _with_analytics(net, x[order], u_np[order], which[order], inputs, labels, q[order],
                           kind[order], settings, key, manifold[order])


def _exact_points(system: MapSystem, x: np.ndarray, u: np.ndarray, which: np.ndarray,
                  settings: FinderSettings, region: tuple[np.ndarray, np.ndarray]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Polish every candidate; group roots per input (identical ones merged, continuous sets
    sampled), keep unpolishable candidates with q ≤ slow_q inside ``region`` (the box the
    starts span) as slow points away from roots. Returns the points, their input rows and
    continuous-set labels (−1: none)."""
    pol = newton_polish(system, x, u, settings.newton_iters, settings.root_tol)
    roots = pol.converged
    xs, ws, ms = [], [], []
    next_set = 0
    for m in np.unique(which):
        sel = np.flatnonzero(roots & (which == m))
        if sel.size == 0:
            continue
        same, component = group_roots(system, pol.x[sel], u[sel[0]], pol.last_step[sel],
                                      settings.root_tol)
        reps = np.unique(same)
        for c in np.unique(component[reps]):
            members = reps[component[reps] == c]
            if members.size > 1:
                members = members[spread_sample(pol.x[sel[members]], settings.manifold_points)]
                ms.append(np.full(members.size, next_set))
                next_set += 1
            else:
                ms.append(np.full(1, -1))
            xs.append(pol.x[sel[members]])
            ws.append(np.full(members.size, m))
    slow = np.flatnonzero(~roots & (_q(system, pol.x, u) <= settings.slow_q)
                          & _within(pol.x, region))
    if slow.size:
        q_slow = _q(system, pol.x[slow], u[slow])
        first = slow[unique_points(pol.x[slow], u[slow], q_slow, settings.tol_unique)]
        if xs:
            root_x, root_w = np.concatenate(xs), np.concatenate(ws)
            near = np.array([bool((np.abs(root_x[root_w == which[i]] - pol.x[i]).max(-1)
                                   < settings.tol_unique).any()) for i in first])
            first = first[~near] if near.size else first
        xs.append(pol.x[first])
        ws.append(which[first])
        ms.append(np.full(first.size, -1))
    if not xs:
        return np.zeros((0, x.shape[1])), np.zeros(0, int), np.zeros(0, int)
    return np.concatenate(xs), np.concatenate(ws), np.concatenate(ms)


def _q(system: MapSystem, x: np.ndarray, u: np.ndarray) -> np.ndarray:
    return 0.5 * (system.residual(x, u) ** 2).sum(-1)


def _within(x: np.ndarray, region: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Points inside the box ``region`` = (low, high) per state component. Slow points are
    kept only there: outside the states the starts came from, a descent on q mostly finds
    saturated gates (a GRU's z → 1 makes every state nearly fixed), not slow dynamics."""
    return ((x >= region[0]) & (x <= region[1])).all(-1)


def _inliers(x: np.ndarray, starts: np.ndarray, scale: float) -> np.ndarray:
    """FixedPointFinder's rule: within ``scale`` × the starts' mean distance to their centroid."""
    if scale <= 0:
        return np.ones(len(x), dtype=bool)
    centre = starts.mean(0)
    spread = np.linalg.norm(starts - centre, axis=1).mean()
    return np.linalg.norm(x - centre, axis=1) <= scale * max(spread, 1e-12)


def _with_analytics(net: DynamicalSystem, x: np.ndarray, u: np.ndarray, which: np.ndarray,
                    inputs: np.ndarray, labels: list[str], q: np.ndarray, kind: np.ndarray,
                    settings: FinderSettings, key: str, manifold: np.ndarray) -> FixedPoints:
    n = net.state_size
    if len(x):
        lin = analyse_points(net, x, u)
        values, right, left = lin.eigenvalues, lin.right, lin.left
    else:
        values = np.zeros((0, n), complex)
        right = left = np.zeros((0, n, n), complex)
    unstable = int((np.abs(values) > 1).sum(-1).max()) if len(x) else 0
    modes = min(n, max(settings.n_modes, unstable))
    dims = np.where(manifold >= 0, np.maximum(1, (np.abs(values - 1.0) < 1e-6).sum(-1)), 0)
    return FixedPoints(x=x, u=u, input_index=which.astype(np.int64), inputs=inputs,
                       input_labels=list(labels), q=q, kind=np.asarray(kind, dtype=str),
                       eigenvalues=values, right=right[..., :modes].copy(),
                       left=left[..., :modes].copy(),
                       alpha=np.nan if net.alpha is None else net.alpha, key=key,
                       settings=_settings_dict(settings), manifold=manifold, manifold_dim=dims)


# storage -----------------------------------------------------------------------------------
def store_fixed_points(path: str | os.PathLike, points: FixedPoints) -> Path:
    """Write ``points`` to ``analyses/fixedpoints/<key>`` of a model file, replacing it atomically."""
    if not points.key:
        raise ConfigError("fixed points need a key to be stored")
    attrs = {"settings": points.settings,
             "created": _dt.datetime.now(_dt.timezone.utc).isoformat()}
    update_model(path, f"{GROUP}/{points.key}", points.to_tree(), attrs)
    return Path(path)


def fixed_point_keys(path: str | os.PathLike) -> list[str]:
    """Keys of the fixed-point results stored in a model file."""
    return list_groups(path, GROUP)


def load_fixed_points(path: str | os.PathLike, key: str | None = None) -> FixedPoints:
    """Read stored fixed points; without ``key``, the most recently stored result."""
    keys = fixed_point_keys(path)
    if not keys:
        raise RnnToolError(f"{path}: no stored fixed points (run rnntool fixedpoints first)")
    if key is None:
        with h5py.File(path, "r") as f:
            key = max(keys, key=lambda k: str(f[f"{GROUP}/{k}"].attrs.get("created", "")))
    elif key not in keys:
        raise RnnToolError(f"{path}: no fixed points {key!r} (stored: {', '.join(keys)})")
    tree = read_group(path, f"{GROUP}/{key}")
    settings = tree.pop("settings", "{}")
    return FixedPoints.from_tree(tree, key, json.loads(settings) if isinstance(settings, str) else settings)


def find_and_store(path: str | os.PathLike, mode: str | None = None, inputs: str | None = None,
                   interpolate: tuple[str, str] | None = None, steps: int = 11,
                   settings: FinderSettings | None = None,
                   device: str = "cpu") -> tuple[FixedPoints, Path]:
    """Load a model, find its fixed points for one input specification (see :func:`input_set`)
    and store them; returns the points and the file written."""
    from rnntool.models import load_model, open_loop

    model = open_loop(load_model(path, device), "fixed-point search")
    settings = settings or FinderSettings()
    if settings.seed is None:
        settings = replace(settings, seed=model.record.seed)
    arr, labels, stem = input_set(model.task, model.network.config.n_in, mode, inputs,
                                  interpolate, steps)
    points = find_fixed_points(model.network, arr, model.task, settings, labels,
                               result_key(stem, settings.method))
    return points, store_fixed_points(path, points)
