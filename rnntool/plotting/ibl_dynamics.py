"""Figures of the IBL dynamics analyses (Schaeffer et al. 2020): task-aligned state space,
vector fields, fixed points and basins, the effective circuit and distillation.

Each figure reads what :mod:`rnntool.analysis.ibl_statespace`,
:mod:`rnntool.analysis.ibl_vectorfield`, :mod:`rnntool.analysis.ibl_circuit` and
:mod:`rnntool.distill` stored in a model file; :func:`ibl_kinds` says which apply to a
model and :data:`WHY` why the others do not.
"""

from __future__ import annotations

from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rnntool.analysis.ibl_circuit import READOUT_GROUPS, TASK_VARIABLES, has_circuit, load_circuit  # noqa: E402
from rnntool.analysis.ibl_statespace import StateSpace, has_state_space, load_state_space  # noqa: E402
from rnntool.analysis.ibl_vectorfield import VectorField, has_vector_field, load_vector_field  # noqa: E402
from rnntool.distill import load_comparison  # noqa: E402
from rnntool.plotting.kinds import IBL_KINDS  # noqa: E402,F401  (the kinds drawn here)

WHY = {"statespace": "no task-aligned state space; run rnntool statespace first",
       "effects": "no task-aligned state space; run rnntool statespace first",
       "vectorfield": "no vector fields; run rnntool vectorfield first",
       "realfield": "no vector fields; run rnntool vectorfield first",
       "basins": "no vector fields; run rnntool vectorfield first",
       "circuit": "no circuit analysis; run rnntool statespace first",
       "distillation": "not a distilled model (rnntool distill writes them)"}
BLOCK_COLOURS = {-1: "tab:red", 1: "tab:blue"}
BLOCK_NAMES = {-1: "left block", 1: "right block"}


def ibl_kinds(model: Any) -> list[str]:
    """The kinds of this module a model's file has data for."""
    kinds = []
    if has_state_space(model.path):
        kinds += ["statespace", "effects"]
    if has_vector_field(model.path):
        kinds += ["vectorfield", "realfield", "basins"]
    if has_circuit(model.path):
        kinds.append("circuit")
    if model.record.training.get("method") in ("radd", "soft"):
        kinds.append("distillation")
    return kinds


def ibl_draw(model: Any) -> dict[str, Callable[[], plt.Figure]]:
    name = model.record.name
    return {"statespace": lambda: statespace_figure(*load_state_space(model.path), name),
            "effects": lambda: effects_figure(*load_state_space(model.path), name),
            "vectorfield": lambda: field_figure(load_vector_field(model.path), name, "ideal"),
            "realfield": lambda: field_figure(load_vector_field(model.path), name, "real"),
            "basins": lambda: basins_figure(load_vector_field(model.path), name),
            "circuit": lambda: circuit_figure(load_circuit(model.path), name),
            "distillation": lambda: distillation_figure(model.record.training, name,
                                                        load_comparison(model.path))}


