"""What a worker trains and times a model on: MNIST where the model takes its images and gives
ten classes, else synthetic inputs of the model's shape and targets that fit its output."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from bench.store.mnist import MnistData, load_mnist, preprocess
from mnist_models import ModelSpec, get_architecture

MNIST_LOSS = "sparse_categorical_crossentropy"
# the same on a linear output, as the TensorFlow beginners' tutorial trains its MNIST model
LOGITS_LOSS = "sparse_categorical_crossentropy_from_logits"
SPARSE_LOSSES = (MNIST_LOSS, LOGITS_LOSS)  # losses of class indices
ONE_HOT_LOSS = "categorical_crossentropy"  # of one-hot labels, as the Keras MNIST convnet trains
CLASS_LOSSES = (*SPARSE_LOSSES, ONE_HOT_LOSS)
BINARY_LOSSES = ("binary_crossentropy", "binary_focal_crossentropy")  # losses of 0 and 1 labels
# the shapes MNIST's images are given to models in: with a channel axis, without, and flattened
MNIST_SHAPES = ((28, 28, 1), (28, 28), (784,))
SYNTHETIC = "synthetic"  # how the source of synthetic data begins
# MNIST's split sizes, which synthetic data keeps: a setting's image counts mean the same
TRAIN_IMAGES, TEST_IMAGES = 60_000, 10_000


def takes_mnist(spec) -> bool:
    """Whether a model of `spec` takes MNIST images and gives its ten classes."""
    if not isinstance(spec, ModelSpec):
        return True  # the built-in architectures and the Architecture protocol's are MNIST's
    return (
        tuple(spec.input_shape) in MNIST_SHAPES
        and tuple(spec.output_shape) == (10,)
        and spec.loss in CLASS_LOSSES
    )


def loss_name(arch: str) -> str:
    """The name of the loss `arch` trains with: its spec's, else MNIST's class indices."""
    return getattr(get_architecture(arch).spec, "loss", MNIST_LOSS)


def keras_loss(name: str) -> Any:
    """What `model.compile(loss=...)` takes for the loss `name`."""
    if name == LOGITS_LOSS:
        import keras

        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return name


def loss_of(arch: str) -> Any:
    """The loss `arch` trains with, as `model.compile` takes it."""
    return keras_loss(loss_name(arch))


def model_data(
    arch: str, data_dir: str | None, train: int | None = None, test: int | None = None
) -> MnistData:
    """MNIST where `arch` takes it; else `train` and `test` synthetic examples (MNIST's sizes
    where None) from a fixed seed, inputs as float arrays that `preprocess` passes through."""
    spec = get_architecture(arch).spec
    if takes_mnist(spec):
        mnist = load_mnist(data_dir)
        # an architecture written by hand takes MNIST's images as they are; an adopted model
        # takes them in its input's shape
        shape = tuple(spec.input_shape) if isinstance(spec, ModelSpec) else MNIST_SHAPES[0]
        if shape != MNIST_SHAPES[0]:  # float images, which `preprocess` passes through
            mnist = dataclasses.replace(
                mnist,
                x_train=preprocess(mnist.x_train).reshape(-1, *shape),
                x_test=preprocess(mnist.x_test).reshape(-1, *shape),
            )
        if getattr(spec, "loss", MNIST_LOSS) == ONE_HOT_LOSS:
            one_hot = np.eye(10, dtype=np.float32)
            mnist = dataclasses.replace(
                mnist, y_train=one_hot[mnist.y_train], y_test=one_hot[mnist.y_test]
            )
        return mnist
    rng = np.random.default_rng(0)
    train, test = train or TRAIN_IMAGES, test or TEST_IMAGES
    x_train, y_train = inputs(spec, train, rng), targets(spec, train, rng)
    x_test, y_test = inputs(spec, test, rng), targets(spec, test, rng)
    shape = "×".join(map(str, spec.input_shape))
    return MnistData(x_train, y_train, x_test, y_test, f"{SYNTHETIC} {shape} inputs (seed 0)")


def inputs(spec: ModelSpec, count: int, rng: np.random.Generator) -> np.ndarray:
    """Synthetic inputs of `spec`'s shape: integers below `input_high` (token ids) where it has
    one, else standard normal floats."""
    shape = (count, *spec.input_shape)
    if spec.input_high:
        return rng.integers(0, spec.input_high, shape).astype(spec.input_dtype)
    return rng.standard_normal(shape, dtype=np.float32).astype(spec.input_dtype)


def targets(spec: ModelSpec, count: int, rng: np.random.Generator) -> np.ndarray:
    """Targets that fit `spec`'s output: class indices, one-hot or not as its loss takes them,
    labels of 0 and 1 for a binary crossentropy, else values of its shape."""
    if spec.loss in CLASS_LOSSES:
        classes = rng.integers(0, spec.output_shape[-1], count)
        if spec.loss in SPARSE_LOSSES:
            return classes
        return np.eye(spec.output_shape[-1], dtype=np.float32)[classes]
    if spec.loss in BINARY_LOSSES:
        return rng.integers(0, 2, (count, *spec.output_shape)).astype(np.float32)
    return rng.standard_normal((count, *spec.output_shape), dtype=np.float32)
