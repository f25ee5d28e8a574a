"""Behaviour figures: example trials, the training history and psychometric curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from rnntool.models import Model
from rnntool.seeding import Seeds


def trials_figure(model: Model, trials: int = 3) -> plt.Figure:
    """Inputs (left) and outputs against targets (right) of a few seeded example trials."""
    gen = Seeds(model.record.seed).generator("analysis")
    batch = model.task.sample(trials, gen)
    net = model.network
    with torch.no_grad():
        out = net.simulate(batch.inputs, net.initial_state(trials, gen), gen).outputs[0].numpy()
    inputs, targets, mask = batch.inputs.numpy(), batch.targets.numpy(), batch.mask.numpy()
    steps = np.arange(inputs.shape[1])
    fig, axes = plt.subplots(trials, 2, figsize=(11, 2.3 * trials), sharex=True, squeeze=False)
    in_colours = plt.get_cmap("tab10")(np.arange(inputs.shape[2]) % 10)
    out_colours = plt.get_cmap("Dark2")(np.arange(out.shape[2]) % 8)
    for i in range(trials):
        left, right = axes[i]
        for c in range(inputs.shape[2]):
            left.plot(steps, inputs[i, :, c], color=in_colours[c], lw=0.8, label=f"input {c}")
        for c in range(out.shape[2]):
            right.plot(steps, out[i, :, c], color=out_colours[c], lw=1.5, label=f"output {c}")
            masked = np.where(mask[i, :, c] > 0, targets[i, :, c], np.nan)
            right.plot(steps, masked, color=out_colours[c], ls="--", lw=1.2, marker="." if
                       np.isfinite(masked).sum() < 10 else None, label=f"target {c}")
        left.set_ylabel(f"trial {i + 1}")
    axes[0, 0].set_title("inputs")
    axes[0, 1].set_title("outputs (solid) and targets where scored (dashed)")
    for ax in axes[-1]:
        ax.set_xlabel("time step" if net.cell.alpha is None else f"time step (α = {net.cell.alpha:g})")
    for ax in axes[0]:
        ax.legend(fontsize=7, ncol=2, loc="upper left")
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
    """P(choice > 0) against the signed coherence on channel 0, one curve per cued context."""
    psy = model.record.evaluation["psychometric"]
    coherences, curves = np.asarray(psy["coherences"]), np.atleast_2d(psy["fraction_positive"])
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    colours = plt.get_cmap("tab10")(np.arange(curves.shape[0]) % 10)
    for k, curve in enumerate(curves):
        label = (f"context {k} cued" + (" (channel 0 attended)" if k == 0 else "")
                 if curves.shape[0] > 1 else "RDM")
        ax.plot(coherences, curve, "o-", color=colours[k], label=label)
    ax.axhline(0.5, color="k", lw=0.6, ls=":")
    ax.axvline(0.0, color="k", lw=0.6, ls=":")
    ax.set(xlabel="signed coherence on channel 0", ylabel="P(choice > 0)", ylim=(-0.02, 1.02),
           title=f"{model.record.name}: psychometric curves")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
