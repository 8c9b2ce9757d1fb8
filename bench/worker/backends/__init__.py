"""Choosing the Keras backend inside a worker; nothing here imports a framework at import time."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from types import ModuleType

from bench.plan.backends import BACKENDS, install_hint, installed

XLA_DETERMINISTIC = "--xla_gpu_deterministic_ops=true"
_MODULES = {
    "tensorflow": "bench.worker.backends.tensorflow_backend",
    "jax": "bench.worker.backends.jax_backend",
    "torch": "bench.worker.backends.torch_backend",
}


class BackendUnavailableError(RuntimeError):
    """A backend was asked for whose framework is not installed."""


def select(name: str, block_tensorflow: bool = True, deterministic: bool = False) -> None:
    """Makes `name` this process's Keras backend; call before anything imports Keras.

    On JAX and PyTorch it blocks TensorFlow (Keras' `set_random_seed` would import it, adding
    its start-up and memory); on JAX, `deterministic` sets XLA's start-up flags.

    Raises:
        ValueError, BackendUnavailableError, RuntimeError: an unknown name, a framework not
            installed, or Keras already imported with another backend.
    """
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of: {', '.join(BACKENDS)}")
    if not installed(name):
        raise BackendUnavailableError(
            f"backend {name!r} is not installed; install it with: {install_hint(name)}"
        )
    if "keras" in sys.modules:
        import keras

        if keras.backend.backend() != name:
            raise RuntimeError(
                f"Keras was imported with backend {keras.backend.backend()!r} before "
                f"{name!r} was selected; select the backend first"
            )
    os.environ["KERAS_BACKEND"] = name
    if name == "jax" and deterministic and XLA_DETERMINISTIC not in os.environ.get("XLA_FLAGS", ""):
        # XLA:GPU's reductions and autotuned kernels may differ from run to run otherwise; its
        # CPU kernels are deterministic already, and the flag changes nothing there.
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {XLA_DETERMINISTIC}".strip()
    if block_tensorflow and name != "tensorflow" and "tensorflow" not in sys.modules:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]  # import now fails


def current() -> ModuleType:
    """The module of the backend Keras runs on: `prepare(settings)`, `device_name()`."""
    import keras

    return importlib.import_module(_MODULES[keras.backend.backend()])
