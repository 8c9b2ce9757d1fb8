"""The capability checks: each one passing, each one failing with its reason, and the real
MLP's outcomes in five forms on TensorFlow, a new process without the model's code included."""

import json
import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
from keras import layers

from bench.store.capabilities import (
    CHECK_NAMES,
    CHECK_SETS,
    DOES_NOT_APPLY,
    NO,
    NOT_INSTALLED,
    NOT_SUPPORTED,
    PREVIOUS_INSTALL,
    YES,
)
from bench.worker import capabilities, crossload, reuse
from bench.worker.capabilities import check_capabilities, outcome, run_check
from tests.factories import PROJECT

X = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)


def _chain() -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Flatten(),
            layers.Dense(8),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.predict(X, verbose=0)
    return model


def _residual() -> keras.Model:
    inputs = keras.Input((28, 28, 1))
    flat = layers.Flatten()(inputs)
    hidden = layers.Add()([flat, layers.Dense(784)(flat)])
    model = keras.Model(inputs, layers.Dense(3, activation="softmax")(hidden))
    model.predict(X, verbose=0)
    return model


class Unconfigurable(keras.Model):
    """A subclassed model whose constructor needs an argument its config does not carry."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.flatten, self.head = layers.Flatten(), layers.Dense(units)

    def call(self, x):
        return self.head(self.flatten(x))


class Residual(keras.Model):
    """A subclassed model whose call is no chain: its layers called in order are another model."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.flatten, self.dense, self.head = layers.Flatten(), layers.Dense(784), layers.Dense(3)

    def call(self, x):
        flat = self.flatten(x)
        return self.head(flat + self.dense(flat))


def _check(name, body):
    return run_check(name, "tensorflow", body)


def test_an_error_is_no_with_its_first_line_and_remedy_or_a_missing_package_or_support():
    no = outcome("h5_save_load", ValueError("Unknown layer: 'ConvNet'.\nmore"), "tensorflow")
    assert no["outcome"] == NO and no["error"] == "ValueError: Unknown layer: 'ConvNet'."
    assert "`.keras`" in no["remedy"]
    missing = outcome("onnx_onnxruntime", ImportError("No module named 'onnxruntime'"), "jax")
    assert missing["outcome"] == NOT_INSTALLED and "[export]" in missing["remedy"]
    assert (
        outcome("x", NotImplementedError("not on the torch backend"), "torch")["outcome"]
        == NOT_SUPPORTED
    )
    jax = ValueError("LiteRT export requires TensorFlow or PyTorch backend.")
    assert outcome("tflite_litert", jax, "jax")["outcome"] == NOT_SUPPORTED
    named = ImportError(
        "This requires the jax2onnx module. You can install it via `pip install jax2onnx`"
    )
    assert outcome("onnx_onnxruntime", named, "jax")["remedy"] == "pip install jax2onnx"
    # Keras' get_config of a subclassed model it cannot serialise: the model's "no"
    assert outcome("config_round_trip", NotImplementedError(), "torch")["outcome"] == NO
    lacking = ValueError("Exporting to ONNX is not supported for the torch backend")
    assert outcome("onnx_onnxruntime", lacking, "torch")["outcome"] == NOT_SUPPORTED


def test_features_pass_through_the_head_and_fail_where_the_layers_are_no_chain():
    chain, residual = _chain(), _residual()
    assert _check("f", lambda: reuse.features_get_layer(chain, X))["outcome"] == YES
    assert _check("f", lambda: reuse.features_in_order(chain, X))["outcome"] == YES
    assert _check("f", lambda: reuse.features_get_layer(residual, X))["outcome"] == YES
    failed = _check("f", lambda: reuse.features_in_order(residual, X))
    assert failed["outcome"] == NO, failed


def test_a_model_of_one_layer_has_no_features_to_take():
    single = keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten()])
    found = _check("features_get_layer", lambda: reuse.features_get_layer(single, X))
    assert found["outcome"] == DOES_NOT_APPLY and "no intermediate layer" in found["error"]


def test_fine_tuning_moves_the_new_head_only_and_fails_without_a_feature_idiom():
    assert "frozen weights unchanged" in reuse.fine_tune(_chain(), X)
    model = Residual()
    model.predict(X, verbose=0)
    found = _check("fine_tune_new_head", lambda: reuse.fine_tune(model, X))
    assert found["outcome"] == NO and "no idiom gives" in found["error"]


