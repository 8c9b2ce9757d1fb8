"""The convnet as a `keras.Sequential` stack, as in the keras.io Sequential model guide."""

import keras
from keras import layers

from mnist_models.cnn.spec import CnnSpec


def build(spec: CnnSpec) -> keras.Model:
    """Returns the convnet as a Sequential model; `keras.Input` first, so its weights exist."""
    model = keras.Sequential(name="cnn_sequential")
    model.add(keras.Input(shape=spec.input_shape))
    for filters in spec.filters:
        model.add(layers.Conv2D(filters, spec.kernel_size, activation="relu"))
        model.add(layers.MaxPooling2D(spec.pool_size))
    model.add(layers.Flatten())
    model.add(layers.Dropout(spec.dropout))
    model.add(layers.Dense(spec.num_classes, activation="softmax"))
    return model


def build_listed(spec: CnnSpec) -> keras.Model:
    """Returns the convnet as a Sequential model made from a list of layers, the guide's other
    idiom."""
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
        name="cnn_sequential_list",
    )
