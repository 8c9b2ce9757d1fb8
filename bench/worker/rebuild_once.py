"""What one line in Keras would save: a Sequential model's `.keras` load adding its layers without
rebuilding after each, then building once.

Keras 3.15's `Sequential.from_config` calls `model.add(layer)` for every layer, and each `add`
rebuilds the whole model, so a load of N layers builds N models. `model.add(layer, rebuild=False)`
there, as `Sequential.__init__` already does with a list, leaves the one build that
`from_config` makes at its end. Runs inside a worker process.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import keras


@contextlib.contextmanager
def adds_without_rebuild():
    """Within it, `Sequential.add` rebuilds only when asked to: the patched line's effect."""
    add = keras.Sequential.add
    keras.Sequential.add = lambda self, layer, rebuild=False: add(self, layer, rebuild=rebuild)
    try:
        yield
    finally:
        keras.Sequential.add = add


def load_rebuilding_once(path: Path) -> keras.Model:
    """`keras.saving.load_model(path)` with the line patched."""
    with adds_without_rebuild():
        model = keras.saving.load_model(path)
    if isinstance(model, keras.Sequential) and not model.built:
        model._maybe_rebuild()  # a config saved before any build has no shape to build with
    return model
