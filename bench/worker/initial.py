"""A shared start's initial weights, made once per (arch, seed) on TensorFlow: each backend
draws its own numbers from a seed, so every backend and style loads these instead."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from bench.store.files import write_atomic
from mnist_models import build_model, get_architecture


def make_initial_weights(arch: str, seed: int, path: Path) -> None:
    """Writes `arch`'s reference-style weights from `seed` to `path` (.npz, `get_weights` order)."""
    reference = get_architecture(arch).reference
    weights = build_model(arch, reference, seed=seed).get_weights()
    buffer = io.BytesIO()
    np.savez(buffer, **{f"w{i}": w for i, w in enumerate(weights)})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, buffer.getvalue())