# state space -------------------------------------------------------------------------------
def statespace_figure(space: StateSpace, rows: dict[str, np.ndarray], name: str = "") -> plt.Figure:
    """PCA plane with the trial and block vectors, the task-aligned coordinates, the
    spectrum, and the block coordinate through the trials of a block."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 10))
    coords = space.plane
    block = rows["block_side"]
    ax = axes[0, 0]
    sub = _subsample(len(coords), 6000)
    for side in (-1, 1):
        m = sub[block[sub] == side]
        ax.scatter(coords[m, 0], coords[m, 1], s=2, alpha=0.3, color=BLOCK_COLOURS[side],
                   label=BLOCK_NAMES[side], rasterized=True)
    scale = 0.45 * np.abs(coords).max()
    for vec, label, colour in ((space.trial_vector_pca, "trial vector", "k"),
                               (space.block_vector_pca, "block vector", "tab:green")):
        ax.annotate("", xy=scale * vec[:2], xytext=(0, 0),
                    arrowprops=dict(arrowstyle="-|>", color=colour, lw=2))
        ax.text(*(scale * 1.08 * vec[:2]), label, color=colour, fontsize=9)
    ax.set(xlabel=f"PC1 ({100 * space.explained[0]:.1f}% var.)",
           ylabel=f"PC2 ({100 * space.explained[1]:.1f}% var.)",
           title=f"PC1–PC2 (arrows: the vectors' projections); angle(trial, block) = "
                 f"{space.angle_full:.1f}°")
    ax.legend(fontsize=8, markerscale=4, loc="lower right")
    ax = axes[0, 1]
    for side in (-1, 1):
        m = sub[block[sub] == side]
        ax.scatter(space.z[m, 0], space.z[m, 1], s=2, alpha=0.3, color=BLOCK_COLOURS[side],
                   label=BLOCK_NAMES[side], rasterized=True)
    ax.axhline(0, color="0.6", lw=0.6)
    ax.axvline(0, color="0.6", lw=0.6)
    ax.set(xlabel="along the trial vector (readout)", ylabel="along the block vector",
           title=f"task-aligned coordinates; block decoder held-out accuracy "
                 f"{space.decoder_accuracy:.3f}")
    ax.legend(fontsize=8, markerscale=4)
    ax = axes[1, 0]
    k = min(20, len(space.variance))
    ax.bar(np.arange(1, k + 1), space.explained[:k], color="0.5", label="per component")
    ax.plot(np.arange(1, k + 1), np.cumsum(space.explained)[:k], "o-", color="k", ms=3,
            label="cumulative")
    ax.set(xlabel="principal component", ylabel="fraction of variance", ylim=(0, 1.02),
           title="hidden-state spectrum")
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    ends = rows["trial_end"].astype(bool)
    tib = rows["trial_in_block"][ends]
    zb = space.z[ends, 1]
    bs = block[ends]
    for side in (-1, 1):
        m = bs == side
        t = np.arange(min(60, int(tib[m].max()) + 1 if m.any() else 0))
        mean = np.array([zb[m & (tib == i)].mean() if (m & (tib == i)).any() else np.nan for i in t])
        ax.plot(t, mean, color=BLOCK_COLOURS[side], label=BLOCK_NAMES[side])
    ax.axhline(0, color="0.6", lw=0.6)
    ax.set(xlabel="trial within block", ylabel="block coordinate at trial end (mean)",
           title="the block coordinate tracks the block")
    ax.legend(fontsize=8)
    fig.suptitle(f"{name}: task-aligned state space", fontsize=13)
    fig.tight_layout()
    return fig


def effects_figure(space: StateSpace, rows: dict[str, np.ndarray], name: str = "") -> plt.Figure:
    """Δz along the trial and block vectors against the observation d = R − L, the feedback
    and the side the feedback reveals as rewarded, with the fitted slopes and p-values."""
    fig, axes = plt.subplots(3, 2, figsize=(12, 12.5))
    fb = np.asarray(rows["previous_feedback"], float)
    outcome = np.abs(np.abs(fb) - 1) < 1e-9
    acted = np.zeros(len(fb))
    acted[1:] = rows["action_side"][:-1]
    acted[np.r_[True, rows["session"][1:] != rows["session"][:-1]]] = 0
    causes = (("observation", ~rows["blank"].astype(bool),
               rows["right_stimulus"] - rows["left_stimulus"], "observation d = R − L"),
              ("feedback", outcome, fb, "feedback (previous outcome)"),
              ("rewarded_side", outcome & (acted != 0), fb * acted,
               "side revealed as rewarded (feedback × chosen side)"))
    for row, (cause, mask, x, label) in enumerate(causes):
        for col, direction in enumerate(("trial", "block")):
            ax = axes[row, col]
            sel = np.flatnonzero(mask)
            sub = sel[_subsample(len(sel), 5000)]
            jitter = 0 if cause == "observation" else \
                0.05 * np.random.default_rng(0).standard_normal(len(sub))
            ax.scatter(x[sub] + jitter, space.z_change[sub, col], s=2, alpha=0.25, color="0.3",
                       rasterized=True)
            e = space.effects[cause]
            slope, icpt = e[f"{direction}_slope"], e[f"{direction}_intercept"]
            if np.isfinite(slope):
                xs = np.linspace(x[sel].min(), x[sel].max(), 2)
                ax.plot(xs, slope * xs + icpt, color="tab:red", lw=2,
                        label=f"slope {slope:.3g} (p {_p(e[f'{direction}_p'])}, "
                              f"r = {e[f'{direction}_r']:.2f})")
                ax.legend(fontsize=8, loc="upper left")
            ax.axhline(0, color="0.6", lw=0.6)
            ax.set(xlabel=label, ylabel=f"change along the {direction} vector",
                   title=f"{cause.replace('_', ' ')} → {direction} direction")
    fig.suptitle(f"{name}: how observations and feedback move the state", fontsize=13)
    fig.tight_layout()
    return fig


# vector fields -----------------------------------------------------------------------------
def field_figure(vf: VectorField, name: str = "", which: str = "ideal") -> plt.Figure:
    """One panel per condition: the ideal field (one step from a hull-clipped grid) or the
    real field (observed transitions), with the fixed points (filled: stable)."""
    fig, axes = plt.subplots(2, 3, figsize=(16, 10), sharex=True, sharey=True)
    for i, ax in enumerate(axes.ravel()[:len(vf.labels)]):
        if which == "ideal":
            q = ax.quiver(vf.grid[:, 0], vf.grid[:, 1], vf.ideal[i, :, 0], vf.ideal[i, :, 1],
                          vf.ideal_norm[i], cmap="viridis", angles="xy")
            fig.colorbar(q, ax=ax, shrink=0.8, label="‖step‖")
        else:
            m = vf.real_condition == i
            if m.any():
                ax.quiver(vf.real_from[m, 0], vf.real_from[m, 1], vf.real_delta[m, 0],
                          vf.real_delta[m, 1], np.linalg.norm(vf.real_delta[m], axis=1),
                          cmap="viridis", angles="xy", scale_units="xy", scale=1, width=0.003)
            ax.text(0.02, 0.02, f"{int(m.sum())} transitions", transform=ax.transAxes,
                    fontsize=8)
        _points(ax, vf, i)
        ax.set_title(f"{vf.labels[i]}  (L, R, fb) = ({vf.conditions[i, 0]:g}, "
                     f"{vf.conditions[i, 1]:g}, {vf.conditions[i, 2]:g})", fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel("PC1")
    for ax in axes[:, 0]:
        ax.set_ylabel("PC2")
    kind = ("ideal field: one step from each grid state (inside the hull of visited states)"
            if which == "ideal" else "real field: observed transitions under each condition")
    fig.suptitle(f"{name}: {kind}; fixed points filled = stable (|λ| < 1), hollow = unstable",
                 fontsize=12)
    fig.tight_layout()
    return fig


def _points(ax: plt.Axes, vf: VectorField, i: int) -> None:
    m = vf.points_condition == i
    for stable in (True, False):
        s = m & (vf.points_stable == stable)
        if s.any():
            ax.scatter(vf.points_pca[s, 0], vf.points_pca[s, 1], s=80, zorder=5,
                       facecolor="tab:red" if stable else "none", edgecolor="tab:red", lw=2)


def basins_figure(vf: VectorField, name: str = "") -> plt.Figure:
    """Per condition: the fixed point each grid state settles at (colour), the region a
    Lyapunov function certifies (black outline), and the slowest time constants."""
    fig, axes = plt.subplots(2, 4, figsize=(20, 9.5),
                             gridspec_kw={"width_ratios": [1, 1, 1, 0.9]})
    panels = [axes[r, c] for r in range(2) for c in range(3)]
    cmap = plt.get_cmap("tab10")
    for i, ax in enumerate(panels[:len(vf.labels)]):
        lab = vf.basin[i]
        colours = [cmap(v % 10) if v >= 0 else (0.85, 0.85, 0.85, 1) for v in lab]
        ax.scatter(vf.grid[:, 0], vf.grid[:, 1], c=colours, s=60, marker="s")
        cert = vf.lyapunov[i] >= 0
        ax.scatter(vf.grid[cert, 0], vf.grid[cert, 1], s=60, marker="s", facecolor="none",
                   edgecolor="k", lw=1.2)
        _points(ax, vf, i)
        ax.set_title(f"{vf.labels[i]}: {len(set(lab[lab >= 0].tolist()))} basin(s), "
                     f"{100 * cert.mean():.0f}% certified", fontsize=10)
        ax.set(xlabel="PC1", ylabel="PC2")
    ax = axes[0, 3]
    for i, label in enumerate(vf.labels):
        m = (vf.points_condition == i) & vf.points_stable
        if m.any():
            tau = vf.points_tau[m][0]
            ax.plot(np.arange(1, len(tau) + 1), tau, "o-", ms=4, label=label)
    ax.set(xlabel="mode (slowest first)", ylabel="time constant τ = −1/ln|λ| (steps)",
           title="stable points: Jacobian time constants", yscale="log")
    ax.legend(fontsize=7)
    axes[1, 3].axis("off")
    axes[1, 3].text(0, 0.95, "grey: settles at no stable point\ncolour: the stable point "
                    "reached\nblack outline: inside the Lyapunov\n   sublevel set certified "
                    "on the grid", va="top", fontsize=9)
    fig.suptitle(f"{name}: basins of attraction under the six conditions", fontsize=13)
    fig.tight_layout()
    return fig


# circuit -----------------------------------------------------------------------------------
def circuit_figure(c: Any, name: str = "") -> plt.Figure:
    """Unit correlations and W_rec ordered by cluster, the mean weight between clusters and
    between readout groups, and each cluster's correlation with the task variables."""
    fig, axes = plt.subplots(2, 3, figsize=(17, 10))
    n = len(c.cluster)
    o = c.order
    bounds = np.flatnonzero(np.diff(c.cluster[o])) + 0.5
    for ax, mat, title, cmap in ((axes[0, 0], c.correlation[:n, :n][np.ix_(o, o)],
                                  "unit correlations (ordered by cluster)", "RdBu_r"),
                                 (axes[0, 1], c.w_rec[np.ix_(o, o)],
                                  "W_rec ordered by cluster (row: to, column: from)", "RdBu_r")):
        lim = np.abs(mat).max() or 1
        im = ax.imshow(mat, cmap=cmap, vmin=-lim, vmax=lim)
        for b in bounds:
            ax.axhline(b, color="k", lw=0.8)
            ax.axvline(b, color="k", lw=0.8)
        ax.set_title(title, fontsize=10)
        fig.colorbar(im, ax=ax, shrink=0.8)
    for ax, stats, labels, title in ((axes[0, 2], c.cluster_weights,
                                      [f"C{i}" for i in range(len(c.cluster_weights))],
                                      "mean W_rec between clusters"),
                                     (axes[1, 0], c.group_weights, list(READOUT_GROUPS),
                                      "mean W_rec between readout groups")):
        mean = np.nan_to_num(stats[..., 0])
        lim = np.abs(mean).max() or 1
        im = ax.imshow(mean, cmap="RdBu_r", vmin=-lim, vmax=lim)
        for (r, col), v in np.ndenumerate(stats[..., 2]):
            ax.text(col, r, f"{mean[r, col]:.2f}\nn={int(v)}", ha="center", va="center", fontsize=7)
        ax.set_xticks(range(len(labels)), labels, rotation=30, fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set(xlabel="from", ylabel="to", title=title)
        fig.colorbar(im, ax=ax, shrink=0.8)
    ax = axes[1, 1]
    lim = np.abs(c.task_correlation).max() or 1
    im = ax.imshow(c.task_correlation, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    ax.set_xticks(range(len(TASK_VARIABLES)), TASK_VARIABLES, rotation=20, fontsize=8)
    ax.set_yticks(range(len(c.task_correlation)),
                  [f"C{i} ({int((c.cluster == i).sum())} units)" for i in range(len(c.task_correlation))],
                  fontsize=8)
    ax.set_title("clusters' mean correlation with task variables", fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.8)
    ax = axes[1, 2]
    counts = np.bincount(c.readout_group, minlength=len(READOUT_GROUPS))
    ax.bar(range(len(READOUT_GROUPS)), counts, color="0.5")
    ax.set_xticks(range(len(READOUT_GROUPS)), READOUT_GROUPS, rotation=20)
    ax.set(ylabel="units", title="units per readout group (|component| ≥ 0.15)")
    fig.suptitle(f"{name}: effective circuit", fontsize=13)
    fig.tight_layout()
    return fig


# distillation ------------------------------------------------------------------------------
def distillation_figure(training: dict[str, Any], name: str = "",
                        comparison: dict[str, dict[str, float]] | None = None) -> plt.Figure:
    """RADD: fitted matrices, R² and error accumulation; soft: the training loss; both: the
    accuracies of the teacher, the distillate and other agents on the same sessions."""
    if training.get("method") == "soft":
        fig, axes = plt.subplots(1, 2, figsize=(14, 5))
        h = training["history"]
        axes[0].plot(h["iteration"], h["loss"], color="k")
        axes[0].set(xlabel="student step", ylabel="soft cross-entropy (teacher → student)",
                    title=f"soft-target distillation from {training.get('teacher_name', '?')}")
        comparison_panel(axes[1], comparison)
        fig.suptitle(f"{name}: soft-target distillation", fontsize=12)
        fig.tight_layout()
        return fig
    fit = training["fit"]
    fig, axes = plt.subplots(1, 4, figsize=(22, 5))
    comparison_panel(axes[3], comparison)
    ax = axes[0]
    mat = np.concatenate([fit["A"], fit["B"], fit["c"][:, None]], 1)
    lim = np.abs(mat).max() or 1
    ax.imshow(mat, cmap="RdBu_r", vmin=-lim, vmax=lim)
    for (r, col), v in np.ndenumerate(mat):
        ax.text(col, r, f"{v:.2f}", ha="center", va="center", fontsize=9)
    ax.set_xticks(range(6), ["A′ trial", "A′ block", "B′ L", "B′ R", "B′ fb", "c"], rotation=20)
    ax.set_yticks([0, 1], ["trial unit", "block unit"])
    ax.set_title("arctanh(z_t/s) = A′ z_{t−1}/s + B′ u_t + c", fontsize=10)
    ax = axes[1]
    r2 = fit["r2_test"]
    bars = {"one-step R², trial (test)": r2[0], "one-step R², block (test)": r2[1],
            "simulated R² (test)": fit["r2_simulated"], "readout R²": fit["readout_r2"]}
    ax.barh(list(bars), list(bars.values()), color="0.5")
    for i, v in enumerate(bars.values()):
        ax.text(max(v, 0), i, f" {v:.3f}", va="center", fontsize=9)
    ax.set(xlim=(min(0, *bars.values()), 1.15), title="fit quality on held-out sessions")
    ax = axes[2]
    for key, style, colour in (("hidden", "-", "k"), ("task_aligned", "-", "tab:blue"),
                               ("radd", "--", "tab:red"), ("radd_full", ":", "tab:purple"),
                               ("control", "-", "0.6")):
        e = fit["errors"].get(key)
        if e is not None:
            ax.plot(np.arange(len(e)), e[:, 0], style, color=colour, label=key.replace("_", " "))
    ax.set(yscale="log", xlabel="difference order n", ylabel="mean ‖Δⁿ x‖ / √dim",
           title="error accumulation by difference order")
    ax.legend(fontsize=8)
    fig.suptitle(f"{name}: RADD distillation of {training.get('teacher_name', '?')} "
                 f"(scale s = {float(fit['scale']):.3g})", fontsize=12)
    fig.tight_layout()
    return fig


def comparison_panel(ax: plt.Axes, comparison: dict[str, dict[str, float]] | None) -> None:
    """Accuracy per trial of every compared agent (the same sessions), units in brackets."""
    if not comparison:
        ax.axis("off")
        ax.text(0, 0.5, "no comparison stored (rnntool distill writes one)", fontsize=9)
        return
    names = list(comparison)
    acc = [comparison[n]["correct_per_trial"] for n in names]
    ax.bar(range(len(names)), acc, color=["k"] + ["tab:red"] + ["0.6"] * (len(names) - 2))
    for i, v in enumerate(acc):
        ax.text(i, v, f"{v:.3f}", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(range(len(names)),
                  [f"{n}\n({int(comparison[n]['units'])} units)" for n in names], fontsize=8)
    low = min(acc)
    ax.set(ylim=(max(0, low - 0.1), 1.0), ylabel="P(correct) per trial",
           title="the same sessions for every agent")


# helpers -----------------------------------------------------------------------------------
def _subsample(n: int, limit: int) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, limit, replace=False))


def _p(p: float) -> str:
    return "< 1e-300" if p == 0 else f"= {p:.2g}"
