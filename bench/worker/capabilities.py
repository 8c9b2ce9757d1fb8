"""What each style can do beyond training, checked in the process that built it; the files a new
process must load are written here (`bench.worker.crossload`). Each check gets a fresh model
that has made one prediction, as any trained model has (a subclassed one cannot export before).
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from collections.abc import Callable, Sequence
from contextlib import redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.store.capabilities import (
    CHECK_NAMES,
    DOES_NOT_APPLY,
    EXPORT_EXTRA,
    NO,
    NOT_INSTALLED,
    NOT_SUPPORTED,
    YES,
    entry,
)
from bench.store.environment import package_version
from bench.store.files import write_atomic
from bench.worker import reuse
from bench.worker.reuse import DoesNotApply, same_predictions
from mnist_models import build_model, get_architecture

if TYPE_CHECKING:
    import keras

# Predictions of one model computed by two frameworks (an export served by TensorFlow, LiteRT
# or onnxruntime, a .keras file loaded under another backend): each sums in its own order, so
# bitwise equality is not expected; a millionth of a probability is far below any decision.
TOLERANCE = 1e-5
IMAGES = 16

REMEDIES = {
    "keras_reload_without_code": "import the module that defines the class before loading, or "
    "pass custom_objects; with no code on the server, ship a SavedModel or ONNX file instead",
    "h5_save_load": "save as `.keras`: `.h5` cannot rebuild a subclassed model",
    "features_get_layer": "call the same layers in order in a new model, or write the model "
    "in the Functional style",
    "clone_with_clone_function": "rebuild the model from its changed config, or write it in the "
    "Sequential or Functional style",
    "graph_attributes": "use `model.layers` and `get_layer`; a subclassed model has no symbolic "
    "inputs or outputs",
    "weights_file_other_styles": "move the weights with `get_weights`/`set_weights`, which go "
    "by order, not by the layers' paths",
    "fine_tune_new_head": "rebuild the feature layers as a Functional model and add the head",
    "built_before_first_call": "start the list with `keras.Input(shape=...)`, or call "
    "`model.build((None, *input_shape))` before using the model",
    "batch_dimension": "start the list with `keras.Input(shape=...)`, or call "
    "`model.build((None, *input_shape))` before the first call",
    "model_input": "use `model.inputs[0]`: Sequential sets `inputs` but never `input` "
    "(keras-team/keras#20116); a subclassed model has neither",
    "clone_model": "rebuild it with `type(model).from_config(model.get_config())`, then "
    "`set_weights`",
}


def check_images(directory: Path, arch: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """The inputs every check of `arch` predicts on, kept in `directory` for the new process."""
    kept = directory / f"{arch}-inputs.npy"
    if shape is None and kept.exists():
        return np.load(kept)
    x = np.random.default_rng(0).random((IMAGES, *(shape or (28, 28, 1))), dtype=np.float32)
    if shape is not None:
        np.save(kept, x)
    return x


def outcome(check: str, error: BaseException, backend: str) -> dict[str, Any]:
    """What an exception means for a check: a missing optional package is "not installed",
    what the backend or this Keras lacks is "not supported", anything else "no"."""
    # an object's address differs from run to run, and the first line says enough without it
    text = re.sub(r" at 0x[0-9a-f]+", "", f"{type(error).__name__}: {error}".strip().rstrip(":"))
    first = text.splitlines()[0][:300]
    lowered = text.lower()
    # A model that cannot do something is "no"; "not supported" is kept for what the backend or
    # the installed Keras lacks, which their errors name.
    lacking = "backend" in lowered or "format" in lowered or "keras version" in lowered
    if isinstance(error, DoesNotApply):
        return entry(DOES_NOT_APPLY, str(error))
    if isinstance(error, ImportError):  # Keras names the package where it knows it
        named = re.search(r"pip install [\w.\[\]'-]+", text)
        return entry(NOT_INSTALLED, first, remedy=named.group(0) if named else EXPORT_EXTRA)
    if lacking and (
        isinstance(error, NotImplementedError) or "support" in lowered or "requires" in lowered
    ):
        return entry(NOT_SUPPORTED, first)
    return entry(NO, first, remedy=REMEDIES.get(check))


def run_check(check: str, backend: str, body: Callable[[], str | None]) -> dict[str, Any]:
    """Runs one check's body; its return is the detail of a "yes"."""
    try:
        return entry(YES, detail=body())
    except Exception as e:  # the point is to record what fails, and why
        return outcome(check, e, backend)


