"""Behaviour figures: example trials, the training history and psychometric curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from rnntool.models import Model
from rnntool.plotting.task_view import (condition_text, example_pool, input_names, trial_end,
                                        trial_keys)
from rnntool.seeding import Seeds
from rnntool.tasks.base import Batch


def example_trials(model: Model, trials: int, gen: torch.Generator) -> Batch:
    """``trials`` seeded trials with as many different conditions as possible (context and
    target sign, or final bit pattern): the first trial of each condition, in a pool of 64."""
    pool = example_pool(model.task, gen)
    key = trial_keys(pool)
    first = [int(np.flatnonzero(key == k)[0]) for k in dict.fromkeys(key.tolist())]
    chosen = (first + [i for i in range(len(pool)) if i not in first])[:trials]
    return pool.subset(torch.tensor(chosen))


def trials_figure(model: Model, trials: int = 3) -> plt.Figure:
    """Inputs (left, by meaning) and outputs against targets (right) of a few seeded
    example trials with different conditions, each row titled with its condition."""
    gen = Seeds(model.record.seed).generator("analysis")
    batch = example_trials(model, trials, gen)
    trials = len(batch)
    net = model.network
    with torch.no_grad():
        out = net.simulate(batch.inputs, net.initial_state(trials, gen), gen).outputs[0].numpy()
    inputs, targets, mask = batch.inputs.numpy(), batch.targets.numpy(), batch.mask.numpy()
    names = input_names(model.task)
    steps = np.arange(inputs.shape[1])
    fig, axes = plt.subplots(trials, 2, figsize=(11, 2.5 * trials), sharex=True, squeeze=False)
    in_colours = plt.get_cmap("tab10")(np.arange(inputs.shape[2]) % 10)
    out_colours = plt.get_cmap("Dark2")(np.arange(out.shape[2]) % 8)
    for i in range(trials):
        left, right = axes[i]
        for c in range(inputs.shape[2]):
            left.plot(steps, inputs[i, :, c], color=in_colours[c], lw=0.8, label=names[c])
        for c in range(out.shape[2]):
            label = f"output {c}" if out.shape[2] > 1 else "output"
            right.plot(steps, out[i, :, c], color=out_colours[c], lw=1.5, label=label)
            scored = mask[i, :, c] > 0
            right.plot(steps[scored], targets[i, scored, c], ls="", marker="o", ms=2.5,
                       color=out_colours[c], alpha=0.6,
                       label=f"target {c}" if out.shape[2] > 1 else "target")
        end = trial_end(batch, i)
        if end is not None:
            for ax in (left, right):
                ax.axvspan(end - 0.5, steps[-1], color="0.92", zorder=0)
        left.set_ylabel("input")
        right.set_ylabel("output")
        left.set_title(f"trial {i + 1}: {condition_text(model.task, batch, i)}", fontsize=9,
                       loc="left")
    padded = any(trial_end(batch, i) is not None for i in range(trials))
    axes[0, 1].set_title("outputs (lines) and targets where scored (dots)"
                         + ("; grey: after the trial's end" if padded else ""), fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("time step" if net.cell.alpha is None else f"time step (α = {net.cell.alpha:g})")
    axes[0, 0].legend(fontsize=7, ncol=2, loc="best")
    axes[0, 1].legend(fontsize=7, ncol=2, loc="best")
    fig.suptitle(f"{model.record.name}: example {model.task.name} trials")
    fig.tight_layout()
    return fig


def loss_figure(model: Model) -> plt.Figure:
    """Training loss (log scale) and training/validation accuracy against iterations."""
    history = model.record.training["history"]
    unit = model.record.training.get("unit", "iteration")
    loss = np.asarray(history["loss"], float)
    its = np.arange(1, loss.size + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    ax_loss.plot(its, loss, color="tab:purple", lw=1)
    if (loss > 0).all():
        ax_loss.set_yscale("log")
    ax_loss.set(xlabel=f"{unit}", ylabel="training loss", title="loss")
    ax_acc.plot(its, history["train_accuracy"], color="0.5", lw=1, label="training batch")
    val = np.asarray(history.get("val_accuracy", np.full(loss.size, np.nan)), float)
    seen = np.isfinite(val)
    ax_acc.plot(its[seen], val[seen], ".", color="tab:green", ms=3, label="validation")
    best = model.record.training.get("best_iteration", -1)
    if best >= 0:
        ax_acc.axvline(best + 1, color="tab:green", ls=":", lw=1, label="best (saved)")
    ax_acc.set(xlabel=f"{unit}", ylabel="accuracy", ylim=(0, 1.02), title="accuracy")
    ax_acc.legend(loc="lower right", fontsize=8)
    fig.suptitle(f"{model.record.name}: training history")
    fig.tight_layout()
    return fig


def psychometric_figure(model: Model) -> plt.Figure:
    """P(choice > 0) against the signed coherence on channel 0, one curve per cued context
    (the in-context curve: channel 0 attended; the others: channel 0 to be ignored), with
    binomial standard errors and the training range of coherences marked."""
    evaluation = model.record.evaluation
    psy = evaluation["psychometric"]
    coherences, curves = np.asarray(psy["coherences"]), np.atleast_2d(psy["fraction_positive"])
    counts = np.atleast_2d(psy.get("decided_trials", np.full(curves.shape, evaluation.get("trials", 0))))
    errors = np.sqrt(curves * (1 - curves) / np.maximum(counts, 1))
    fig, ax = plt.subplots(figsize=(6.2, 4.6))
    colours = plt.get_cmap("tab10")(np.arange(curves.shape[0]) % 10)
    for k, curve in enumerate(curves):
        if curves.shape[0] == 1:
            label = "RDM" if model.task.name == "rdm" else "P(choice > 0)"
        elif k == 0:
            label = "context 0 cued: in context (channel 0 attended)"
        else:
            label = f"context {k} cued: out of context (channel 0 ignored)"
        ax.errorbar(coherences, curve, yerr=errors[k], fmt="o-", ms=4, capsize=2.5,
                    color=colours[k], label=label)
    bound = getattr(model.task, "coherence_max", None)
    if bound is not None and np.abs(coherences).max() > bound:
        edge = np.abs(coherences).max() * 1.08
        for lo, hi in ((-edge, -bound), (bound, edge)):
            ax.axvspan(lo, hi, color="0.9", zorder=0)
        ax.text(bound, 0.03, f" beyond training\n |μ| < {bound:g}", fontsize=7, color="0.35")
        ax.set_xlim(-edge, edge)
    ax.axhline(0.5, color="k", lw=0.6, ls=":")
    ax.axvline(0.0, color="k", lw=0.6, ls=":")
    n = int(counts.min()) if counts.size else 0
    ax.set(xlabel="signed coherence on channel 0", ylabel="P(choice > 0)", ylim=(-0.02, 1.02),
           title=f"{model.record.name}: psychometric curves (≥ {n} decided trials per point, ± 1 s.e.)")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig
