"""full-FORCE (DePasquale et al. 2018), as McMahan et al. 2021's ``ff``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.network.ctrnn import CTRNN
from rnntool.rules.rls import RLS, OnlineRLSRule, rls_correct
from rnntool.tasks.base import Batch, Task
from rnntool.tasks.evidence import RDM


@dataclass
class FullForce(OnlineRLSRule):
    """RLS on W_rec and W_out towards a driven target-generating network.

    The target-generating network has the task network's dynamics and input weights plus
    two inputs, the trial's target and a hint (both the constant ±1 answer, weights
    N(0, ``hint_scale``²)), and fixed recurrent weights N(0, ``target_g``²/N); its state
    carries over between trials and first settles for ``settle_trials`` runs of the first
    training trial. With
    r = φ(x) of the task network and r_D of the target network, every update moves
    W_rec r towards J_D r_D + u_target·c + u_hint·c and W_out r towards the target
    (0 at step 0, c afterwards), with one shared P = I/``alpha_rls`` per attempt.
    McMahan et al. 2021 defaults: α_ff = 10⁴ (CDI) or 5·10⁴ (RDM), updates at step 0 and from step
    200, 5000 trials per attempt; a failed attempt resets W_rec and W_out to 0 and draws
    a new target network (at most ``max_attempts``, where the original had no limit).
    One trial at a time: each update depends on all earlier ones.
    """

    name: ClassVar[str] = "ff"
    preset: ClassVar[str] = "fullforce"
    trainable: ClassVar[tuple[str, ...]] = ("W_rec", "W_out")
    alpha_rls: float = 1e4
    hint_scale: float = 0.5
    target_g: float = 1.0
    settle_trials: int = 3

    @classmethod
    def task_defaults(cls, task: Task) -> dict[str, Any]:
        return {"alpha_rls": 5e4} if isinstance(task, RDM) else {}

    def check(self) -> None:
        super().check()
        if self.hint_scale < 0 or self.target_g < 0 or self.settle_trials < 0:
            raise ConfigError("hint_scale, target_g and settle_trials must be non-negative")

    def start_attempt(self, net: CTRNN, rng: torch.Generator) -> None:
        net.params["W_rec"].zero_()
        net.params["W_out"].zero_()
        cfg, n = net.config, net.config.n_rec
        hints = torch.randn((1, n, 2), generator=rng, dtype=net.dtype) * self.hint_scale
        params = {k: v.detach().clone() for k, v in net.params.items()}
        params["W_in"] = torch.cat([params["W_in"], hints.to(net.device)], dim=2)
        params["W_rec"] = (torch.randn((1, n, n), generator=rng, dtype=net.dtype)
                           * self.target_g / n ** 0.5).to(net.device)
        self._target_net = CTRNN(cfg.with_(n_in=cfg.n_in + 2, trainable=()), params, net.device)
        self._target_state = self._target_net.initial_state(1, rng)
        self._settle = self.settle_trials

    def corrector(self, net: CTRNN, batch: Batch, rls: RLS) -> Callable[[int, Tensor], None]:
        currents = self._target_currents(batch)
        targets = batch.targets[0, :, :].to(net.device, torch.float64)
        w_rec, w_out = net.params["W_rec"][0], net.params["W_out"][0]

        def update(t: int, r: Tensor) -> None:
            k = rls.gain(r.double())
            rls_correct(w_rec, (w_rec @ r).double() - currents[t], k)
            rls_correct(w_out, (w_out @ r).double() - targets[t], k)
        return update

    def _target_currents(self, batch: Batch) -> Tensor:
        """J_D r_D(t) + u_target c + u_hint c at every step of the trial, (T, N), float64.

        The target network's weights never change, so its whole trial runs as one scan.
        """
        tn = self._target_net
        answer = batch.targets[:, -1:, :].expand(-1, batch.inputs.shape[1], 1)
        inputs = torch.cat([batch.inputs, answer, answer], dim=2)
        while self._settle > 0:
            self._settle -= 1
            self._target_state = tn.simulate(inputs, self._target_state).states[:, :, -1]
        trajectory = tn.simulate(inputs, self._target_state)
        self._target_state = trajectory.states[:, :, -1]
        rates = trajectory.rates
        hints = tn.params["W_in"][0, :, -2:].sum(1)
        currents = rates[0, 0] @ tn.params["W_rec"][0].T + hints * answer[0, 0, 0]
        return currents.double()
