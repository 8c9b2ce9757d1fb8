"""A shared start's initial weights: made once per (arch, seed), on TensorFlow, kept as arrays.

Each backend turns Keras' integer seeds into numbers with its own generator, so the same seed
gives different initial weights on TensorFlow, JAX and PyTorch. With a shared start, the
Sequential model built on TensorFlow from the seed is the one starting point; every backend and
style loads it with `set_weights`. Runs inside a worker process on TensorFlow.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from bench.store.files import write_atomic
from mnist_models import build_model, get_architecture


def make_initial_weights(arch: str, seed: int, path: Path) -> None:
    """Builds `arch` in its reference style (Sequential where it can express it) from `seed` and
    writes its weights to `path` (.npz).

    Arrays are named w0, w1, ... in `get_weights` order, which is the same for every style.
    """
    reference = get_architecture(arch).reference
    weights = build_model(arch, reference, seed=seed).get_weights()
    buffer = io.BytesIO()
    np.savez(buffer, **{f"w{i}": w for i, w in enumerate(weights)})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, buffer.getvalue())
