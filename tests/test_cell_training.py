"""Training every cell: the limits a cell puts on a rule's defaults, and Dale's law kept by
BPTT through a real training run."""

from __future__ import annotations

import numpy as np
import torch

from rnntool.network import Network
from rnntool.network.constraints import dale_signs
from rnntool.rules import BPTT
from rnntool.seeding import Seeds
from rnntool.tasks import make_task
from rnntool.training import TrainSettings, network_for, train


def test_the_rnn_cell_caps_the_task_learning_rate_but_keeps_explicit_ones() -> None:
    flipflop = make_task("flipflop", bits=3)
    assert BPTT.create(flipflop).lr == 1e-2
    assert BPTT.create(flipflop, cell="ctrnn").lr == 1e-2
    assert BPTT.create(flipflop, cell="gru").lr == 1e-2
    assert BPTT.create(flipflop, cell="rnn").lr == 1e-3
    assert BPTT.create(flipflop, cell="rnn", lr=1e-2).lr == 1e-2  # the user's choice stands
    cdi = make_task("cdi")
    assert BPTT.create(cdi, cell="rnn").lr == BPTT.create(cdi).lr == 5e-4  # below the cap


def test_flipflop_training_optimises_and_logs_the_mean_squared_error() -> None:
    task = make_task("flipflop", bits=2, steps=30, pulse_steps=3, refractory=3)
    rule = BPTT.create(task, max_iters=2)
    assert (rule.loss, rule.loss_reduction) == ("mse", "mean")
    record = train("f", task, rule, network_for(BPTT, task, 8),
                   TrainSettings(seed=0, validation_trials=20, validate_from=0.0))
    losses = np.asarray(record.training["history"]["loss"])
    val_mse = np.asarray(record.training["history"]["val_mse"])
    # an untrained network's output is near 0, its error near the targets' mean square (< 1)
    assert np.all(losses < 2.0) and np.all(losses > 0.05)
    assert abs(losses[0] - val_mse[0]) < 0.5 * val_mse[0]


def test_a_dale_relu_rate_network_keeps_every_sign_through_training() -> None:
    """Adam at a large learning rate pushes many weights across zero; the sign projection
    must hold each at zero instead, the diagonal stays empty, and the network still learns."""
    task = make_task("flipflop", bits=1, steps=40, pulse_steps=4, refractory=4, mean_pulses=3)
    rule = BPTT.create(task, batch_size=32, lr=0.05, max_iters=40)
    cfg = network_for(BPTT, task, 20, cell="rate", phi="relu", dale=0.8,
                      self_connections=False)
    start = Network.initialise(cfg, Seeds(3).generator("init")).to_numpy()["W_rec"]
    record = train("d", task, rule, cfg, TrainSettings(seed=3, stop=("iterations 40",),
                                                       validation_trials=50, validate_from=0.0))
    w = record.weights["W_rec"]
    signs = dale_signs(cfg).numpy()
    assert int((signs > 0).sum()) == 16
    assert np.all(w * signs[None, :] >= 0), "a weight changed the sign of its presynaptic unit"
    assert np.all(np.sign(start) * np.sign(w) >= 0)
    assert np.all(np.diag(w) == 0)
    assert np.abs(w - start).max() > 0.05  # training moved the weights …
    assert ((start != 0) & (w == 0)).sum() >= 5  # … and held some at zero instead of flipping
    history = record.training["history"]
    assert min(history["val_mse"]) < 0.5 * history["val_mse"][0]