def test_cloning_with_and_without_a_clone_function_and_where_from_config_cannot_rebuild():
    assert reuse.clone(_chain(), X) == "max |diff| 0"
    assert "renamed" in reuse.clone_changed(_chain(), X)
    model = Unconfigurable(3)
    model.predict(X, verbose=0)
    assert _check("clone_model", lambda: reuse.clone(model, X))["outcome"] == NO
    changed = _check("clone_with_clone_function", lambda: reuse.clone_changed(model, X))
    assert changed["outcome"] == NO and "only supported for Sequential" in changed["error"]
    config = _check("config_round_trip", lambda: capabilities._config_round_trip(model, X))
    assert config["outcome"] == NO


def test_quantizing_reports_the_layers_and_accuracy_and_fails_where_nothing_quantizes():
    model = _chain()
    trained = {"weights": model.get_weights(), "x_test": X, "y_test": np.array([0, 1, 2, 0])}
    assert "2 of 3 layers int8 (Dense, Dense)" in reuse.quantize(model, trained)
    nothing = keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(), layers.Softmax()])
    trained = {"weights": [], "x_test": X, "y_test": np.zeros(4, int)}
    found = _check("quantize_int8", lambda: reuse.quantize(nothing, trained))
    assert found["outcome"] == NO and "quantized none" in found["error"]


def test_weights_that_do_not_fit_the_target_fail_by_target(monkeypatch, tmp_path):
    model = _chain()
    monkeypatch.setattr(reuse, "build_model", lambda arch, style, seed: _residual())
    found = _check("w", lambda: reuse.weights_file("any", model, ["functional"], X, tmp_path))
    assert found["outcome"] == NO and found["error"].startswith("AssertionError: into functional")
    found = _check("w", lambda: reuse.set_weights("any", model, ["functional"], X))
    assert found["outcome"] == NO and "into functional" in found["error"]


def test_summary_graph_and_plot_checks(monkeypatch, tmp_path):
    model = Unconfigurable(3)
    model.predict(X, verbose=0)
    assert _check("s", lambda: capabilities._summary(_chain()))["outcome"] == YES
    unbuilt = _check("summary_output_shapes", lambda: capabilities._summary(Unconfigurable(3)))
    assert unbuilt["outcome"] == NO
    assert _check("g", lambda: capabilities._graph_attributes(_chain()))["outcome"] == YES
    graph = _check("graph_attributes", lambda: capabilities._graph_attributes(model))
    assert graph["outcome"] == NO and "inputs" in graph["error"]
    monkeypatch.setitem(sys.modules, "pydot", None)
    plot = _check("plot_model", lambda: capabilities._plot(_chain(), tmp_path))
    assert plot["outcome"] == NOT_INSTALLED


def test_plot_model_draws_where_pydot_and_graphviz_are_installed(tmp_path):
    pytest.importorskip("pydot")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    assert _check("plot_model", lambda: capabilities._plot(_chain(), tmp_path))["outcome"] == YES


def test_files_that_a_new_process_loads_fail_with_their_reason(tmp_path, monkeypatch):
    failed = capabilities.write_files("cnn", "sequential", "tensorflow", tmp_path, X)
    assert failed == {}
    base = capabilities.stem(tmp_path, "tensorflow", "cnn", "sequential")
    for load in (crossload._keras, crossload._served, crossload._litert, crossload._onnx):
        assert _check("load", lambda f=load: f(base, X))["outcome"] == YES, load
    np.save(base.with_suffix(".npy"), np.load(base.with_suffix(".npy")) + 0.5)
    for load in (crossload._keras, crossload._served, crossload._litert, crossload._onnx):
        moved = _check("load", lambda f=load: f(base, X))
        assert moved["outcome"] == NO and "differ by up to 0.5" in moved["error"], load
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    assert _check("onnx", lambda: crossload._onnx(base, X))["outcome"] == NOT_INSTALLED
    base.with_suffix(".keras").write_bytes(b"not a zip")
    assert _check("keras_reload_with_code", lambda: crossload._keras(base, X))["outcome"] == NO


def test_another_installs_keras_files_load_and_say_which_keras_saved_them(tmp_path):
    previous = tmp_path / "previous"
    previous.mkdir()
    capabilities._write_versions(previous)
    capabilities.write_files("cnn", "functional", "tensorflow", previous, X)
    found = crossload._previous("tensorflow", "cnn", "functional", previous, X)
    assert found["outcome"] == YES, found
    assert found["detail"].startswith(f"saved by Keras {keras.__version__}")
    missing = crossload._previous("tensorflow", "cnn", "subclassed", previous, X)
    assert missing["outcome"] == DOES_NOT_APPLY and "saved no" in missing["error"]


