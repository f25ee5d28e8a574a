"""Checking a torch device name against the installed torch before any work starts."""

from __future__ import annotations

from rnntool.errors import ConfigError

CUDA_WHEELS = "https://download.pytorch.org/whl/cu126"


def check_device(name: str) -> str:
    """Return ``name`` if the installed torch can run on it, else raise a one-line ConfigError
    saying what is missing and what to install."""
    if name == "cpu":
        return name
    import torch

    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise ConfigError(f"unknown device {name!r}: use cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        if torch.version.cuda is None:
            raise ConfigError(
                f"device {name!r}: the installed torch {torch.__version__} has no CUDA support; "
                f"install a CUDA build, e.g. pip install torch --index-url {CUDA_WHEELS}")
        if not torch.cuda.is_available():
            raise ConfigError(f"device {name!r}: torch {torch.__version__} supports CUDA "
                              "but finds no usable GPU (check the driver and CUDA_VISIBLE_DEVICES)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(f"device {name!r}: only {torch.cuda.device_count()} GPU(s) visible")
    elif device.type == "mps":
        if not torch.backends.mps.is_available():
            raise ConfigError(f"device {name!r}: MPS needs macOS on Apple silicon and a torch "
                              "build with MPS support (pip install torch on that machine)")
    elif device.type != "cpu":
        raise ConfigError(f"device {name!r} is not supported: use cpu, cuda, cuda:N or mps")
    return name
