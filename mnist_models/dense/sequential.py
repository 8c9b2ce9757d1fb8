"""The depth family as a `keras.Sequential` stack, in both idioms of the keras.io Sequential
model guide: a list of layers passed to the constructor, and `model.add` layer by layer."""

import keras
from keras import layers

from mnist_models.dense.spec import DenseSpec


def build(spec: DenseSpec) -> keras.Model:
    """Returns the stack as a Sequential model made from a list; `keras.Input` first."""
    return keras.Sequential(
        [
            keras.Input(shape=spec.input_shape),
            layers.Flatten(),
            *[layers.Dense(spec.units, activation="relu") for _ in range(spec.depth)],
            layers.Dense(spec.num_classes, activation="softmax"),
        ],
        name=f"dense{spec.depth}_sequential",
    )


def build_added(spec: DenseSpec) -> keras.Model:
    """Returns the stack as a Sequential model grown with `model.add` after a `keras.Input`."""
    model = keras.Sequential(name=f"dense{spec.depth}_sequential_add")
    model.add(keras.Input(shape=spec.input_shape))
    model.add(layers.Flatten())
    for _ in range(spec.depth):
        model.add(layers.Dense(spec.units, activation="relu"))
    model.add(layers.Dense(spec.num_classes, activation="softmax"))
    return model