def _every_check(arch, styles, tmp_path):
    """Every check of `styles` on TensorFlow, a new process's included: {style: {check: entry}}."""
    found = check_capabilities(arch, styles, "tensorflow", tmp_path)
    job = {
        "backend": "tensorflow",
        "arch": arch,
        "styles": styles,
        "saved_on": [],
        "directory": str(tmp_path),
    }
    result = tmp_path / "loaded.json"
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.worker", "crossload", str(result)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for style, loaded in json.loads(result.read_text()).items():
        found[style].update(loaded)
    for style in styles:
        assert set(found[style]) == set(CHECK_NAMES) - {PREVIOUS_INSTALL}, style
        assert found[style]["plot_model"]["outcome"] in (YES, NOT_INSTALLED)
    return found


def _fails(found):
    return {
        style: sorted(c for c, e in checks.items() if e["outcome"] not in (YES, NOT_INSTALLED))
        for style, checks in found.items()
    }


@pytest.mark.mnist
def test_the_forms_people_write_differ_where_keras_makes_them_differ(tmp_path):
    forms = ["sequential", "sequential_deferred", "functional", "functional_subclass", "subclassed"]
    found = _every_check("mlp", forms, tmp_path)
    assert _fails(found) == {
        "sequential": ["model_input"],
        "sequential_deferred": ["batch_dimension", "built_before_first_call", "model_input"],
        "functional": [],
        "functional_subclass": ["clone_model", "h5_save_load", "keras_reload_without_code"],
        "subclassed": [
            "batch_dimension",
            "clone_with_clone_function",
            "features_get_layer",
            "graph_attributes",
            "h5_save_load",
            "keras_reload_without_code",
            "model_input",
            "weights_file_other_styles",
        ],
    }
    # the subclassed model: its code is needed to reload it, and it has no graph to read
    without_code = found["subclassed"]["keras_reload_without_code"]
    assert "Could not locate class 'Mlp'" in without_code["error"]
    assert "import the module that defines the class" in without_code["remedy"]
    assert "layers in order" in found["subclassed"]["fine_tune_new_head"]["detail"]
    assert found["subclassed"]["batch_dimension"]["outcome"] == DOES_NOT_APPLY
    assert "test accuracy" in found["sequential"]["quantize_int8"]["detail"]
    assert "model.inputs[0]" in found["sequential"]["model_input"]["remedy"]
    assert found["functional"]["model_input"]["detail"] == "shape (None, 28, 28, 1)"
    # the deferred Sequential: what the list-built reference does, it cannot until its first call
    unbuilt = found["sequential_deferred"]["built_before_first_call"]
    assert found["sequential"]["built_before_first_call"]["detail"] == "101,770 parameters"
    assert unbuilt["error"].startswith("AssertionError: not built yet")
    assert "keras.Input(shape=...)" in unbuilt["remedy"] and "model.build(" in unbuilt["remedy"]
    batch = found["sequential_deferred"]["batch_dimension"]
    assert "batch size 128 built in" in batch["error"] and "keras.Input" in batch["remedy"]
    assert found["sequential"]["batch_dimension"]["detail"].startswith("inputs (None, 28, 28, 1)")
    # the Functional subclass: its class is needed to reload it, and clone_model drops it
    without_code = found["functional_subclass"]["keras_reload_without_code"]
    assert "Could not locate class 'MlpGraph'" in without_code["error"]
    assert "import the module that defines the class" in without_code["remedy"]
    assert found["functional_subclass"]["keras_reload_with_code"]["outcome"] == YES
    clone = found["functional_subclass"]["clone_model"]
    assert "returned a Functional, not a MlpGraph" in clone["error"]
    assert "from_config" in clone["remedy"]


def test_the_checks_but_the_exports_write_no_export_file_and_train_nothing(tmp_path):
    wanted = CHECK_SETS["no-export"]
    found = check_capabilities("mlp", ["sequential"], "tensorflow", tmp_path, wanted=wanted)
    assert set(found["sequential"]) <= set(wanted)
    assert {"h5_save_load", "model_input"} <= set(found["sequential"])
    assert "quantize_int8" not in found["sequential"]
    assert list(tmp_path.glob("*.keras")) and not list(tmp_path.glob("*.onnx"))
    assert not list(tmp_path.glob("*.tflite")) and not list(tmp_path.glob("*saved_model"))
