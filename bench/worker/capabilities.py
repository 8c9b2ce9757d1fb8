"""What each style can do beyond training: summaries, configs, the save formats, cloning.

Each check gets a freshly built model that has made one prediction, as any model has after
training (a subclassed model, for one, cannot be exported before it has been called), and reports
yes/no, with the error text when no.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bench.store.records import CAPABILITY_CHECKS
from mnist_models import build_model

# Predictions of one model computed by two frameworks (an export served by TensorFlow, a .keras
# file loaded under another backend): each sums in its own order, so bitwise equality is not
# expected; a millionth of a probability is far below any decision.
TOLERANCE = 1e-5

if TYPE_CHECKING:
    import keras


def check_capabilities(arch: str, style: str) -> dict[str, dict[str, object]]:
    """Runs every check on `arch` in `style`; returns {check: {"ok": bool, "error": str|None}}."""
    checks: dict[str, Callable[[keras.Model, np.ndarray, Path], None]] = {
        "summary_output_shapes": _summary,
        "config_round_trip": _config_round_trip,
        "keras_save_load": lambda m, x, tmp: _save_load(m, x, tmp / "model.keras"),
        "h5_save_load": lambda m, x, tmp: _save_load(m, x, tmp / "model.h5"),
        "savedmodel_export": _export,
        "clone_model": _clone,
    }
    assert tuple(checks) == CAPABILITY_CHECKS, "the report's column order names every check"
    results = {}
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    for name, check in checks.items():
        model = build_model(arch, style, seed=1)
        model.predict(x, verbose=0)
        with tempfile.TemporaryDirectory() as tmp:
            try:
                check(model, x, Path(tmp))
                results[name] = {"ok": True, "error": None}
            except Exception as e:  # the point is to record what fails, and why
                results[name] = {"ok": False, "error": f"{type(e).__name__}: {e}"[:500]}
    return results


def _summary(model, x, tmp):
    text = io.StringIO()
    with redirect_stdout(text):
        model.summary()
    rows = [line for line in text.getvalue().splitlines() if "│" in line]
    if not rows:
        raise AssertionError("summary() printed no layer rows")
    unknown = [row for row in rows if "│ ?" in row or " ? " in row]
    if unknown:
        raise AssertionError(f"summary() shows unknown output shapes: {unknown[0].strip()}")


def _same_predictions(original, other, x):
    expected = original.predict(x, verbose=0)
    actual = other.predict(x, verbose=0)
    if not np.array_equal(expected, actual):
        raise AssertionError(
            f"predictions differ after the round trip: max |diff| "
            f"{np.max(np.abs(expected - actual)):.3g}"
        )


def _config_round_trip(model, x, tmp):
    rebuilt = type(model).from_config(model.get_config())
    if not rebuilt.built:
        rebuilt.build(x.shape)
    rebuilt.set_weights(model.get_weights())
    _same_predictions(model, rebuilt, x)


def _save_load(model, x, path):
    import keras

    model.save(path)
    _same_predictions(model, keras.models.load_model(path), x)


def _export(model, x, tmp):
    import keras
    import tensorflow as tf

    model.export(tmp / "saved_model", format="tf_saved_model", verbose=False)
    reloaded = tf.saved_model.load(str(tmp / "saved_model"))
    served, predicted = reloaded.serve(x).numpy(), model.predict(x, verbose=0)
    if keras.backend.backend() == "tensorflow":  # the same kernels: bitwise the same
        np.testing.assert_array_equal(served, predicted)
    else:  # TensorFlow serves what another backend computed, summing in its own order
        np.testing.assert_allclose(served, predicted, rtol=0, atol=TOLERANCE)


def _clone(model, x, tmp):
    import keras

    clone = keras.models.clone_model(model)
    if clone.count_params() != model.count_params():
        raise AssertionError(
            f"clone has {clone.count_params()} parameters, not {model.count_params()}"
        )
    clone(x, training=False)