def check_capabilities(
    arch: str,
    styles: list[str],
    backend: str,
    directory: Path,
    data_dir: str | None = None,
    wanted: Sequence[str] = CHECK_NAMES,
) -> dict[str, dict[str, Any]]:
    """Runs the in-process checks of `wanted` on every style of `arch`; writes each style's
    files into `directory`. Returns {style: {check: entry}}."""
    directory.mkdir(parents=True, exist_ok=True)
    _write_versions(directory)
    x = check_images(directory, arch, getattr(get_architecture(arch).spec, "input_shape", None))
    # a model trained once, for quantizing its trained weights
    trained = (
        reuse.trained_weights(arch, styles[0], data_dir) if "quantize_int8" in wanted else None
    )
    results: dict[str, dict[str, Any]] = {}
    for style in styles:
        checks: dict[str, Callable[[keras.Model, Path], str | None]] = {
            "h5_save_load": lambda m, tmp: _h5(m, x, tmp),
            "batch_dimension": lambda m, tmp: _batch_dimension(m, x),
            "config_round_trip": lambda m, tmp: _config_round_trip(m, x),
            "quantize_int8": lambda m, tmp: reuse.quantize(m, trained),
            "weights_same_style": lambda m, tmp, s=style: reuse.weights_file(arch, m, [s], x, tmp),
            "weights_file_other_styles": lambda m, tmp, s=style: reuse.weights_file(
                arch, m, _others(s, styles), x, tmp
            ),
            "set_weights_other_styles": lambda m, tmp, s=style: reuse.set_weights(
                arch, m, _others(s, styles), x
            ),
            "features_get_layer": lambda m, tmp: reuse.features_get_layer(m, x),
            "features_layers_in_order": lambda m, tmp: reuse.features_in_order(m, x),
            "fine_tune_new_head": lambda m, tmp: reuse.fine_tune(m, x),
            "clone_model": lambda m, tmp: reuse.clone(m, x),
            "clone_with_clone_function": lambda m, tmp: reuse.clone_changed(m, x),
            "summary_output_shapes": lambda m, tmp: _summary(m),
            "graph_attributes": lambda m, tmp: _graph_attributes(m),
            "model_input": lambda m, tmp: f"shape {tuple(m.input.shape)}",
            "plot_model": lambda m, tmp: _plot(m, tmp),
        }
        found = {}
        if "built_before_first_call" in wanted:  # of the model as its builder returns it
            found["built_before_first_call"] = run_check(
                "built_before_first_call", backend, lambda s=style: _before_first_call(arch, s)
            )
        for name, check in ((n, c) for n, c in checks.items() if n in wanted):
            model = _fresh(arch, style, x)
            with tempfile.TemporaryDirectory() as tmp:
                found[name] = run_check(
                    name, backend, lambda c=check, m=model, t=tmp: c(m, Path(t))
                )
        found.update(write_files(arch, style, backend, directory, x, wanted))
        results[style] = found
    return results


def _write_versions(directory: Path) -> None:
    """Which Keras and TensorFlow wrote the files: what a later install's load is judged
    against (`--previous-files`)."""
    versions = {package: package_version(package) for package in ("keras", "tensorflow")}
    write_atomic(directory / "versions.json", json.dumps(versions).encode())


def _fresh(arch: str, style: str, x: np.ndarray) -> keras.Model:
    model = build_model(arch, style, seed=1)
    model.predict(x, verbose=0)
    return model


def _others(style: str, styles: list[str]) -> list[str]:
    others = [s for s in styles if s != style]
    if not others:
        raise DoesNotApply("the architecture has no other style")
    return others


def stem(directory: Path, backend: str, arch: str, style: str) -> Path:
    """Where one (backend, arch, style)'s files go: `<stem>.keras`, `.tflite`, … beside it."""
    return directory / f"{backend}-{arch.replace(':', '_')}-{style}"


