"""Fixed and slow points of a network under constant inputs, found as one batched problem.

For every initial state x and constant input u the finder minimises
q(x) = ½‖F(x, u) − x‖², F being the network's own step (:meth:`CTRNN.step`, so the model's
α and clamps hold). All initial states of all inputs form one batch: Adam with a per-point
adaptive learning rate, and each point frozen as soon as q < tol_q or |Δq| < tol_dq·lr.
``method="exact"`` then polishes the distinct candidates with batched damped Newton steps
in float64 (analytic Jacobian J − I, Levenberg–Marquardt steps where it is singular) and
keeps as fixed points only those whose residual max|F(x) − x| falls below ``root_tol``;
the rest are kept as slow points.
Points are de-duplicated with a KD-tree on (x*, u), keeping the smallest q, and every
unique point is linearised (:mod:`rnntool.analysis.point_analytics`).

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

from rnntool.analysis.point_analytics import (Spectrum, analyse_points, float64_network,
                                              map_jacobians, residuals)
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
        method: ``approx`` (Adam only) or ``exact`` (Adam, then Newton-polished roots).
        n_inits: initial states in all, shared evenly among the inputs (at least 16 each).
        init_from: ``trajectories`` (states visited on task trials, plus Gaussian noise of
            std ``noise_scale``), ``box`` (uniform in [−box_scale, box_scale]^N) or ``both``.
        trajectory_trials: task trials simulated to sample visited states.
        tol_q, tol_dq, max_iters, lr_init: Adam's stopping rule and step size.
        exact_iters: Adam iterations before polishing in ``exact`` mode.
        root_tol: largest max|F(x) − x| of an exact fixed point (float64).
        fixed_q: in ``approx`` mode, points with q ≤ fixed_q are labelled fixed.
        slow_q: points with fixed_q < q ≤ slow_q are kept as slow points; others dropped.
        tol_unique: points closer than this in (x*, u) are one point.
        outlier_distance_scale: drop points farther from the initial states' centroid than
            this multiple of the initial states' mean distance to it (0 disables).
        newton_iters: damped Newton iterations at most.
        n_modes: leading eigenvectors stored per point (at least every unstable one).
        dtype: precision of the Adam stage (polishing is always float64); float32 halves
            the cost but stalls near q ≈ 1e-12 (|Δq| rounds to 0).
        seed: seed of the initial states (None: the model's seed).
    """

    method: str = "approx"
    n_inits: int = 1024
    init_from: str = "trajectories"
    noise_scale: float = 0.5
    box_scale: float = 5.0
    trajectory_trials: int = 64
    tol_q: float = 1e-12
    tol_dq: float = 1e-20
    max_iters: int = 5000
    exact_iters: int = 500
    lr_init: float = 1.0
    root_tol: float = 1e-10
    fixed_q: float = 1e-10
    slow_q: float = 1e-3
    tol_unique: float = 1e-3
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
        if self.n_inits < 1 or self.max_iters < 1 or self.trajectory_trials < 1:
            raise ConfigError("n_inits, max_iters and trajectory_trials must be ≥ 1")
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

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def is_fixed(self) -> np.ndarray:
        return self.kind == "fixed"

    @property
    def stable(self) -> np.ndarray:
        """Stable as the network is simulated (the map) (P,)."""
        return self.stable_map

    def select(self, mask: np.ndarray) -> "FixedPoints":
        """The points where ``mask`` holds (inputs and settings unchanged)."""
        per_point = ("x", "u", "input_index", "q", "kind", "eigenvalues", "right", "left")
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
                "alpha": float(self.alpha)}
        return {k: v for k, v in tree.items() if v is not None}

    @classmethod
    def from_tree(cls, tree: dict[str, Any], key: str, settings: dict[str, Any]) -> "FixedPoints":
        return cls(x=tree["x"], u=tree["u"], input_index=tree["input_index"],
                   inputs=tree["inputs"], input_labels=[str(s) for s in tree["input_labels"]],
                   q=tree["q"], kind=np.asarray(tree["kind"]).astype(str),
                   eigenvalues=tree["eigenvalues"], right=tree["right"], left=tree["left"],
                   alpha=float(tree["alpha"]), key=key, settings=settings)


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
    """``count`` starting states (count, N) drawn as ``settings.init_from`` says."""
    n = net.state_size
    n_box = {"trajectories": 0, "box": count, "both": count // 2}[settings.init_from]
    if task is None:
        n_box = count
    parts = []
    if count - n_box > 0:
        pool = visited_states(net, task, settings.trajectory_trials, generator)
        pick = torch.randint(0, pool.shape[0], (count - n_box,), generator=generator)
        noise = torch.randn((count - n_box, n), generator=generator, dtype=pool.dtype)
        parts.append(pool[pick] + settings.noise_scale * noise.to(pool.device))
    if n_box:
        box = (2 * torch.rand((n_box, n), generator=generator) - 1) * settings.box_scale
        parts.append(box.to(net.device, net.dtype))
    return net.clamp(torch.cat(parts)[None])[0].to(net.dtype)


# the search --------------------------------------------------------------------------------
def minimise_q(net: DynamicalSystem, x: torch.Tensor, u: torch.Tensor, settings: FinderSettings,
               max_iters: int, compact_every: int = 25) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Adam on q for all points at once, each frozen when it converges.

    The gradient (J − I)ᵀ(F(x) − x) is a vector-Jacobian product through :meth:`CTRNN.step`.
    Each point has its own learning rate: halved when its q rises, grown by 5 % (up to
    ``lr_init``) while it falls. Converged points stop moving at once and leave the batch
    every ``compact_every`` iterations. Returns the states, their q and the iterations run.
    """
    b1, b2, eps = 0.9, 0.999, 1e-8
    out = x.detach().clone()
    rows = torch.arange(x.shape[0], device=x.device)
    xa, ua = out.clone(), u
    m, v = torch.zeros_like(xa), torch.zeros_like(xa)
    lr = torch.full((xa.shape[0],), settings.lr_init, dtype=xa.dtype, device=xa.device)
    q_prev = torch.full_like(lr, float("inf"))
    live = torch.ones_like(lr, dtype=torch.bool)
    iters = 0
    for it in range(1, max_iters + 1):
        iters = it
        xg = xa.requires_grad_(True)
        r = net.step(xg[None], ua[None])[0] - xg
        q = 0.5 * (r * r).sum(-1)
        (grad,) = torch.autograd.grad(q.sum(), xg)
        q = q.detach()
        live = live & ~((q < settings.tol_q) | ((q_prev - q).abs() < settings.tol_dq * lr))
        lr = torch.where(q > q_prev, lr * 0.5, torch.clamp(lr * 1.05, max=settings.lr_init))
        q_prev = q
        m.mul_(b1).add_(grad, alpha=1 - b1)
        v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        step = (lr * live)[:, None] * (m / (1 - b1 ** it)) / ((v / (1 - b2 ** it)).sqrt() + eps)
        xa = xa.detach() - step
        if it % compact_every == 0 or it == max_iters or not live.any():
            out[rows] = xa
            if not live.any():
                break
            rows, xa, ua, m, v, lr, q_prev, live = (
                t[live] for t in (rows, xa, ua, m, v, lr, q_prev, live))
    with torch.no_grad():
        r = net.step(out[None], u[None])[0] - out
    return out, 0.5 * (r * r).sum(-1), iters


def _steps(a: np.ndarray, r: np.ndarray, damping: np.ndarray) -> np.ndarray:
    """Newton steps (J − I)δ = −r where ``damping`` is 0, Levenberg–Marquardt steps
    (AᵀA + λI)δ = −Aᵀr elsewhere (always a descent direction for q)."""
    delta = np.empty_like(r)
    newton = damping == 0
    if newton.any():
        try:
            delta[newton] = -np.linalg.solve(a[newton], r[newton][..., None])[..., 0]
        except np.linalg.LinAlgError:
            damping = np.where(newton, 1e-8, damping)
            newton[:] = False
    lm = ~newton
    if lm.any():
        at = np.swapaxes(a[lm], 1, 2)
        normal = at @ a[lm] + damping[lm, None, None] * np.eye(a.shape[-1])
        delta[lm] = -np.linalg.solve(normal, at @ r[lm][..., None])[..., 0]
    return delta


def polish_roots(net: DynamicalSystem, x: np.ndarray, u: np.ndarray, iters: int = 50, tol: float = 1e-10,
                 chunk: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Batched Newton / Levenberg–Marquardt on F(x, u) − x = 0 in float64, analytic Jacobian.

    Each point takes Newton steps (J − I)δ = −r with backtracking (δ, δ/2, …, δ/16) while
    they reduce ½‖r‖²; when none does (near-singular J − I far from a root) it switches to
    Levenberg–Marquardt steps with its own damping λ (÷10 on success, ×10 on failure) and
    back to Newton once λ < 1e-9. NumPy's batched solver runs ``chunk`` points at a time to
    bound memory. Returns the points and their residuals max|F(x) − x|.
    """
    net64 = float64_network(net)
    x = np.array(x, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    r = residuals(net64, x, u)
    q = 0.5 * (r ** 2).sum(-1)
    eye = np.eye(x.shape[1])
    damping = np.zeros(len(x))
    active = np.abs(r).max(-1) >= tol
    for _ in range(iters):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        for part in np.array_split(idx, -(-idx.size // chunk)):
            delta = _steps(map_jacobians(net64, x[part], u[part]) - eye, r[part], damping[part])
            moved = np.zeros(part.size, dtype=bool)
            for t in (1.0, 0.5, 0.25, 0.125, 0.0625):
                todo = ~moved & ((damping[part] == 0) | (t == 1.0))
                if not todo.any():
                    break
                cand = x[part[todo]] + t * delta[todo]
                r_c = residuals(net64, cand, u[part[todo]])
                q_c = 0.5 * (r_c ** 2).sum(-1)
                better = q_c < q[part[todo]]
                sel = part[todo][better]
                x[sel], r[sel], q[sel] = cand[better], r_c[better], q_c[better]
                moved[np.flatnonzero(todo)[better]] = True
            lam = damping[part]
            lam = np.where(moved, np.where(lam < 1e-9, 0.0, lam / 10),
                           np.where(lam == 0, 1e-3, lam * 10))
            damping[part] = lam
        active = (np.abs(r).max(-1) >= tol) & (damping < 1e8)
    return x, np.abs(r).max(-1)


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
    gen = Seeds(0 if settings.seed is None else settings.seed).generator("analysis")
    per_input = max(16, -(-settings.n_inits // len(inputs)))
    x0 = initial_states(work, task, per_input * len(inputs), settings, gen)
    which = np.repeat(np.arange(len(inputs)), per_input)
    u = torch.as_tensor(inputs[which], dtype=work.dtype, device=work.device)
    iters = settings.max_iters if settings.method == "approx" else min(settings.exact_iters,
                                                                       settings.max_iters)
    x, q, _ = minimise_q(work, x0, u, settings, iters)
    x, q, u_np = x.cpu().double().numpy(), q.cpu().double().numpy(), inputs[which]
    keep = _inliers(x, x0.cpu().double().numpy(), settings.outlier_distance_scale)
    keep &= np.isfinite(q)
    x, q, which, u_np = x[keep], q[keep], which[keep], u_np[keep]
    first = unique_points(x, u_np, q, settings.tol_unique)
    x, q, which, u_np = x[first], q[first], which[first], u_np[first]
    if settings.method == "exact":
        roots, res = polish_roots(net, x, u_np, settings.newton_iters, settings.root_tol)
        is_root = res < settings.root_tol
        x = np.where(is_root[:, None], roots, x)
        q = 0.5 * (residuals(net, x, u_np) ** 2).sum(-1)
        kind = np.where(is_root, "fixed", "slow")
    else:
        q = 0.5 * (residuals(net, x, u_np) ** 2).sum(-1)
        kind = np.where(q <= settings.fixed_q, "fixed", "slow")
    kept = (kind == "fixed") | (q <= settings.slow_q)
    x, q, which, u_np, kind = x[kept], q[kept], which[kept], u_np[kept], kind[kept]
    final = unique_points(x, u_np, q, settings.tol_unique)
    x, q, which, u_np, kind = x[final], q[final], which[final], u_np[final], kind[final]
    order = np.lexsort((q, which))
    x, q, which, u_np, kind = x[order], q[order], which[order], u_np[order], kind[order]
    return _with_analytics(net, x, u_np, which, inputs, labels, q, kind, settings, key)


def _inliers(x: np.ndarray, starts: np.ndarray, scale: float) -> np.ndarray:
    """FixedPointFinder's rule: within ``scale`` × the starts' mean distance to their centroid."""
    if scale <= 0:
        return np.ones(len(x), dtype=bool)
    centre = starts.mean(0)
    spread = np.linalg.norm(starts - centre, axis=1).mean()
    return np.linalg.norm(x - centre, axis=1) <= scale * max(spread, 1e-12)


def _with_analytics(net: DynamicalSystem, x: np.ndarray, u: np.ndarray, which: np.ndarray,
                    inputs: np.ndarray, labels: list[str], q: np.ndarray, kind: np.ndarray,
                    settings: FinderSettings, key: str) -> FixedPoints:
    n = net.state_size
    if len(x):
        lin = analyse_points(net, x, u)
        values, right, left = lin.eigenvalues, lin.right, lin.left
    else:
        values = np.zeros((0, n), complex)
        right = left = np.zeros((0, n, n), complex)
    unstable = int((np.abs(values) > 1).sum(-1).max()) if len(x) else 0
    modes = min(n, max(settings.n_modes, unstable))
    return FixedPoints(x=x, u=u, input_index=which.astype(np.int64), inputs=inputs,
                       input_labels=list(labels), q=q, kind=np.asarray(kind, dtype=str),
                       eigenvalues=values, right=right[..., :modes].copy(),
                       left=left[..., :modes].copy(), alpha=np.nan if net.alpha is None else net.alpha, key=key,
                       settings=_settings_dict(settings))


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
    from rnntool.models import load_model

    model = load_model(path, device)
    settings = settings or FinderSettings()
    if settings.seed is None:
        settings = replace(settings, seed=model.record.seed)
    arr, labels, stem = input_set(model.task, model.network.config.n_in, mode, inputs,
                                  interpolate, steps)
    points = find_fixed_points(model.network, arr, model.task, settings, labels,
                               result_key(stem, settings.method))
    return points, store_fixed_points(path, points)
