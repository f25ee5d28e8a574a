"""Check that ``--device cuda`` gives the CPU's answers, on a machine with a GPU.

For every shipped sample model, all in float64 (in float32 a chaotic network's trajectories
part after a few hundred steps on any two machines): the evaluation metrics (accuracies may
differ by a trial or two), the BPTT gradient of the task loss (to 1e-8 relative), fixed
points under zero input (the same points to 1e-6), and the closed-loop agents' evaluation
(to 1e-8). Prints one line per check.

Usage: python scripts/check_cuda.py [--device cuda:0] [--models NAME ...]
Exit code 0 when everything agrees, 1 on a mismatch, 2 when the device is unusable.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from rnntool.analysis.evaluation import evaluate
from rnntool.analysis.fixedpoints import FinderSettings, FixedPoints, find_fixed_points
from rnntool.devices import check_device
from rnntool.engine.losses import task_loss
from rnntool.envs import Environment
from rnntool.errors import ConfigError
from rnntool.models import load_model

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"


def _scalars(tree: dict, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_scalars(value, name + "/"))
        elif np.ndim(value) == 0 and isinstance(value, (int, float, np.number)):
            out[name] = float(value)
    return out


def _evaluation(path: Path, device: str, trials: int) -> dict[str, float]:
    model = load_model(path, device)
    return _scalars(evaluate(model.network.with_config(dtype="float64"), model.task, 0, trials))


def _first_difference(a: dict[str, float], b: dict[str, float], device: str, rtol: float,
                      atol: Callable[[str, float], float]) -> str | None:
    """The first scalar of the CPU's ``a`` that ``b`` does not match (np.isclose), or None."""
    for key in a:
        if not np.isclose(a[key], b.get(key, np.nan), rtol=rtol, atol=atol(key, a[key]),
                          equal_nan=True):
            return f"{key}: cpu {a[key]:.10g} vs {device} {b.get(key)!r}"
    return None


def check_evaluation(path: Path, device: str, trials: int) -> str | None:
    def atol(key: str, value: float) -> float:
        return 3.0 / trials if "accuracy" in key or "correct" in key else 1e-3 * max(1.0, abs(value))

    return _first_difference(_evaluation(path, "cpu", trials), _evaluation(path, device, trials),
                             device, 0.0, atol)


def _gradient(path: Path, device: str) -> list[np.ndarray]:
    model = load_model(path, device)
    net = model.network.with_config(dtype="float64")
    batch = model.task.sample(16, torch.Generator().manual_seed(0))
    params = net.trainable_parameters()
    x0 = net.initial_state(16, std=0.0)
    noise = torch.Generator().manual_seed(1)  # drawn on the CPU: the same on every device
    outputs = net.simulate(batch.inputs.to(net.device, net.dtype), x0, noise).outputs[0]
    batch = type(batch)(**{k: (v.to(net.device) if isinstance(v, torch.Tensor) else v)
                           for k, v in vars(batch).items()})
    loss = task_loss(model.task, outputs, batch)
    return [g.detach().cpu().numpy() for g in torch.autograd.grad(loss, params)]


def check_gradient(path: Path, device: str) -> str | None:
    for i, (a, b) in enumerate(zip(_gradient(path, "cpu"), _gradient(path, device))):
        err = np.abs(a - b).max() / max(np.abs(a).max(), 1e-300)
        if not err <= 1e-8:
            return f"gradient {i}: relative difference {err:.2e}"
    return None


def _fixed_points(path: Path, device: str) -> FixedPoints:
    model = load_model(path, device)
    zeros = np.zeros((1, model.network.config.n_in))
    settings = FinderSettings(method="exact", n_inits=256, seed=0, dtype="float64")
    return find_fixed_points(model.network, zeros, model.task, settings)


def check_fixed_points(path: Path, device: str) -> str | None:
    a, b = _fixed_points(path, "cpu"), _fixed_points(path, device)
    if len(a.x) != len(b.x):
        return f"{len(a.x)} points on cpu, {len(b.x)} on {device}"
    dist = np.abs(a.x[:, None, :] - b.x[None, :, :]).max(-1).min(1) if len(a.x) else np.zeros(0)
    if dist.size and dist.max() > 1e-6:
        return f"points differ by up to {dist.max():.2e}"
    return None


def _closed_loop_scores(path: Path, device: str) -> dict[str, float]:
    from rnntool.analysis.ibl_evaluation import evaluate_ibl
    from rnntool.envs.agents import NetworkAgent
    from rnntool.seeding import Seeds

    model = load_model(path, device)
    return _scalars(evaluate_ibl(NetworkAgent(model.network), model.task, 4,
                                 Seeds(0).generator("evaluation"), 3)["metrics"])


def check_closed_loop(path: Path, device: str) -> str | None:
    return _first_difference(_closed_loop_scores(path, "cpu"), _closed_loop_scores(path, device),
                             device, 1e-8, lambda _key, _value: 1e-10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--models", nargs="*", help="sample model names (default: all)")
    args = parser.parse_args()
    try:
        check_device(args.device)
    except ConfigError as err:
        print(f"check_cuda: {err}", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    failed = 0
    paths = ([SAMPLES / f"{name}.h5" for name in args.models] if args.models
             else sorted(SAMPLES.glob("*.h5")))
    for path in paths:
        closed = isinstance(load_model(path).task, Environment)
        checks = ([("closed-loop evaluation", check_closed_loop)] if closed else
                  [("evaluation", lambda p, d: check_evaluation(p, d, args.trials)),
                   ("gradient", check_gradient), ("fixed points", check_fixed_points)])
        for name, check in checks:
            try:
                problem = check(path, args.device)
            except Exception as err:  # noqa: BLE001 - report every failure, keep checking
                problem = f"{type(err).__name__}: {err}"
            failed += problem is not None
            print(f"{path.stem:16s} {name:22s} {'ok' if problem is None else 'MISMATCH ' + problem}",
                  flush=True)
    print(f"{failed} mismatch(es)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
