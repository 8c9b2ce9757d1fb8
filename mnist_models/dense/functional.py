"""The depth family as a graph of layers, as in the keras.io Functional API guide."""

import keras
from keras import layers

from mnist_models.dense.spec import DenseSpec


def build(spec: DenseSpec) -> keras.Model:
    """Returns the stack as a Functional model."""
    inputs = keras.Input(shape=spec.input_shape)
    x = layers.Flatten()(inputs)
    for _ in range(spec.depth):
        x = layers.Dense(spec.units, activation="relu")(x)
    outputs = layers.Dense(spec.num_classes, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name=f"dense{spec.depth}_functional")
