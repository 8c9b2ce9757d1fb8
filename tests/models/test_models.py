"""Every style and idiom of each architecture is the same model: shapes, weights, training,
saving; and where the forms differ, as Keras makes them differ."""

import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import mnist_models
from mnist_models import ARCHS, FIRST_BATCH, REQUIRED_STYLES, build_model

EXPECTED_PARAMS = {"cnn": 34_826, "mlp": 101_770, "resnet": 62_058, "examples.lenet:LENET": 61_706}
# the built-in architectures, and the example of a user's own (docs/own-model.md)
WITH_EXAMPLE = (*ARCHS, "examples.lenet:LENET")


def _styles(arch):
    return mnist_models.get_architecture(arch).forms


def _reference(arch):
    return mnist_models.get_architecture(arch).reference


def _batches(n_batches=3, batch_size=16, seed=0):
    rng = np.random.default_rng(seed)
    return [
        (
            rng.random((batch_size, 28, 28, 1), dtype=np.float32),
            rng.integers(0, 10, size=batch_size),
        )
        for _ in range(n_batches)
    ]


def test_reading_the_names_starts_no_framework_and_each_name_is_its_architecture():
    # The sweep's process reads ARCHS and STYLES to plan; it must not import Keras doing so.
    script = "import sys, mnist_models; print(sorted(m for m in sys.modules if m in FRAMEWORKS))"
    done = subprocess.run(
        [sys.executable, "-c", f"FRAMEWORKS = {{'keras', 'tensorflow', 'jax', 'torch'}}; {script}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.stdout.strip() == "[]"
    for arch in ARCHS:
        architecture = mnist_models.get_architecture(arch)
        assert architecture.name == arch
        assert set(REQUIRED_STYLES) <= set(architecture.styles) | set(architecture.unsupported)


@pytest.mark.parametrize("arch", WITH_EXAMPLE)
def test_styles_have_expected_params_and_same_weight_shapes(arch):
    shapes = {}
    for style in _styles(arch):
        model = build_model(arch, style, seed=1)
        assert model.count_params() == EXPECTED_PARAMS[arch], style
        shapes[style] = [w.shape for w in model.weights]
    assert shapes[_reference(arch)], "no weights: the comparison below would be vacuous"
    for style in _styles(arch):
        assert shapes[style] == shapes[_reference(arch)], style


@pytest.mark.parametrize("arch", WITH_EXAMPLE)
def test_styles_have_bitwise_identical_initial_weights(arch):
    weights = {style: build_model(arch, style, seed=7).get_weights() for style in _styles(arch)}
    reference = weights[_reference(arch)]
    assert reference
    for style in _styles(arch):
        assert len(weights[style]) == len(reference)
        for ours, theirs in zip(weights[style], reference, strict=True):
            assert ours.tobytes() == theirs.tobytes(), style


@pytest.mark.parametrize("arch", ARCHS)
def test_different_seeds_give_different_initial_weights(arch):
    first = build_model(arch, _reference(arch), seed=1).get_weights()
    second = build_model(arch, _reference(arch), seed=2).get_weights()
    kernels = [(a, b) for a, b in zip(first, second, strict=True) if a.ndim > 1]
    assert kernels
    assert all(not np.array_equal(a, b) for a, b in kernels)


@pytest.mark.parametrize("arch", WITH_EXAMPLE)
def test_styles_train_to_bitwise_identical_weights(arch, op_determinism):
    batches = _batches()
    results = {}
    for style in _styles(arch):
        keras.backend.clear_session()
        model = build_model(arch, style, seed=3)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        losses = [float(model.train_on_batch(x, y)) for x, y in batches]
        results[style] = (losses, model.get_weights())
    ref_losses, ref_weights = results[_reference(arch)]
    assert ref_weights
    assert len(set(ref_losses)) > 1, "loss never moved: the steps did not train"
    for style in _styles(arch):
        losses, weights = results[style]
        assert losses == ref_losses, style
        for ours, theirs in zip(weights, ref_weights, strict=True):
            assert ours.tobytes() == theirs.tobytes(), style


@pytest.mark.parametrize(
    "arch, style", [(arch, style) for arch in ARCHS for style in _styles(arch)]
)
def test_keras_save_and_load_round_trips(arch, style, tmp_path):
    model = build_model(arch, style, seed=5)
    x, _ = _batches(n_batches=1)[0]
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.count_params() == model.count_params()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("arch", ARCHS)
def test_subclassed_config_round_trips(arch):
    assert "subclassed" in _styles(arch)
    model = build_model(arch, "subclassed")
    clone = type(model).from_config(model.get_config())
    assert clone.spec == model.spec


def test_unknown_style_names_it_and_the_choices():
    with pytest.raises(
        ValueError,
        match=r"unknown style 'seqential'; expected one of: "
        r"sequential, functional, subclassed, functional_subclass, sequential_add, "
        r"sequential_deferred",
    ):
        build_model("cnn", "seqential")


def test_unknown_arch_names_it_and_the_choices():
    with pytest.raises(
        ValueError, match=r"unknown arch 'lenet'; expected one of: cnn, mlp, resnet"
    ):
        build_model("lenet", "sequential")


def test_a_style_an_architecture_cannot_express_says_why():
    with pytest.raises(
        ValueError, match="resnet cannot be built as sequential: a residual connection"
    ):
        build_model("resnet", "sequential")
    with pytest.raises(ValueError, match="resnet cannot be built as sequential_add: a residual"):
        build_model("resnet", "sequential_add")
    assert _reference("resnet") == "functional" and _reference("cnn") == "sequential"


def test_a_module_attribute_reference_leads_to_its_architecture_or_says_what_is_wrong():
    assert mnist_models.get_architecture("mnist_models.cnn:ARCHITECTURE").name == "cnn"
    for reference, expected in (
        ("no_such_module:X", "cannot import module 'no_such_module'"),
        ("mnist_models.cnn:NOPE", "module 'mnist_models.cnn' has no 'NOPE'"),
        ("mnist_models:STYLES", "STYLES is a tuple, not a mnist_models.Architecture"),
    ):
        with pytest.raises(mnist_models.ArchitectureError, match=expected):
            mnist_models.get_architecture(reference)


def test_spec_from_config_rejects_unknown_fields():
    spec_type = type(mnist_models.get_architecture("cnn").spec)
    with pytest.raises(ValueError, match="unknown CnnSpec field"):
        spec_type.from_config({"filterz": [1, 2]})


def test_an_architecture_says_why_a_style_has_no_builder():
    spec = mnist_models.Spec()
    with pytest.raises(ValueError, match="has no sequential builder and does not say why"):
        mnist_models.Architecture("x", spec, builders={"functional": None, "subclassed": None})
    with pytest.raises(ValueError, match="expected the order of"):
        mnist_models.Architecture(
            "x",
            spec,
            builders={"subclassed": None, "functional": None},
            unsupported={"sequential": "no"},
        )
    with pytest.raises(ValueError, match="expected one or more of"):
        mnist_models.Architecture("x", spec, builders={"sequentiel": None})
    fine = mnist_models.Architecture(
        "x", spec, builders={"functional": None}, unsupported={"sequential": "a", "subclassed": "b"}
    )
    assert (fine.styles, fine.reference) == (("functional",), "functional")


def test_resnet_flops_add_up_layer_by_layer():
    spec = mnist_models.get_architecture("resnet").spec
    stem = 2 * 26 * 26 * 9 * 1 * 16 + 2 * 24 * 24 * 9 * 16 * 32
    blocks = 4 * 2 * 8 * 8 * 9 * 32 * 32  # 24 // 3 = 8, "same" padding keeps 8x8
    last = 2 * 6 * 6 * 9 * 32 * 32
    head = 2 * 32 * 256 + 2 * 256 * 10
    assert spec.forward_flops_per_image() == stem + blocks + last + head


def test_cnn_flops_match_a_hand_count():
    spec = mnist_models.get_architecture("cnn").spec
    conv1 = 2 * 26 * 26 * 3 * 3 * 1 * 32  # 26x26 outputs, 3x3x1 kernel, 32 filters
    conv2 = 2 * 11 * 11 * 3 * 3 * 32 * 64  # after 2x2 pooling: 13 -> 11
    dense = 2 * 1600 * 10
    assert spec.forward_flops_per_image() == conv1 + conv2 + dense == 4_881_920
    # forward + weight gradients + input gradients (none for the first layer)
    assert spec.train_flops_per_image() == 3 * (conv1 + conv2 + dense) - conv1 == 14_256_384


def test_mlp_flops_match_a_hand_count():
    spec = mnist_models.get_architecture("mlp").spec
    forward = 2 * 784 * 128 + 2 * 128 * 10
    assert spec.forward_flops_per_image() == forward
    assert spec.train_flops_per_image() == 3 * forward - 2 * 784 * 128


@pytest.mark.parametrize("depth", [3, 12])
def test_the_depth_family_is_one_model_in_every_style_and_idiom_at_each_depth(depth):
    arch = f"dense-{depth}"
    architecture = mnist_models.get_architecture(arch)
    names = [*architecture.styles, *architecture.idioms]
    assert names == ["sequential", "functional", "subclassed", "sequential_add"]
    models = {name: build_model(arch, name, seed=1) for name in names}
    params = 784 * 64 + 64 + (depth - 1) * (64 * 64 + 64) + 64 * 10 + 10
    x = _batches(1)[0][0]
    expected = models["sequential"].predict_on_batch(x)
    for name, model in models.items():
        assert model.count_params() == params, name
        assert len(model.weights) == 2 * (depth + 1), name
        for a, b in zip(models["sequential"].get_weights(), model.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b, err_msg=name)
        np.testing.assert_array_equal(model.predict_on_batch(x), expected, err_msg=name)


@pytest.mark.parametrize("arch", ["cnn", "mlp"])
def test_the_add_idiom_of_a_built_in_model_is_its_sequential_model_from_a_list(arch):
    ours, theirs = (
        build_model(arch, "sequential", seed=1),
        build_model(arch, "sequential_add", seed=1),
    )
    assert isinstance(theirs, keras.Sequential) and theirs.name != ours.name
    assert [type(layer) for layer in ours.layers] == [type(layer) for layer in theirs.layers]
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_depth_names_outside_the_family_and_idioms_named_like_styles_are_refused():
    for name in ("dense-0", "dense-", "dense-12345", "dense-07"):
        assert not mnist_models.is_architecture_name(name), name
    with pytest.raises(mnist_models.ArchitectureError, match="dense-<depth>"):
        mnist_models.get_architecture("dense-0")
    with pytest.raises(ValueError, match="sequential_add"):
        build_model("dense-2", "sequential_list")
    cnn = mnist_models.get_architecture("cnn")
    for idioms, expected in (
        ({"functional": cnn.builders["functional"]}, "expected some of"),
        ({"sequential_list": cnn.builders["sequential"]}, "expected some of"),
    ):
        with pytest.raises(mnist_models.ArchitectureError, match=expected):
            mnist_models.Architecture("x", cnn.spec, builders=cnn.builders, idioms=idioms)
    without_sequential = {k: v for k, v in cnn.builders.items() if k != "sequential"}
    with pytest.raises(mnist_models.ArchitectureError, match="no builder for"):
        mnist_models.Architecture(
            "x",
            cnn.spec,
            builders=without_sequential,
            unsupported={"sequential": "no"},
            idioms={"sequential_add": cnn.idioms["sequential_add"]},
        )


@pytest.mark.parametrize("arch", ["cnn", "mlp"])
def test_the_deferred_sequential_has_no_weights_until_its_first_call_which_fixes_its_batch(arch):
    unbuilt = build_model(arch, "sequential_deferred", seed=1, first_call=False)
    assert not unbuilt.built and not unbuilt.weights
    with pytest.raises(ValueError, match="isn't built"):
        unbuilt.count_params()
    built = build_model(arch, "sequential_deferred", seed=1)
    assert tuple(built.inputs[0].shape) == (FIRST_BATCH, 28, 28, 1)
    assert tuple(build_model(arch, "sequential", seed=1).inputs[0].shape) == (None, 28, 28, 1)


@pytest.mark.parametrize("arch", ARCHS)
def test_the_functional_subclass_keeps_its_class_through_a_keras_file_but_not_clone_model(
    arch, tmp_path
):
    model = build_model(arch, "functional_subclass", seed=1)
    assert isinstance(model, keras.Model) and type(model).__name__.endswith("Graph")
    assert tuple(model.input.shape) == (None, 28, 28, 1)  # a Functional model has `input`
    model.save(tmp_path / "m.keras")
    assert type(keras.models.load_model(tmp_path / "m.keras")) is type(model)
    assert type(keras.models.clone_model(model)).__name__ == "Functional"
