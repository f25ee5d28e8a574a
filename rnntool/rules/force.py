"""FORCE learning (Sussillo & Abbott 2009): readout RLS with output feedback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.network.ctrnn import CTRNN
from rnntool.rules.base import Monitor
from rnntool.rules.rls import RLS, OnlineRLSRule, rls_correct
from rnntool.seeding import Seeds
from rnntool.tasks.base import Batch, Task


@dataclass
class Force(OnlineRLSRule):
    """RLS on the linear readout z = W_out r of a network that receives z back through a
    fixed feedback vector w_fb ~ ``feedback_scale``·U[−1, 1].

    Feedback w_fb z = (w_fb W_out) r is linear in the rates, so the rule keeps the network
    in the shared CT-RNN form by holding W_rec = J + w_fb W_out: every readout correction
    ΔW_out = −e kᵀ also adds w_fb ΔW_out to W_rec. The saved network therefore runs the
    trained closed loop exactly, with no extra weight; J (the initial W_rec) is the
    network's own initialisation (preset ``ctrnn``; ``--g 1.5`` gives the classic chaotic
    start). Updates at step 0 and from step ``update_from``, P₀ = I/``alpha_rls``, one trial
    at a time; a new attempt restores J, zeroes W_out and draws a new w_fb.
    """

    name: ClassVar[str] = "force"
    preset: ClassVar[str] = "ctrnn"
    trainable: ClassVar[tuple[str, ...]] = ("W_rec", "W_out")
    alpha_rls: float = 1.0
    feedback_scale: float = 1.0
    max_iters: int = 5000

    def check(self) -> None:
        super().check()
        if self.feedback_scale < 0:
            raise ConfigError("feedback_scale must be non-negative")

    def fit(self, net: CTRNN, task: Task, seeds: Seeds, monitor: Monitor) -> CTRNN:
        self._J = net.params["W_rec"][0].clone()
        return super().fit(net, task, seeds, monitor)

    def start_attempt(self, net: CTRNN, rng: torch.Generator) -> None:
        n = net.config.n_rec
        self._feedback = ((2.0 * torch.rand(n, generator=rng, dtype=torch.float64) - 1.0)
                          * self.feedback_scale).to(net.device)
        net.params["W_out"].zero_()
        net.params["W_rec"][0] = self._J

    def corrector(self, net: CTRNN, batch: Batch, rls: RLS) -> Callable[[int, Tensor], None]:
        targets = batch.targets[0, :, 0].to(net.device, torch.float64)
        w_rec, w_out = net.params["W_rec"][0], net.params["W_out"][0]
        feedback = self._feedback

        def update(t: int, r: Tensor) -> None:
            k = rls.gain(r.double())
            error = (w_out @ r).double() - targets[t]
            rls_correct(w_out, error, k)
            rls_correct(w_rec, feedback * error, k)
        return update
