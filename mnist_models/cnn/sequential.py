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
