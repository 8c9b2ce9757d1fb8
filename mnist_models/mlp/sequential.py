"""The MLP as a `keras.Sequential` stack, as in the keras.io Sequential model guide, and the two
other ways the guide and tutorials write it."""

import keras
from keras import layers

from mnist_models.mlp.spec import MlpSpec


def stack(spec: MlpSpec) -> list[keras.layers.Layer]:
    """The MLP's layers, in order."""
    return [
        layers.Flatten(),
        layers.Dense(spec.units, activation="relu"),
        layers.Dropout(spec.dropout),
        layers.Dense(spec.num_classes, activation="softmax"),
    ]


def build(spec: MlpSpec) -> keras.Model:
    """Returns the MLP as a Sequential model; `keras.Input` first, so its weights exist."""
    return keras.Sequential(
        [keras.Input(shape=spec.input_shape), *stack(spec)], name="mlp_sequential"
    )


def build_added(spec: MlpSpec) -> keras.Model:
    """Returns the MLP as a Sequential model grown with `model.add` after a `keras.Input`, the
    guide's other idiom."""
    model = keras.Sequential(name="mlp_sequential_add")
    model.add(keras.Input(shape=spec.input_shape))
    for layer in stack(spec):
        model.add(layer)
    return model


def build_deferred(spec: MlpSpec) -> keras.Model:
    """Returns the MLP as a Sequential model with no `keras.Input`: it has no weights until its
    first call builds it, and then knows that call's batch size."""
    return keras.Sequential(stack(spec), name="mlp_sequential_deferred")
