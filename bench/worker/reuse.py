"""The capability checks that reuse a model: weights, features, a new head, a clone, quantizing.
A model's features are its head's input, checked by the head giving the model's predictions."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mnist_models import build_model

if TYPE_CHECKING:
    import keras

# The head called eagerly on extracted features against the model's compiled predict: the same
# kernels, which may still sum in another order.
FEATURES_TOLERANCE = 1e-6
# Quantized on weights trained here for one epoch on the first images of MNIST's training set.
TRAIN_IMAGES = 12_000
TRAIN_BATCH = 128


class DoesNotApply(Exception):
    """The model lacks what a check needs (no intermediate layer, say)."""


def same_predictions(expected: np.ndarray, actual: Any, tolerance: float = 0.0) -> str:
    """Raises unless `actual` predicts `expected` within `tolerance`; returns the largest
    difference, as a check's detail."""
    actual = np.asarray(actual)
    if actual.shape != expected.shape:
        raise AssertionError(f"predictions have shape {actual.shape}, not {expected.shape}")
    diff = float(np.max(np.abs(expected - actual)))
    if not diff <= tolerance:
        raise AssertionError(f"predictions differ by up to {diff:.3g} (tolerance {tolerance:g})")
    return f"max |diff| {diff:.2g}"


def _layers(model: keras.Model) -> list:
    import keras

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if len(layers) < 2:
        raise DoesNotApply("the model has no intermediate layer: its only layer is its head")
    return layers


def weights_file(
    arch: str, model: keras.Model, targets: list[str], x: np.ndarray, tmp: Path
) -> str:
    """`save_weights`, then `load_weights` into a freshly built model of each target style."""
    path = tmp / "model.weights.h5"
    model.save_weights(path)
    return _into(arch, model, targets, x, lambda other: other.load_weights(path))


def set_weights(arch: str, model: keras.Model, targets: list[str], x: np.ndarray) -> str:
    """`set_weights(model.get_weights())` on a freshly built model of each target style."""
    return _into(arch, model, targets, x, lambda other: other.set_weights(model.get_weights()))


