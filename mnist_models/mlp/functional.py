"""The MLP as a graph of layers, as in the keras.io Functional API guide."""

import keras
from keras import layers

from mnist_models.mlp.spec import MlpSpec


def graph(spec: MlpSpec) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The model's graph: its input and its output."""
    inputs = keras.Input(shape=spec.input_shape)
    x = layers.Flatten()(inputs)
    x = layers.Dense(spec.units, activation="relu")(x)
    x = layers.Dropout(spec.dropout)(x)
    outputs = layers.Dense(spec.num_classes, activation="softmax")(x)
    return inputs, outputs


def build(spec: MlpSpec) -> keras.Model:
    """Returns the MLP as a Functional model."""
    inputs, outputs = graph(spec)
    return keras.Model(inputs=inputs, outputs=outputs, name="mlp_functional")
