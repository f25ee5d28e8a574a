"""The networks and training of the two task-suite systems, as the defaults of their tasks.

A task names its system's configuration through the task protocol's defaults
(``default_rule``, ``rule_defaults``, ``network_defaults``, ``default_stop``,
``primary_metric``); explicit command-line settings override each of them.

**Multitask delay networks** (slibkind/multitask-networks, 2023; the shipped
``delaygo_delayanti`` models): 256 rate units r ← (1 − α)r + α·softplus(W_rec r + W_in ũ +
b + ξ_rec) with α = dt/τ = 20/100 and the recurrent noise inside φ (σ_rec = 0.05); W_rec
starts at 0.9·I; every parameter trained; Adam, learning rate 10^(−7/2) ≈ 3.16e-4, batches of
64, gradient norm clipped at 10, L2 weight penalty 1e-7 on W_in, W_rec and W_out (the
original meant to apply it but matched no parameter). Input noise: the original added
N(0, (σ_x/√(2/α))²) with σ_x = 0.1, i.e. a std of 0.0316; rnntool's convention multiplies by
√(2/α), so ``noise_in = 0.01`` applies the same std (0.0316) — the value the published
models were trained with. The loss is the masked MSE averaged over scored elements only.

**engellab pipeline** (January 2023 configuration scripts, per task): rate units with the
recurrent noise outside φ, α = 0.1, no bias; CDDM and DMTS use ReLU with Dale's law (80 %
excitatory, non-negative input and output weights, no self-connections), the others tanh;
W_rec rescaled to a spectral radius (``g``); Adam with weight decay 5e-6, an input/output
orthogonality penalty (0.3) and a rate penalty (0.1); the task's learning rate and
iteration budget; the best network by held-out validation MSE is kept.
"""

from __future__ import annotations

from typing import Any

MULTITASK_NETWORK: dict[str, Any] = {
    "cell": "rate", "cell_options": {"noise": "inside"}, "phi": "softplus", "alpha": 0.2,
    "noise_in": 0.01, "noise_rec": 0.05, "init": "identity", "g": 0.9, "n_rec": 256,
    "trainable": ("W_in", "W_rec", "b", "W_out", "b_out")}
MULTITASK_BPTT: dict[str, Any] = {
    "lr": 10 ** (-3.5), "batch_size": 64, "clip": 10.0, "loss": "mse", "loss_reduction": "mean",
    "regularise": "l2:W_in+W_rec+W_out=1e-7", "max_iters": 5000}
#: stop when the held-out MSE has not improved by 1e-4 for 20 checks (500 iterations). The
#: original ran a fixed 60 001 steps (about 7 h on a quiet 2-core CPU); the default budget
#: is 5000 (``--max-iters 60001`` for the original's)
MULTITASK_STOP = ("val_mse plateau 20 1e-4",)


def engellab_network(n_rec: int, phi: str, dale: bool, radius: float, noise: float) -> dict[str, Any]:
    """The engellab pipeline's network for one task."""
    net: dict[str, Any] = {
        "cell": "rate", "cell_options": {"noise": "outside"}, "phi": phi, "alpha": 0.1,
        "noise_in": noise, "noise_rec": noise, "init": "spectral", "g": radius, "n_rec": n_rec,
        "trainable": ("W_in", "W_rec", "W_out")}
    if dale:
        net.update(dale=0.8, nonnegative=("W_in", "W_out"), self_connections=False)
    return net


def engellab_bptt(lr: float, iterations: int, batch_size: int) -> dict[str, Any]:
    """The engellab pipeline's training for one task."""
    return {"lr": lr, "batch_size": batch_size, "loss": "mse", "loss_reduction": "mean",
            "weight_decay": 5e-6, "regularise": "orthogonality=0.3,rate=0.1",
            "max_iters": iterations}


#: per task: network (N, φ, Dale, spectral radius, σ) and training (lr, iterations, batch)
ENGELLAB = {
    "cddm": (engellab_network(75, "relu", True, 1.2, 0.03), engellab_bptt(0.02, 1000, 338)),
    "dmts": (engellab_network(50, "relu", True, 1.1, 0.03), engellab_bptt(0.05, 1000, 256)),
    "flipflop": (engellab_network(50, "tanh", False, 1.2, 0.03), engellab_bptt(0.02, 1000, 256)),
    "memory_anti_number": (engellab_network(50, "tanh", False, 1.2, 0.015),
                           engellab_bptt(0.005, 800, 352)),
    "memory_anti_angle": (engellab_network(50, "tanh", False, 1.2, 0.03),
                          engellab_bptt(0.005, 1500, 396)),
}
#: the best network is kept by validation MSE; stop once it has not improved by 1e-4 for 20
#: checks (200 iterations), within the pipeline's own iteration budget (``max_iters``)
ENGELLAB_STOP = ("val_mse plateau 20 1e-4",)

#: validation of both suites: a held-out set of 512 trials checked every 25 (multitask) or
#: 10 (engellab) iterations from the start (their tasks are scored by MSE, not gated on
#: training accuracy)
MULTITASK_VALIDATION = {"validate_every": 25, "validation_trials": 512, "validate_from": 0.0}
ENGELLAB_VALIDATION = {"validate_every": 10, "validation_trials": 512, "validate_from": 0.0}
