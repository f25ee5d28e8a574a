"""Any neurogym task (Molano-Mazón et al., neurogym) as an rnntool task: ``neurogym:ENV_ID``.

neurogym is an optional extra (``pip install 'rnntool[neurogym]'``). Its environments build
one trial at a time in Python, so this adapter (unlike rnntool's own tasks) loops over
trials; the environment is seeded from the batch's generator, so ``--seed`` still fixes
every trial. Trials are right-aligned in an array of ``steps`` steps (the decision always
ends the array; steps before a short trial are padding with input 0 and mask 0; the start
of a trial longer than ``steps`` is cut). Targets are the one-hot ground-truth actions
(action 0 is fixation) scored by squared error; a trial is correct when the mean output
over its ``decision`` period (its last step when it has none) peaks at the right action.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.tasks.base import Batch, Task

PREFIX = "neurogym:"


def _neurogym() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import neurogym
    except ImportError:
        raise ConfigError("neurogym tasks need the optional extra: pip install 'rnntool[neurogym]'") from None
    return neurogym


@dataclass
class NeurogymTask(Task):
    """A neurogym environment's trials as supervised batches."""

    env_id: str = "PerceptualDecisionMaking-v0"
    steps: int = 0
    env_kwargs: dict | None = None

    name: ClassVar[str] = "neurogym"
    default_rule: ClassVar[str | None] = "bptt"
    network_defaults: ClassVar[dict[str, Any]] = {
        "preset": "ctrnn", "trainable": ("W_in", "W_rec", "b", "W_out")}
    rule_defaults: ClassVar[dict[str, dict[str, Any]]] = {
        "bptt": {"lr": 1e-2, "batch_size": 64, "loss_reduction": "mean"}}
    #: neurogym tasks often cap below 90 % (low coherences): stop on a plateau instead
    default_stop: ClassVar[tuple[str, ...] | None] = ("val_accuracy plateau 20",)
    training_defaults: ClassVar[dict[str, Any]] = {
        "validate_every": 10, "validation_trials": 500, "validate_from": 0.0}

    def __post_init__(self) -> None:
        ngym = _neurogym()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                self._env = ngym.make(self.env_id, **(self.env_kwargs or {})).unwrapped
            except Exception as err:  # neurogym raises several types for unknown ids
                raise ConfigError(f"neurogym cannot make {self.env_id!r}: {err}".splitlines()[0]) from None
        self._n_in = int(np.prod(self._env.observation_space.shape))
        self._n_out = int(self._env.action_space.n)
        if self.steps <= 0:
            self._env.seed(0)
            self.steps = max(len(self._trial()[0]) for _ in range(200))
        self.check()

    def check(self) -> None:
        if self.steps < 1:
            raise ConfigError(f"steps must be ≥ 1, got {self.steps}")

    def config(self) -> dict[str, Any]:
        return {"name": PREFIX + self.env_id, "steps": self.steps, "env_kwargs": self.env_kwargs}

    @property
    def n_in(self) -> int:
        return self._n_in

    @property
    def n_out(self) -> int:
        return self._n_out

    @property
    def n_steps(self) -> int:
        return self.steps

    def _trial(self) -> tuple[np.ndarray, np.ndarray, int]:
        env = self._env
        env.new_trial()
        ob, gt = np.asarray(env.ob, float).reshape(len(env.ob), -1), np.asarray(env.gt).reshape(-1)
        start = getattr(env, "start_ind", {}).get("decision", len(gt) - 1)
        return ob, gt, int(start)

    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        self._env.seed(int(torch.randint(2 ** 31 - 1, (1,), generator=generator)))
        t = self.steps
        inputs = np.zeros((batch_size, t, self.n_in))
        actions = np.zeros((batch_size, t), dtype=np.int64)
        active = np.zeros((batch_size, t), dtype=bool)
        decision = np.zeros((batch_size, t), dtype=bool)
        for i in range(batch_size):
            ob, gt, start = self._trial()
            n = min(len(gt), t)
            inputs[i, t - n:] = ob[-n:]
            actions[i, t - n:] = gt[-n:]
            active[i, t - n:] = True
            decision[i, max(t - len(gt) + start, t - n):] = True
        targets = torch.nn.functional.one_hot(torch.from_numpy(actions), self.n_out).float()
        mask = torch.from_numpy(active).float()[..., None].expand(-1, -1, self.n_out).contiguous()
        return Batch(torch.from_numpy(inputs).float(), targets * mask, mask,
                     {"ground_truth": torch.from_numpy(actions[:, -1]),
                      "decision": torch.from_numpy(decision)})

    def validation_batch(self, generator: torch.Generator, size: int = 2000) -> Batch:
        return self.sample(size, generator)

    def correct(self, outputs: Tensor, batch: Batch) -> Tensor:
        window = batch.conditions["decision"].to(outputs.device, outputs.dtype)
        mean = (outputs * window[..., None]).sum(-2) / window.sum(-1, keepdim=True).clamp(min=1)
        return mean.argmax(-1) == batch.conditions["ground_truth"].to(outputs.device)
