"""PyTorch: deterministic algorithms, and the device Keras places models on."""

from __future__ import annotations

import torch


def prepare(deterministic: bool) -> None:
    """Makes PyTorch refuse nondeterministic kernels, where asked."""
    if deterministic:
        torch.use_deterministic_algorithms(True)


def device_name() -> str:
    """ "gpu:<name>" when Keras' torch backend runs on CUDA, else "cpu"."""
    if torch.cuda.is_available():
        return f"gpu:{torch.cuda.get_device_name(0)}"
    return "cpu"
