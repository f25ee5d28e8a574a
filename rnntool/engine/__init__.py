"""The training engine shared by every learning rule: metrics, validation, stopping rules,
losses, regularisers, optimisers, checkpoints, TensorBoard logging and batched ensembles.

Each concern lives in its own module with a registry, so adding a metric, loss,
regulariser, stopping rule or optimiser is one function plus one registry entry.
"""
