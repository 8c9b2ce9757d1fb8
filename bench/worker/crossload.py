"""The capability checks of a new process: what the building process wrote, loaded first with
none of the model's code imported, then as a user's program would, with every backend's file."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.store.capabilities import CHECK_NAMES, DOES_NOT_APPLY, NO, PREVIOUS_INSTALL, entry
from bench.worker.capabilities import TOLERANCE, check_images, run_check, stem
from bench.worker.reuse import same_predictions
from mnist_models import get_architecture


def load_models(
    backend: str,
    arch: str,
    styles: list[str],
    saved_on: list[str],
    directory: Path,
    previous: Path | None = None,
    wanted: Sequence[str] = CHECK_NAMES,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Loads, on `backend`, what `check_capabilities` wrote for each style, and the `.keras`
    files of the backends in `saved_on` and of a `previous` install. Returns {style: {check:
    entry}}."""
    x = check_images(directory, arch)
    results: dict[str, dict[str, dict[str, Any]]] = {style: {} for style in styles}
    for style in styles:  # nothing of the model's code imported yet
        base = stem(directory, backend, arch, style)
        checks = {
            "keras_reload_without_code": lambda b=base: _keras_without_code(b, x),
            "savedmodel_served": lambda b=base: _served(b, x),
            "tflite_litert": lambda b=base: _litert(b, x),
            "onnx_onnxruntime": lambda b=base: _onnx(b, x),
        }
        for check, load in ((c, f) for c, f in checks.items() if c in wanted):
            results[style][check] = _loaded(check, backend, base, load)
    get_architecture(arch)  # as a user's program imports the module that defines the model
    for style in styles:
        for source in [backend, *saved_on]:
            base = stem(directory, source, arch, style)
            check = "keras_reload_with_code" if source == backend else f"from:{source}"
            results[style][check] = _loaded(check, backend, base, lambda b=base: _keras(b, x))
        if previous is not None:
            results[style][PREVIOUS_INSTALL] = _previous(backend, arch, style, previous, x)
    return results


def _previous(backend: str, arch: str, style: str, previous: Path, x: np.ndarray) -> dict[str, Any]:
    base = stem(previous, backend, arch, style)
    versions = json.loads((previous / "versions.json").read_text())
    saved_by = f"saved by Keras {versions.get('keras')}, TensorFlow {versions.get('tensorflow')}"
    if not base.with_suffix(".keras").is_file():
        return entry(DOES_NOT_APPLY, f"the previous install saved no {base.name}.keras")
    found = run_check(PREVIOUS_INSTALL, backend, lambda: _keras(base, x))
    return {**found, "detail": f"{saved_by}; {found['detail']}" if found["detail"] else saved_by}


def _loaded(check: str, backend: str, base: Path, load) -> dict[str, Any]:
    if not base.with_suffix(".json").is_file():
        return entry(NO, f"no files for {base.name}: the process that builds them failed")
    return run_check(check, backend, load)


def _expected(base: Path) -> np.ndarray:
    return np.load(base.with_suffix(".npy"))


def _keras(base: Path, x: np.ndarray) -> str:
    import keras

    if not base.with_suffix(".keras").is_file():
        raise FileNotFoundError(f"{base.name}.keras was not written")
    model = keras.saving.load_model(base.with_suffix(".keras"))
    return same_predictions(_expected(base), model.predict(x, verbose=0), TOLERANCE)


def _keras_without_code(base: Path, x: np.ndarray) -> str:
    meta = json.loads(base.with_suffix(".json").read_text())
    module = meta["module"]
    if not module.startswith("keras") and module in sys.modules:
        raise RuntimeError(
            f"{module} is imported in this process: the check needs a process "
            "without the model's code"
        )
    return _keras(base, x)


def _served(base: Path, x: np.ndarray) -> str:
    import tensorflow as tf

    path = Path(str(base) + "-saved_model")
    if not path.is_dir():
        raise FileNotFoundError(f"{path.name} was not written")
    loaded = tf.saved_model.load(str(path))  # held: its variables die with the object
    served = loaded.serve(x).numpy()
    return same_predictions(_expected(base), served, TOLERANCE)


def _litert(base: Path, x: np.ndarray) -> str:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(base.with_suffix(".tflite")))
    (given,) = interpreter.get_input_details()
    interpreter.resize_tensor_input(given["index"], x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(given["index"], x)
    interpreter.invoke()
    output = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    return same_predictions(_expected(base), output, TOLERANCE)


def _onnx(base: Path, x: np.ndarray) -> str:
    import onnxruntime

    session = onnxruntime.InferenceSession(
        str(base.with_suffix(".onnx")), providers=["CPUExecutionProvider"]
    )
    (output,) = session.run(None, {session.get_inputs()[0].name: x})
    return same_predictions(_expected(base), output, TOLERANCE)