def _into(arch, model, targets, x, move) -> str:
    expected = model.predict(x, verbose=0)
    failed = []
    for target in targets:
        other = build_model(arch, target, seed=2)  # other initial weights than the source's
        try:
            move(other)
            same_predictions(expected, other.predict(x, verbose=0))
        except Exception as e:  # each target's failure is part of the answer
            failed.append(f"into {target}: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
    if failed:
        loaded = [t for t in targets if not any(f.startswith(f"into {t}:") for f in failed)]
        raise AssertionError(
            "; ".join(failed) + (f" (loads into {', '.join(loaded)})" if loaded else "")
        )
    return f"into {', '.join(targets)}, predicting the same"


def _check_features(model: keras.Model, extractor: keras.Model, x: np.ndarray) -> str:
    import keras

    features = extractor.predict(x, verbose=0)
    head = _layers(model)[-1]
    through_head = keras.ops.convert_to_numpy(head(features))
    try:
        same_predictions(model.predict(x, verbose=0), through_head, FEATURES_TOLERANCE)
    except AssertionError as e:
        raise AssertionError(
            f"the features do not give the model's output through its head: {e}"
        ) from None
    return f"{tuple(features.shape[1:])} from the {type(_layers(model)[-2]).__name__} layer"


def feature_layer(model: keras.Model) -> keras.layers.Layer:
    """The layer whose output is the model's features: the one before its head."""
    return _layers(model)[-2]


def _by_get_layer(model: keras.Model) -> keras.Model:
    """The idiom users reach for: a Functional model from the inputs to a layer's output."""
    import keras

    return keras.Model(model.inputs, model.get_layer(feature_layer(model).name).output)


def _in_order(model: keras.Model) -> keras.Model:
    """The subclassing guide's idiom: the model's layers but its head, called in order."""
    import keras

    return keras.Sequential(_layers(model)[:-1])


# Each idiom that takes a model's features, in the order fine-tuning tries them.
FEATURE_IDIOMS = {"get_layer": _by_get_layer, "layers in order": _in_order}


def features_get_layer(model: keras.Model, x: np.ndarray) -> str:
    """Features by `Model(model.inputs, get_layer(name).output)`, checked through the head."""
    return _check_features(model, _by_get_layer(model), x)


def features_in_order(model: keras.Model, x: np.ndarray) -> str:
    """Features by the model's layers but its head, called in order, checked through the head."""
    return _check_features(model, _in_order(model), x)


def fine_tune(model: keras.Model, x: np.ndarray) -> str:
    """Freezes the features (from the first idiom that gives them), puts a new head on them,
    trains one step: only the new head's weights may move."""
    import keras

    base, used, why = None, None, []
    for name, make in FEATURE_IDIOMS.items():
        try:
            candidate = make(model)
            _check_features(model, candidate, x)
            base, used = candidate, name
            break
        except Exception as e:  # the next idiom may work where this one fails
            why.append(f"{name}: {type(e).__name__}: {str(e).splitlines()[0][:150]}")
    if base is None:
        raise AssertionError("no idiom gives this model's features (" + "; ".join(why) + ")")
    classes = int(model.predict(x, verbose=0).shape[-1])
    base.trainable = False
    new_head = keras.layers.Dense(classes, activation="softmax", name="new_head")
    tuned = keras.Sequential([keras.Input(shape=x.shape[1:]), base, new_head])
    tuned.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    frozen = [np.array(w) for w in base.get_weights()]
    head = tuned.get_layer("new_head")
    head_before = [np.array(w) for w in head.get_weights()]
    tuned.train_on_batch(x, np.arange(len(x)) % classes)
    moved = [
        n
        for n, (a, b) in enumerate(zip(frozen, base.get_weights(), strict=True))
        if not np.array_equal(a, b)
    ]
    if moved:
        raise AssertionError(f"{len(moved)} frozen weight(s) moved in the training step")
    if all(np.array_equal(a, b) for a, b in zip(head_before, head.get_weights(), strict=True)):
        raise AssertionError("the new head's weights did not move in the training step")
    return f"features by {used}; {len(frozen)} frozen weights unchanged, the new head trained"


def clone(model: keras.Model, x: np.ndarray) -> str:
    """`clone_model`, given the original's weights, predicts as the original does."""
    import keras

    copy = keras.models.clone_model(model)
    if type(copy) is not type(model):
        raise AssertionError(
            f"clone_model returned a {type(copy).__name__}, not a {type(model).__name__}: the "
            "class and its methods are lost"
        )
    copy(x[:1], training=False)  # a subclassed clone is built on its first call
    if copy.count_params() != model.count_params():
        raise AssertionError(
            f"clone has {copy.count_params()} parameters, not {model.count_params()}"
        )
    copy.set_weights(model.get_weights())
    return same_predictions(model.predict(x, verbose=0), copy.predict(x, verbose=0))


def clone_changed(model: keras.Model, x: np.ndarray) -> str:
    """`clone_model` with a `clone_function` that renames the head in its config."""
    import keras

    head = _layers(model)[-1].name

    def change(layer):
        config = layer.get_config()
        if layer.name == head:
            config["name"] = f"{head}_cloned"
        return layer.__class__.from_config(config)

    copy = keras.models.clone_model(model, clone_function=change)
    copy.get_layer(f"{head}_cloned")  # raises where the change did not reach the clone
    copy.set_weights(model.get_weights())
    same_predictions(model.predict(x, verbose=0), copy.predict(x, verbose=0))
    return "the head renamed in the clone, predicting the same"


def trained_weights(arch: str, style: str, data_dir: str | None) -> dict[str, Any]:
    """Weights trained for one epoch on the first `TRAIN_IMAGES` training images (seed 1),
    and the test images to judge them on; every style takes them by `set_weights`."""
    from bench.store.mnist import preprocess
    from bench.worker.data import TEST_IMAGES, loss_of, model_data

    mnist = model_data(arch, data_dir, TRAIN_IMAGES, TEST_IMAGES)
    model = build_model(arch, style, seed=1)
    model.compile(optimizer="adam", loss=loss_of(arch))
    model.fit(
        preprocess(mnist.x_train[:TRAIN_IMAGES]),
        mnist.y_train[:TRAIN_IMAGES],
        batch_size=TRAIN_BATCH,
        epochs=1,
        verbose=0,
        shuffle=False,
    )
    return {
        "weights": model.get_weights(),
        "x_test": preprocess(mnist.x_test),
        "y_test": mnist.y_test if mnist.y_test.ndim == 1 else mnist.y_test.argmax(axis=-1),
    }


def _accuracy(model: keras.Model, trained: dict[str, Any]) -> float:
    predicted = np.argmax(model.predict(trained["x_test"], batch_size=1024, verbose=0), axis=-1)
    return float(np.mean(predicted == trained["y_test"]))


def quantize(model: keras.Model, trained: dict[str, Any]) -> str:
    """`model.quantize("int8")` on trained weights: which layers it quantizes, and the test
    accuracy before and after."""
    if not hasattr(model, "quantize"):
        raise NotImplementedError("this Keras version has no Model.quantize")
    model.set_weights(trained["weights"])
    before = _accuracy(model, trained)
    with warnings.catch_warnings():  # "Layer Conv2D does not have a `quantize` method"
        warnings.simplefilter("ignore")
        model.quantize("int8")
    layers = _layers(model)
    quantized = [
        type(layer).__name__
        for layer in layers
        if getattr(layer, "quantization_mode", None) == "int8"
    ]
    if not quantized:
        raise AssertionError("quantize('int8') quantized none of the model's layers")
    after = _accuracy(model, trained)
    return (
        f"test accuracy {before:.2%} → {after:.2%}; {len(quantized)} of {len(layers)} "
        f"layers int8 ({', '.join(quantized)})"
    )
