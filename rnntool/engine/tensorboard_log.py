"""TensorBoard scalars through ``torch.utils.tensorboard`` (the optional ``tensorboard`` extra).

Every recorded value (loss, each metric, learning rate, gradient norm, …) is written as a
scalar ``<key>`` for a single run, or ``<key>/member<k>`` for an ensemble, plus
``iterations_per_s``. NaN values (iterations without validation) are skipped.
"""

from __future__ import annotations

import math
import os
import time

from rnntool.errors import ConfigError


def require_tensorboard() -> None:
    """ConfigError (one line) when the tensorboard package is missing."""
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError:
        raise ConfigError("--tensorboard needs the tensorboard package: "
                          "pip install 'rnntool[tensorboard]'") from None


class TensorBoardLogger:
    """Writes scalars to ``log_dir`` (one run folder per model)."""

    def __init__(self, log_dir: str | os.PathLike, members: int = 1) -> None:
        require_tensorboard()
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(log_dir))
        self.members = members
        self._last: dict[int, tuple[int, float]] = {}

    def log(self, member: int, iteration: int, values: dict[str, float]) -> None:
        suffix = f"/member{member}" if self.members > 1 else ""
        for key, value in values.items():
            if key not in ("iteration", "seconds") and not math.isnan(value):
                self.writer.add_scalar(key + suffix, value, iteration)
        now = time.perf_counter()
        if member in self._last:
            it, then = self._last[member]
            if now > then:
                self.writer.add_scalar("iterations_per_s" + suffix, (iteration - it) / (now - then),
                                       iteration)
        self._last[member] = (iteration, now)

    def close(self) -> None:
        self.writer.close()
