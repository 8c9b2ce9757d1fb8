"""The convnet as a `keras.Sequential` stack, as the keras.io MNIST convnet writes it."""

import keras
from keras import layers

from mnist_models.cnn.spec import CnnSpec


def build(spec: CnnSpec) -> keras.Model:
    """Returns the convnet as a Sequential model made from a list of layers, `keras.Input`
    first, so its weights exist."""
    convolutions = [
        layer
        for filters in spec.filters
        for layer in (
            layers.Conv2D(filters, spec.kernel_size, activation="relu"),
            layers.MaxPooling2D(spec.pool_size),
        )
    ]
    return keras.Sequential(
        [
            keras.Input(shape=spec.input_shape),
            *convolutions,
            layers.Flatten(),
            layers.Dropout(spec.dropout),
            layers.Dense(spec.num_classes, activation="softmax"),
        ],
        name="cnn_sequential",
    )


def build_added(spec: CnnSpec) -> keras.Model:
    """Returns the convnet as a Sequential model grown with `model.add` after a `keras.Input`,
    the Sequential guide's other idiom."""
    model = keras.Sequential(name="cnn_sequential_add")
    model.add(keras.Input(shape=spec.input_shape))
    for filters in spec.filters:
        model.add(layers.Conv2D(filters, spec.kernel_size, activation="relu"))
        model.add(layers.MaxPooling2D(spec.pool_size))
    model.add(layers.Flatten())
    model.add(layers.Dropout(spec.dropout))
    model.add(layers.Dense(spec.num_classes, activation="softmax"))
    return model
