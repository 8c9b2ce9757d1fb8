"""Keeps the framework's C++ start-up lines off the console: TensorFlow writes some to file
descriptor 2 before absl starts, whatever TF_CPP_MIN_LOG_LEVEL says. Only the CLI and workers
call this."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys


def silence_framework_logs() -> None:
    """Sets the log levels the frameworks read at import (the user's own settings win)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # also hides "failed call to cuInit"
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")


def import_tensorflow_quietly() -> None:
    """Imports TensorFlow with file descriptor 2 pointed at /dev/null for the import alone."""
    _import_quietly("tensorflow")


def import_keras_quietly() -> None:
    """Imports Keras, and with it the backend framework, as `import_tensorflow_quietly` does."""
    _import_quietly("keras")


def _import_quietly(name: str) -> None:
    if name in sys.modules:
        return
    silence_framework_logs()
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            with contextlib.suppress(ImportError):  # the real import below reports it
                importlib.import_module(name)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    importlib.import_module(name)  # raises here, on a visible stderr, if it failed
