"""Genetic algorithm over a population held as one batched network (McMahan et al. 2021's ``ga``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.network.ctrnn import CTRNN, final_outputs
from rnntool.network.shared_recurrence import refuse_changes_to_shared
from rnntool.rules.base import LearningRule, Monitor, batch_accuracy
from rnntool.seeding import Seeds
from rnntool.tasks.base import Batch, Task
from rnntool.tasks.evidence import RDM

#: The weights McMahan et al. 2021 mutates; the bias is never mutated.
MUTATED = ("W_in", "W_rec", "W_out")


@dataclass
class GeneticAlgorithm(LearningRule):
    """Truncation selection with elitism, all members evaluated in one batched pass.

    The population is one :class:`CTRNN` with K = ``population`` members (batched matrix
    products over members, never a block-diagonal matrix). Every generation all members see
    the same ``batch_size`` trials and the same initial state; fitness is the batch-mean
    loss. The ``elite`` best become parents: child 0 is the unmutated best, every other child
    copies a parent drawn uniformly (optionally mixed entry by entry with a second parent,
    with probability ``crossover``) and adds N(0, ``sigma``²) to every entry of the
    ``mutate`` weights. McMahan et al. 2021 defaults: population 20 (CDI) or 50 (RDM), 5 parents,
    σ = 0.005, no crossover, at most 2000 generations. ``resample = false`` keeps one batch
    for the whole run.
    """

    name: ClassVar[str] = "ga"
    preset: ClassVar[str] = "mcmahan"
    trainable: ClassVar[tuple[str, ...]] = MUTATED
    unit: ClassVar[str] = "generation"
    population: int = 20
    elite: int = 5
    sigma: float = 0.005
    crossover: float = 0.0
    batch_size: int = 500
    mutate: tuple[str, ...] = MUTATED
    resample: bool = True
    max_iters: int = 2000

    @classmethod
    def task_defaults(cls, task: Task) -> dict[str, Any]:
        return {"population": 50} if isinstance(task, RDM) else {}

    def check(self) -> None:
        super().check()
        if self.population < 2 or not 1 <= self.elite <= self.population:
            raise ConfigError("population must be ≥ 2 and elite between 1 and population")
        if self.sigma < 0 or not 0.0 <= self.crossover <= 1.0 or self.batch_size < 1:
            raise ConfigError("sigma must be ≥ 0, crossover in [0, 1], batch_size ≥ 1")
        self.mutate = tuple(self.mutate) if not isinstance(self.mutate, str) else tuple(
            p.strip() for p in self.mutate.split(",") if p.strip())

    def fit(self, net: CTRNN, task: Task, seeds: Seeds, monitor: Monitor) -> CTRNN:
        unknown = set(self.mutate) - set(net.params)
        if unknown:
            raise ConfigError(f"mutate names parameters the {net.config.cell} cell lacks: "
                              f"{', '.join(sorted(unknown))}")
        refuse_changes_to_shared(net.config, self.mutate)
        rng = seeds.generator("rule")
        population = initial_population(net, self.population, rng)
        data, noise = seeds.generator("data"), seeds.generator("noise")
        batch = None
        while True:
            if batch is None or self.resample:
                batch = task.sample(self.batch_size, data)
            losses, outputs = fitness(population, task, batch, noise)
            best = int(torch.argmin(losses))
            accuracy = float(batch_accuracy(task, outputs[best:best + 1], batch)[0])
            if monitor.record(population, float(losses[best]), accuracy, member=best,
                              mean_loss=float(losses.mean())):
                return monitor.best_network(population, best)
            population = self.next_generation(population, losses, rng)

    def next_generation(self, population: CTRNN, losses: Tensor, rng: torch.Generator) -> CTRNN:
        """Children of the ``elite`` lowest-loss members; child 0 is the best, unchanged."""
        k = population.members
        parents = torch.argsort(losses)[:self.elite]
        pick = parents[torch.randint(0, self.elite, (k,), generator=rng)]
        pick[0] = parents[0]
        mate = parents[torch.randint(0, self.elite, (k,), generator=rng)]
        cross = torch.rand(k, generator=rng) < self.crossover
        cross[0] = False
        params = {}
        for name, value in population.params.items():
            child = value.detach()[pick].clone()
            if cross.any():
                genes = torch.rand(child.shape, generator=rng) < 0.5
                genes &= cross.view(-1, *([1] * (child.dim() - 1)))
                child = torch.where(genes.to(child.device), value.detach()[mate], child)
            if name in self.mutate and self.sigma > 0:
                step = torch.randn(child.shape, generator=rng, dtype=child.dtype)
                step[0] = 0.0
                child.add_(step.to(child.device), alpha=self.sigma)
            params[name] = child
        children = CTRNN(population.config, params, population.device)
        children.project()
        return children


def initial_population(net: CTRNN, size: int, rng: torch.Generator) -> CTRNN:
    """``net`` as member 0 and ``size − 1`` fresh draws from the same initialisation."""
    others = CTRNN.initialise(net.config, rng, members=size - 1, device=net.device)
    params = {k: torch.cat([v.detach(), others.params[k]]) for k, v in net.params.items()}
    return CTRNN(net.config, params, net.device)


@torch.no_grad()
def fitness(population: CTRNN, task: Task, batch: Batch,
            noise: torch.Generator) -> tuple[Tensor, Tensor]:
    """Batch-mean loss of every member, (K,), and the outputs the loss reads, (K, B, T', 1).

    All members start from the same initial-state draw, as in McMahan et al. 2021. For tasks that
    score only the first and last steps the run keeps just those two outputs.
    """
    cfg = population.config
    shared = torch.randn((1, 1, population.state_size), generator=noise, dtype=population.dtype)
    x_init = population.clamp(population.params["x0"][:, None, :]
                              + cfg.x0_std * shared.to(population.device))
    x_init = x_init.expand(-1, len(batch), -1)
    if task.decision_at_end and _first_last_mask(batch):
        # a time block of the drive (steps × K × B × N) small enough to stay in cache (32 MB):
        # with 64-step blocks a 20-member generation ran 2× slower than with 16
        cells = population.members * len(batch) * population.state_size
        first, last = final_outputs(population, batch.inputs, x_init,
                                    time_chunk=max(1, min(64, (1 << 23) // cells)))
        outputs = torch.stack([first, last], dim=-2).cpu()
        ends = Batch(batch.inputs, batch.targets[:, [0, -1]], batch.mask[:, [0, -1]],
                     batch.conditions)
        return task.loss(outputs, ends, "mean"), outputs
    outputs = population.simulate(batch.inputs, x_init).outputs.cpu()
    return task.loss(outputs, batch, "mean"), outputs


def _first_last_mask(batch: Batch) -> bool:
    """True when the loss weights only the first and last steps."""
    inner = batch.mask[:, 1:-1]
    return bool(inner.numel() == 0 or not inner.any())
