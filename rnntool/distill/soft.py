"""Soft-target ("traditional") distillation of a closed-loop teacher into a small student.

The teacher runs a bank of sessions in the environment once; its inputs (stimuli and its
own feedback) and action probabilities are cached. Each student step takes a minibatch of
cached sessions, runs the student open-loop on the teacher's inputs from its initial state
and minimises the soft cross-entropy −Σ_a p_teacher(a) log p_student(a) averaged over the
sessions' steps — the semantics of Schaeffer et al. (2020), who instead re-simulated a whole
teacher session for every student step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np
import torch

from rnntool.errors import ConfigError


@dataclass
class SoftSettings:
    """Hyper-parameters of soft-target distillation.

    Attributes:
        hidden: student units; cell: the student's cell (``rnn``: the paper's tanh RNN).
        bank: teacher sessions cached; blocks: blocks per cached session.
        batch: sessions per student step; iterations: student steps.
        optimizer, lr: the student's optimiser (Adam converges in a few hundred steps; the
            original's SGD 10⁻³ with momentum 0.1 needs about 10⁴).
    """

    hidden: int = 2
    cell: str = "rnn"
    bank: int = 128
    blocks: int = 4
    batch: int = 16
    iterations: int = 400
    optimizer: str = "adam"
    lr: float = 1e-2
    momentum: float = 0.1

    def check(self) -> None:
        if min(self.hidden, self.bank, self.blocks, self.batch, self.iterations) < 1:
            raise ConfigError("hidden, bank, blocks, batch and iterations must be at least 1")
        if not self.lr > 0:
            raise ConfigError("lr must be positive")
        if self.batch > self.bank:
            raise ConfigError(f"batch ({self.batch}) exceeds the teacher bank ({self.bank})")


@dataclass
class TeacherBank:
    """Cached teacher sessions: inputs (S, T, n_in), probabilities (S, T, n_actions) and the
    mask of active steps (S, T)."""

    inputs: torch.Tensor
    probabilities: torch.Tensor
    active: torch.Tensor


def teacher_bank(network: Any, env: Any, sessions: int, blocks: int,
                 generator: torch.Generator) -> TeacherBank:
    """Run the teacher once on ``sessions`` fresh sessions and cache what the student needs."""
    from dataclasses import replace

    from rnntool.envs.agents import NetworkAgent
    from rnntool.envs.rollout import rollout

    env = replace(env, blocks_per_session=blocks)
    with torch.no_grad():
        run = rollout(NetworkAgent(network), env, sessions, generator, record=True)
    c = run.columns
    inputs = torch.stack([c["left_stimulus"], c["right_stimulus"], c["previous_feedback"]], -1)
    active = c["active"]
    return TeacherBank(inputs.transpose(0, 1).double() * active.T[..., None],
                       c["probabilities"].transpose(0, 1).double(), active.T.clone())


def soft_distill(network: Any, env: Any, settings: SoftSettings, generator: torch.Generator,
                 log: Callable[[int, float], None] | None = None) -> tuple[Any, dict[str, np.ndarray]]:
    """Train a student on the teacher's action probabilities; returns the student network
    and its history (iteration, loss)."""
    from rnntool.engine.optimisers import build_optimiser
    from rnntool.envs.agents import agent_config, agent_network

    settings.check()
    bank = teacher_bank(network, env, settings.bank, settings.blocks, generator)
    config = agent_config(env.n_obs, settings.hidden, env.n_actions, settings.cell)
    student = agent_network(config, generator)
    params = student.trainable_parameters()
    opt = build_optimiser(params, settings.optimizer, settings.lr, 0.0, settings.momentum)
    history: dict[str, list[float]] = {"iteration": [], "loss": []}
    for it in range(1, settings.iterations + 1):
        pick = torch.randperm(settings.bank, generator=generator)[:settings.batch]
        loss = soft_cross_entropy(student, bank, pick)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it % 10 == 0 or it == settings.iterations:
            history["iteration"].append(float(it))
            history["loss"].append(float(loss.detach()))
            if log is not None:
                log(it, float(loss.detach()))
    return student, {k: np.asarray(v) for k, v in history.items()}


def soft_cross_entropy(student: Any, bank: TeacherBank, pick: torch.Tensor) -> torch.Tensor:
    """Mean over the active steps of the picked sessions of −Σ_a p_teacher log p_student."""
    inputs, target, active = bank.inputs[pick], bank.probabilities[pick], bank.active[pick]
    x0 = student.initial_state(len(pick), std=0.0)
    out = student.simulate(inputs.to(student.dtype), x0).outputs[0]
    logp = torch.log_softmax(out, -1)
    per_step = -(target * logp).sum(-1)
    return (per_step * active).sum() / active.sum().clamp(min=1)


def settings_dict(settings: SoftSettings) -> dict[str, Any]:
    return asdict(settings)
