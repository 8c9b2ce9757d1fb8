"""What a worker trains and times a model on: MNIST where the model takes its images and gives
ten classes, else synthetic inputs of the model's shape and targets that fit its output."""

from __future__ import annotations

import numpy as np

from bench.store.mnist import MnistData, load_mnist
from mnist_models import ModelSpec, get_architecture

MNIST_LOSS = "sparse_categorical_crossentropy"
SYNTHETIC = "synthetic"  # how the source of synthetic data begins
# MNIST's split sizes, which synthetic data keeps: a setting's image counts mean the same
TRAIN_IMAGES, TEST_IMAGES = 60_000, 10_000


def takes_mnist(spec) -> bool:
    """Whether a model of `spec` takes MNIST images and gives its ten classes."""
    if not isinstance(spec, ModelSpec):
        return True  # the built-in architectures and the Architecture protocol's are MNIST's
    return (
        tuple(spec.input_shape) == (28, 28, 1)
        and tuple(spec.output_shape) == (10,)
        and spec.loss == MNIST_LOSS
    )


def loss_of(arch: str) -> str:
    """The loss `arch` trains with: its spec's, else MNIST's class indices."""
    return getattr(get_architecture(arch).spec, "loss", MNIST_LOSS)


def model_data(
    arch: str, data_dir: str | None, train: int | None = None, test: int | None = None
) -> MnistData:
    """MNIST where `arch` takes it; else `train` and `test` synthetic examples (MNIST's sizes
    where None) from a fixed seed, inputs as float arrays that `preprocess` passes through."""
    spec = get_architecture(arch).spec
    if takes_mnist(spec):
        return load_mnist(data_dir)
    rng = np.random.default_rng(0)
    train, test = train or TRAIN_IMAGES, test or TEST_IMAGES

    def inputs(count: int) -> np.ndarray:
        return rng.standard_normal((count, *spec.input_shape), dtype=np.float32)

    x_train, y_train = inputs(train), targets(spec, train, rng)
    x_test, y_test = inputs(test), targets(spec, test, rng)
    shape = "×".join(map(str, spec.input_shape))
    return MnistData(x_train, y_train, x_test, y_test, f"{SYNTHETIC} {shape} inputs (seed 0)")


def targets(spec: ModelSpec, count: int, rng: np.random.Generator) -> np.ndarray:
    """Targets that fit `spec`'s output: class indices for MNIST's loss, else values of its
    shape."""
    if spec.loss == MNIST_LOSS:
        return rng.integers(0, spec.output_shape[-1], count)
    return rng.standard_normal((count, *spec.output_shape), dtype=np.float32)
