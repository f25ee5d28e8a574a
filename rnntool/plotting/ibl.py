"""Behaviour figures of the IBL block task (Schaeffer et al., 2020), network beside baselines.

All panels read trial tables (:func:`rnntool.analysis.ibl_behaviour.trial_columns` layout)
keyed by agent name, as returned by :func:`rnntool.analysis.ibl_evaluation.evaluate_ibl`
or read back from a model file.
"""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rnntool.analysis.ibl_behaviour import (by_strength, by_trial_in_block,  # noqa: E402
                                            outcomes_by_strength, psychometric)

LABELS = {"network": "network", "bayesian_actor": "Bayesian actor",
          "observer_at_network_decisions": "Bayesian observer at the network's decision times",
          "bayesian_observer": "Bayesian observer (offline, threshold)",
          "blockless_actor": "blockless actor", "exponential_actor": "exponential actor"}
COLOURS = {"network": "k", "bayesian_actor": "tab:blue", "observer_at_network_decisions": "tab:cyan",
           "bayesian_observer": "tab:purple", "blockless_actor": "tab:orange",
           "exponential_actor": "tab:green"}


SHORT = {**LABELS, "observer_at_network_decisions": "observer at the network's decisions",
         "bayesian_observer": "observer (offline, threshold)"}
#: Session-record columns the task-structure panels read.
SESSION_COLUMNS = ("session", "trial_index", "trial_end", "trial_start", "block_side", "trial_side",
                   "action_side", "correct_action", "blank", "step_in_trial", "left_stimulus",
                   "right_stimulus", "right_probability")
AGENTS = ("network", "bayesian_actor", "observer_at_network_decisions", "bayesian_observer",
          "blockless_actor", "exponential_actor")
SPLIT_LABELS = {"concordant": "concordant", "not_concordant": "discordant",
                "correct": "correct", "not_correct": "incorrect or timeout"}


def _label(name: str) -> str:
    return LABELS.get(name, name)


def behaviour_figure(trials: dict[str, dict[str, np.ndarray]], metrics: dict[str, dict[str, float]],
                     title: str = "", ideal_reward: float | None = None,
                     rows: dict[str, np.ndarray] | None = None) -> plt.Figure:
    """The behaviour panels of Schaeffer et al. (2020): psychometric curves, chronometric
    curves split by concordance and by correctness, P(correct) by trial within block,
    reward rates, outcomes by strength, and P(correct) by strength × concordance for the
    network and each baseline (one panel each, same axes). Given the network's session
    record ``rows``, a first row shows the task structure (:func:`task_structure_panels`)."""
    extra = rows is not None
    fig, all_axes = plt.subplots(4 + extra, 3, figsize=(16, 19 + 4.5 * extra))
    if extra:
        task_structure_panels(all_axes[0], rows)
    axes = all_axes[1:] if extra else all_axes
    net = trials["network"]
    psychometric_panel(axes[0, 0], trials, ("network", "bayesian_actor",
                                            "observer_at_network_decisions"))
    strength_split_panel(axes[0, 1], trials, ("network", "bayesian_actor"), "steps", "concordant")
    strength_split_panel(axes[0, 2], trials, ("network", "bayesian_actor"), "steps", "correct")
    block_panel(axes[1, 0], trials, ("network", "observer_at_network_decisions", "bayesian_actor"))
    reward_panel(axes[1, 1], metrics, ideal_reward)
    outcome_panel(axes[1, 2], net, trials.get("bayesian_actor"))
    for ax, name in zip(axes[2:].ravel(), AGENTS):
        if name in trials:
            strength_split_panel(ax, trials, (name,), "correct", "concordant")
        else:
            ax.set_axis_off()
    fig.suptitle(title or "IBL behaviour", fontsize=13)
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    return fig


