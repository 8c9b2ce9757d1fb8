"""What one line in Keras would save: Keras 3.15's `Sequential.from_config` adds each layer with
a rebuild, so a load of N layers builds N models; `add(layer, rebuild=False)` builds once."""

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