def write_files(
    arch: str,
    style: str,
    backend: str,
    directory: Path,
    x: np.ndarray,
    wanted: Sequence[str] = CHECK_NAMES,
) -> dict[str, dict[str, Any]]:
    """Saves the files and predictions the new process checks; returns the files that failed."""
    import keras

    model = _fresh(arch, style, x)
    base = stem(directory, backend, arch, style)
    np.save(base.with_suffix(".npy"), np.asarray(model.predict(x, verbose=0)))
    failed = {}
    writers = {
        "keras_reload_with_code": lambda: keras.saving.save_model(
            model, base.with_suffix(".keras")
        ),
        "savedmodel_served": lambda: model.export(
            str(base) + "-saved_model", format="tf_saved_model", verbose=False
        ),
        "tflite_litert": lambda: model.export(
            str(base.with_suffix(".tflite")), format="litert", verbose=False
        ),
        "onnx_onnxruntime": lambda: model.export(
            str(base.with_suffix(".onnx")), format="onnx", verbose=False
        ),
    }
    for check, write in ((c, w) for c, w in writers.items() if c in wanted):
        done = run_check(check, backend, write)
        if done["outcome"] != YES:
            failed[check] = done
            if check == "keras_reload_with_code":
                failed["keras_reload_without_code"] = done
    meta = {"module": type(model).__module__, "class": type(model).__name__}
    base.with_suffix(".json").write_text(json.dumps(meta))
    return failed


def _before_first_call(arch: str, style: str) -> str:
    model = build_model(arch, style, seed=1, first_call=False)
    if not model.built:
        raise AssertionError(
            "not built yet: it has no weights, and `count_params()` raises, until a first call "
            "builds it"
        )
    _summary(model)
    return f"{model.count_params():,} parameters"


def _batch_dimension(model, x: np.ndarray) -> str:
    import keras

    if not hasattr(model, "inputs"):
        raise DoesNotApply("a subclassed model has no symbolic inputs: it takes any batch")
    shape = tuple(model.inputs[0].shape)
    if shape[0] is not None:
        raise AssertionError(
            f"its inputs have batch size {shape[0]} built in, the first call's: {shape}"
        )
    features = keras.Model(model.inputs, reuse.feature_layer(model).output)
    odd = len(x) - 1
    got = features.predict(x[:odd], verbose=0).shape[0]
    if got != odd:
        raise AssertionError(f"features of {odd} images came back as {got}")
    return f"inputs {shape}; features of {odd} images"


def _h5(model, x, tmp):
    import keras

    model.save(tmp / "model.h5")
    reloaded = keras.models.load_model(tmp / "model.h5")
    return same_predictions(model.predict(x, verbose=0), reloaded.predict(x, verbose=0))


def _config_round_trip(model, x):
    rebuilt = type(model).from_config(model.get_config())
    if not rebuilt.built:
        rebuilt.build(x.shape)
    rebuilt.set_weights(model.get_weights())
    return same_predictions(model.predict(x, verbose=0), rebuilt.predict(x, verbose=0))


def _summary(model):
    text = io.StringIO()
    with redirect_stdout(text):
        model.summary()
    rows = [line for line in text.getvalue().splitlines() if "│" in line]
    if not rows:
        raise AssertionError("summary() printed no layer rows")
    unknown = [row for row in rows if "│ ?" in row or " ? " in row]
    if unknown:
        raise AssertionError(f"summary() shows unknown output shapes: {unknown[0].strip()}")
    return None


def _graph_attributes(model):
    if not model.layers:
        raise DoesNotApply("the model has no layers")
    last = model.layers[-1]
    if model.get_layer(last.name) is not last:
        raise AssertionError(f"get_layer({last.name!r}) is not model.layers[-1]")
    return (
        f"{len(model.inputs)} input(s), {len(model.outputs)} output(s), {len(model.layers)} layers"
    )


def _plot(model, tmp):
    import keras

    keras.utils.plot_model(model, to_file=str(tmp / "model.png"), show_shapes=True)
    if not (tmp / "model.png").is_file():
        raise AssertionError("plot_model wrote no file")
    return None
