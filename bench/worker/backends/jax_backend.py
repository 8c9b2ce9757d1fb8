"""JAX: deterministic on CPU as it comes, on GPU by an XLA flag that `select` sets before JAX
starts; the device is JAX's default."""

from __future__ import annotations

import jax


def prepare(deterministic: bool) -> None:
    """Nothing: XLA reads its flags at start-up, which `select` sets."""


def device_name() -> str:
    """ "gpu:<kind>" for JAX's first device when it is a GPU, else "cpu"."""
    device = jax.devices()[0]
    return "cpu" if device.platform == "cpu" else f"gpu:{device.device_kind}"
