"""One ``--seed`` drives every random draw: named, independent child streams."""

from __future__ import annotations

import numpy as np
import torch

STREAMS = ("init", "data", "validation", "noise", "rule", "evaluation", "analysis")


class Seeds:
    """Independent torch generators derived from one integer seed with NumPy's SeedSequence.

    Each stream (weights, training data, validation set, …) gets its own generator, so
    changing, say, the batch size does not change the initial weights.
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        children = np.random.SeedSequence(self.seed).spawn(len(STREAMS))
        self._seeds = {name: int(c.generate_state(1, np.uint64)[0] >> np.uint64(1))
                       for name, c in zip(STREAMS, children)}

    def seed_of(self, stream: str) -> int:
        return self._seeds[stream]

    def generator(self, stream: str) -> torch.Generator:
        """A fresh generator for ``stream``; calling twice gives the same sequence."""
        return torch.Generator().manual_seed(self._seeds[stream])

    def numpy(self, stream: str) -> np.random.Generator:
        return np.random.default_rng(self._seeds[stream])
