"""JAX: its CPU runs are deterministic as they come; the device is JAX's default."""

from __future__ import annotations

import jax


def prepare(deterministic: bool) -> None:
    """Nothing to switch on: XLA's CPU kernels are deterministic, and the harness checks it.

    Equal seeds giving bitwise-equal trained weights is checked for every run, across the
    styles and across repeated runs (tests/test_backends.py), rather than assumed. On GPUs XLA
    would need XLA_FLAGS=--xla_gpu_deterministic_ops=true, set before JAX starts.
    """


def device_name() -> str:
    """ "gpu:<kind>" for JAX's first device when it is a GPU, else "cpu"."""
    device = jax.devices()[0]
    return "cpu" if device.platform == "cpu" else f"gpu:{device.device_kind}"