def psychometric_panel(ax: plt.Axes, trials: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name not in trials:
            continue
        psy = psychometric(trials[name])
        ax.plot(psy["signed_strength"], psy["p_right"], "o-", color=COLOURS[name], ms=4,
                label=_label(name))
    ax.axhline(0.5, color="0.6", lw=0.6, ls=":")
    ax.axvline(0.0, color="0.6", lw=0.6, ls=":")
    ax.set(xlabel="signed stimulus strength (+ right)", ylabel="P(right action)",
           ylim=(-0.02, 1.02), title="psychometric (trials with an action)")
    ax.legend(fontsize=7, loc="upper left")


def strength_split_panel(ax: plt.Axes, trials: dict[str, Any], names: tuple[str, ...],
                         value: str, split: str) -> None:
    """Mean ``value`` per trial (``steps``: chronometric; ``correct``: P(correct)) by
    stimulus strength, solid where ``split`` holds and dashed where it does not."""
    for name in names:
        if name not in trials:
            continue
        curves = by_strength(trials[name], value, split)
        for key, style in ((split, "-"), (f"not_{split}", "--")):
            c = curves[key]
            ax.plot(c["strength"], c["mean"], "o" + style, color=COLOURS[name], ms=4,
                    label=SPLIT_LABELS[key] if len(names) == 1 else f"{_label(name)}, {SPLIT_LABELS[key]}")
    if value == "correct":
        ax.axhline(0.5, color="0.6", lw=0.6, ls=":")
        who = SHORT.get(names[0], names[0]) if len(names) == 1 else "by agent"
        ax.set(ylabel="P(correct) per trial", ylim=(0, 1.02),
               title=f"P(correct) by strength × block concordance\n{who}")
        ax.legend(fontsize=7, loc="lower right")
    else:
        ax.set(ylabel="steps per trial (incl. blank steps)",
               title=f"chronometric, by {'block concordance' if split == 'concordant' else 'outcome'}")
        ax.legend(fontsize=7, loc="upper right")
    ax.set_xlabel("stimulus strength")


def block_panel(ax: plt.Axes, trials: dict[str, Any], names: tuple[str, ...],
                last: int = 60, width: int = 5) -> None:
    """P(correct) by trial within block, in bins of ``width`` trials (all strengths, and
    zero-strength trials alone, where only the block prior helps)."""
    for name in names:
        if name not in trials:
            continue
        for zero, style in ((False, "o-"), (True, "s:")):
            curve = by_trial_in_block(trials[name], last=last, zero_strength_only=zero)
            if not len(curve["trial_in_block"]):
                continue
            bins = curve["trial_in_block"] // width
            n = np.bincount(bins, curve["count"])
            p = np.bincount(bins, curve["p_correct"] * curve["count"]) / np.maximum(n, 1)
            keep = n > 0
            centre = np.arange(len(n)) * width + (width + 1) / 2
            ax.plot(centre[keep], p[keep], style, color=COLOURS[name], lw=1.2, ms=3,
                    label=f"{_label(name)}{', zero strength' if zero else ''}")
    ax.axhline(0.5, color="0.6", lw=0.6, ls=":")
    ax.set(xlabel=f"trial within block ({width}-trial bins)", ylabel="P(correct)",
           ylim=(0, 1.02), title="P(correct) by trial within block")
    ax.legend(fontsize=6.5, loc="lower right")


def reward_panel(ax: plt.Axes, metrics: dict[str, dict[str, float]],
                 ideal_reward: float | None) -> None:
    names = [n for n in ("network", "bayesian_actor", "exponential_actor", "blockless_actor")
             if n in metrics and "feedback_per_step" in metrics[n]]
    values = [metrics[n]["feedback_per_step"] for n in names]
    ax.bar(range(len(names)), values, color=[COLOURS[n] for n in names])
    for i, v in enumerate(values):
        ax.text(i, v, f"{v:.3f}", ha="center", va="bottom" if v >= 0 else "top", fontsize=8)
    if ideal_reward is not None:
        ax.axhline(ideal_reward, color="tab:red", ls="--", lw=1,
                   label="ideal blockless observer, best fixed number of observations")
        ax.legend(fontsize=7, loc="lower right")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(range(len(names)), [_label(n) for n in names], rotation=15, fontsize=8)
    ax.set(ylabel="mean feedback per step", title="reward rate")


def outcome_panel(ax: plt.Axes, net: dict[str, np.ndarray], actor: dict[str, np.ndarray] | None
                  ) -> None:
    colours = {"correct": "tab:green", "incorrect": "tab:red", "timeout": "0.6"}
    groups = [("network", net)] + ([("Bayesian actor", actor)] if actor is not None else [])
    width = 0.8 / len(groups)
    for g, (label, table) in enumerate(groups):
        out = outcomes_by_strength(table)
        x = np.arange(len(out["strength"])) + (g - (len(groups) - 1) / 2) * width
        bottom = np.zeros(len(x))
        for key, colour in colours.items():
            ax.bar(x, out[key], width * 0.95, bottom=bottom, color=colour,
                   hatch="//" if g else None, edgecolor="w" if g else colour,
                   label=f"{key} ({label})")
            bottom += out[key]
        ticks = out["strength"]
    ax.set_xticks(np.arange(len(ticks)), [f"{s:g}" for s in ticks])
    ax.set(xlabel="stimulus strength", ylabel="fraction of trials", ylim=(0, 1.0),
           title="outcome by strength" + (" (hatched: Bayesian actor)" if actor is not None else ""))
    ax.legend(fontsize=6.5, ncol=2, loc="lower right")


def task_structure_panels(axes: Any, rows: dict[str, np.ndarray], session: int = 0,
                          trials_shown: int = 300, first_trials: int = 12) -> None:
    """Three panels from a session record: block and trial sides with the network's choices
    against trial number, the evidence R − L of observation steps by trial side and by block
    side, and the stimuli with the network's P(right) over the first trials of a session."""
    one = rows["session"] == session
    ends = one & rows["trial_end"].astype(bool)
    trial = rows["trial_index"][ends]
    shown = trial < trials_shown
    ax = axes[0]
    ax.step(trial[shown], rows["block_side"][ends][shown], where="mid", color="0.3", lw=1.5,
            label="block side")
    ax.plot(trial[shown], 1.15 * rows["trial_side"][ends][shown], "|", color="tab:blue", ms=6,
            label="trial side")
    choice, correct = rows["action_side"][ends][shown], rows["correct_action"][ends][shown].astype(bool)
    acted = choice != 0
    for ok, colour, text in ((True, "tab:green", "correct"), (False, "tab:red", "incorrect")):
        keep = acted & (correct == ok)
        ax.plot(trial[shown][keep], 0.85 * choice[keep], ".", color=colour, ms=3,
                label=f"network's choice, {text}")
    ax.set(xlabel=f"trial (session {session})", yticks=[-1, 1], yticklabels=["left", "right"],
           ylim=(-1.4, 2.1), title="block side, trial side and the network's choices")
    ax.legend(fontsize=7, loc="upper center", ncol=2)

    observing = ~rows["blank"].astype(bool) & (rows["step_in_trial"] >= 0)
    evidence = (rows["right_stimulus"] - rows["left_stimulus"])[observing]
    bins = np.linspace(np.percentile(evidence, 0.5), np.percentile(evidence, 99.5), 50)
    ax = axes[1]
    for column, style, what in (("trial_side", "-", "trial"), ("block_side", "--", "block")):
        for side, colour in ((-1, "tab:orange"), (1, "tab:purple")):
            keep = rows[column][observing] == side
            if not keep.any():
                continue
            ax.hist(evidence[keep], bins, histtype="step", ls=style, color=colour, density=True,
                    label=f"{what} side {'left' if side < 0 else 'right'}")
    ax.set(xlabel="evidence R − L on an observation step", ylabel="density",
           title="stimuli by trial side (solid) and block side (dashed)")
    ax.legend(fontsize=7)

    ax = axes[2]
    early = one & (rows["trial_index"] < first_trials)
    step = np.arange(int(early.sum()))
    ax.plot(step, rows["left_stimulus"][early], color="tab:orange", lw=0.9, label="left stimulus")
    ax.plot(step, rows["right_stimulus"][early], color="tab:purple", lw=0.9, label="right stimulus")
    twin = ax.twinx()
    twin.plot(step, rows["right_probability"][early], color="k", lw=1.4, label="network P(right)")
    twin.set(ylim=(-0.02, 1.02), ylabel="P(right)")
    for s in step[rows["trial_start"][early].astype(bool)]:
        ax.axvline(s - 0.5, color="0.8", lw=0.6)
    ax.set(xlabel=f"step (first {first_trials} trials of session {session})", ylabel="stimulus",
           title="stimuli and the network's P(right), first trials")
    ax.legend(fontsize=7, loc="upper left")
    twin.legend(fontsize=7, loc="upper right")


def stored_behaviour_figure(model: Any) -> plt.Figure:
    """The behaviour figure of a closed-loop model file's stored evaluation."""
    ev = model.record.evaluation
    settings = ev.get("settings", {})
    title = (f"{model.record.name}: {model.task.name} behaviour, {settings.get('sessions', '?')} "
             f"sessions × {settings.get('blocks_per_session', '?')} blocks "
             f"(N = {model.network.config.n_rec})")
    session = ev.get("session")
    rows = {k: np.asarray(v) for k, v in session.items() if k in SESSION_COLUMNS} if session else None
    return behaviour_figure(ev["trials"], ev["metrics"], title,
                            ev.get("ideal_blockless", {}).get("best_reward_per_step"), rows)
