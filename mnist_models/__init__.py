"""The same MNIST classifiers written in the three Keras styles: Sequential, Functional, subclassed.

This package knows nothing of the benchmark harness; it only builds models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from mnist_models.architecture import STYLES, Architecture
from mnist_models.spec import Spec

if TYPE_CHECKING:
    import keras

# A new architecture is a package like `cnn/` (a spec and three builders) plus one entry here.
# Packages are imported on first use, so that reading ARCHS and STYLES does not start Keras.
_PACKAGES = {"cnn": "mnist_models.cnn", "mlp": "mnist_models.mlp"}

ARCHS: tuple[str, ...] = tuple(_PACKAGES)

__all__ = ["ARCHS", "STYLES", "Architecture", "Spec", "build_model", "get_architecture"]


def get_architecture(arch: str) -> Architecture:
    """Returns the registered architecture called `arch`.

    Raises:
        ValueError: `arch` is not one of `ARCHS`.
    """
    if arch not in _PACKAGES:
        raise ValueError(f"unknown arch {arch!r}; expected one of: {', '.join(ARCHS)}")
    return importlib.import_module(_PACKAGES[arch]).ARCHITECTURE


def build_model(arch: str, style: str, *, seed: int | None = None) -> keras.Model:
    """Builds `arch` in `style`, with its weights created, not compiled.

    Args:
        arch: one of `ARCHS`.
        style: one of `STYLES`.
        seed: if given, seeds Python, NumPy and the backend through
            `keras.utils.set_random_seed` first, which makes the initial weights a function of
            (arch, seed) alone: every style draws them in the same order.

    Raises:
        ValueError: unknown `arch` or `style`.
    """
    architecture = get_architecture(arch)
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of: {', '.join(STYLES)}")
    if seed is not None:
        import keras

        keras.utils.set_random_seed(seed)
    return architecture.builders[style](architecture.spec)
