"""The convnet as a `keras.Sequential` stack, as the keras.io MNIST convnet writes it, and the
two other ways the Sequential guide and tutorials write it."""

import keras
from keras import layers

from mnist_models.cnn.spec import CnnSpec


def stack(spec: CnnSpec) -> list[keras.layers.Layer]:
    """The convnet's layers, in order."""
    convolutions = [
        layer
        for filters in spec.filters
        for layer in (
            layers.Conv2D(filters, spec.kernel_size, activation="relu"),
            layers.MaxPooling2D(spec.pool_size),
        )
    ]
    return [
        *convolutions,
        layers.Flatten(),
        layers.Dropout(spec.dropout),
        layers.Dense(spec.num_classes, activation="softmax"),
    ]


def build(spec: CnnSpec) -> keras.Model:
    """Returns the convnet as a Sequential model made from a list of layers, `keras.Input`
    first, so its weights exist."""
    return keras.Sequential(
        [keras.Input(shape=spec.input_shape), *stack(spec)], name="cnn_sequential"
    )


def build_added(spec: CnnSpec) -> keras.Model:
    """Returns the convnet as a Sequential model grown with `model.add` after a `keras.Input`,
    the Sequential guide's other idiom."""
    model = keras.Sequential(name="cnn_sequential_add")
    model.add(keras.Input(shape=spec.input_shape))
    for layer in stack(spec):
        model.add(layer)
    return model


def build_deferred(spec: CnnSpec) -> keras.Model:
    """Returns the convnet as a Sequential model with no `keras.Input`: it has no weights until
    its first call builds it, and then knows that call's batch size."""
    return keras.Sequential(stack(spec), name="cnn_sequential_deferred")
