"""One recurrent product for all members when they share a frozen W_rec (System A's G).

A K-member stack normally advances with one batched product per step, K products of
(B × N)·(N × N), each reading its own copy of W_rec. When every member holds the same
frozen matrix, the K·B trials are simply more rows of one network: the step becomes ONE
(K·B × N)·(N × N) product that reads G once, and the backward pass needs no W_rec gradient
(its product over all steps, as large as the forward's, is skipped).

Whether W_rec is shared is read from the configuration stored in every model file, never
from comparing weights: the ``ctrnn`` cell's ``rec_seed`` option (W_rec drawn from its own
seed, the same for every member and model) with W_rec not trainable, no Dale's law (which
redraws W_rec from the model's seed) and no connectivity mask (drawn per model). The
parameter's trainability is checked as well, so a W_rec that requires gradients always
takes the generic path.
"""

from __future__ import annotations

from typing import Iterable

from torch import Tensor

from rnntool.errors import ConfigError
from rnntool.network.config import NetworkConfig


def declares_shared_recurrence(config: NetworkConfig) -> bool:
    """Whether ``config`` promises one frozen W_rec for every model built from it."""
    return (config.cell == "ctrnn" and config.cell_options.get("rec_seed") is not None
            and "W_rec" not in config.trainable and config.dale <= 0 and not config.mask)


def uses_shared_recurrence(config: NetworkConfig, w_rec: Tensor) -> bool:
    """Whether a stack of ``w_rec`` (K, N, N) runs as one product per step: more than one
    member, a shared frozen W_rec declared by ``config``, and no gradient asked of it."""
    return w_rec.shape[0] > 1 and not w_rec.requires_grad and declares_shared_recurrence(config)


def refuse_changes_to_shared(config: NetworkConfig, changed: Iterable[str]) -> None:
    """A rule that would change W_rec member by member contradicts a shared frozen W_rec."""
    if declares_shared_recurrence(config) and "W_rec" in set(changed):
        raise ConfigError("this network's W_rec is frozen and shared by every model "
                          "(rec_seed is set): leave W_rec out of the changed weights")


def fold_members(x0: Tensor, drive: Tensor, w_rec: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The K-member scan's inputs as one member with K·B trials: x0 (1, K·B, N),
    drive (T, 1, K·B, N) and member 0's W_rec (1, N, N)."""
    k, b, n = x0.shape
    return (x0.reshape(1, k * b, n), drive.reshape(drive.shape[0], 1, k * b, -1),
            w_rec[:1])


def unfold_members(xs: Tensor, members: int) -> Tensor:
    """(T, 1, K·B, N) back to (T, K, B, N)."""
    return xs.reshape(xs.shape[0], members, -1, xs.shape[-1])
