"""The convnet as a graph of layers, as in the keras.io Functional API guide."""

import keras
from keras import layers

from mnist_models.cnn.spec import CnnSpec


def graph(spec: CnnSpec) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The model's graph: its input and its output."""
    inputs = keras.Input(shape=spec.input_shape)
    x = inputs
    for filters in spec.filters:
        x = layers.Conv2D(filters, spec.kernel_size, activation="relu")(x)
        x = layers.MaxPooling2D(spec.pool_size)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(spec.dropout)(x)
    outputs = layers.Dense(spec.num_classes, activation="softmax")(x)
    return inputs, outputs


def build(spec: CnnSpec) -> keras.Model:
    """Returns the convnet as a Functional model."""
    inputs, outputs = graph(spec)
    return keras.Model(inputs=inputs, outputs=outputs, name="cnn_functional")
