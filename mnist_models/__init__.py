"""The same MNIST classifiers written in the three Keras styles: Sequential, Functional, subclassed.

This package knows nothing of the benchmark harness; it only builds models.
"""

from __future__ import annotations

import keras

from mnist_models import cnn, mlp
from mnist_models.architecture import STYLES, Architecture
from mnist_models.spec import Spec

# A new architecture is a package like `cnn/` (a spec and three builders) plus one entry here.
_ARCHITECTURES: dict[str, Architecture] = {a.name: a for a in (cnn.ARCHITECTURE, mlp.ARCHITECTURE)}

ARCHS: tuple[str, ...] = tuple(_ARCHITECTURES)

__all__ = ["ARCHS", "STYLES", "Architecture", "Spec", "build_model", "get_architecture"]


def get_architecture(arch: str) -> Architecture:
    """Returns the registered architecture called `arch`.

    Raises:
        ValueError: `arch` is not one of `ARCHS`.
    """
    try:
        return _ARCHITECTURES[arch]
    except KeyError:
        raise ValueError(f"unknown arch {arch!r}; expected one of: {', '.join(ARCHS)}") from None


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
        keras.utils.set_random_seed(seed)
    return architecture.builders[style](architecture.spec)
