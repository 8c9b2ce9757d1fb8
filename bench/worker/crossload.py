"""Does a `.keras` file saved under one backend load under another and predict the same?

Two steps, each in a worker on one backend: `save_models` writes every style of an arch with
the predictions it made before saving; once every backend has saved, `load_models` loads every
other backend's files and compares their predictions on the same images.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bench.store.files import write_atomic
from bench.worker.capabilities import TOLERANCE
from mnist_models import build_model, get_architecture

IMAGES = 16


def _images() -> np.ndarray:
    return np.random.default_rng(0).random((IMAGES, 28, 28, 1), dtype=np.float32)


def _stem(directory: Path, backend: str, arch: str, style: str) -> Path:
    return directory / f"{backend}-{arch}-{style}"


def save_models(backend: str, arch: str, styles: list[str], directory: Path) -> None:
    """Saves `arch` in every style, built from seed 1, and its predictions on the check images."""
    import keras

    directory.mkdir(parents=True, exist_ok=True)
    for style in styles:
        model = build_model(arch, style, seed=1)
        stem = _stem(directory, backend, arch, style)
        predictions = np.asarray(model.predict(_images(), verbose=0))
        keras.saving.save_model(model, stem.with_suffix(".keras"))
        np.save(stem.with_suffix(".npy"), predictions)
        write_atomic(stem.with_suffix(".done"), b"")  # the pair above is complete


def load_models(backend: str, arch: str, styles: list[str], saved_on: list[str],
                directory: Path) -> dict[str, dict[str, dict[str, Any]]]:  # fmt: skip
    """Loads what each backend in `saved_on` saved, on `backend`, and compares predictions.

    Returns:
        {style: {saved_on: {"ok", "max_abs_diff", "error"}}}.
    """
    import keras

    # A subclassed model loads only where its class is registered, as in a user's program that
    # imports the module defining it; importing the architecture's package does that.
    get_architecture(arch)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for style in styles:
        for source in saved_on:
            stem = _stem(directory, source, arch, style)
            try:
                if not stem.with_suffix(".done").exists():
                    raise FileNotFoundError(f"{source} saved no {stem.name}.keras")
                model = keras.saving.load_model(stem.with_suffix(".keras"))
                predictions = np.asarray(model.predict(_images(), verbose=0))
                diff = float(np.max(np.abs(predictions - np.load(stem.with_suffix(".npy")))))
                ok, error = diff <= TOLERANCE, None
                if not ok:
                    error = f"predictions differ by up to {diff:.3g} (tolerance {TOLERANCE:g})"
                entry = {"ok": ok, "max_abs_diff": diff, "error": error}
            except Exception as e:  # the matrix records what fails, and why
                entry = {"ok": False, "max_abs_diff": None, "error": f"{type(e).__name__}: {e}"}
            results.setdefault(style, {})[source] = entry
    return results
