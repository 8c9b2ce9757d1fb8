"""The MLP as a `keras.Sequential` stack, as in the keras.io Sequential model guide."""

import keras
from keras import layers

from mnist_models.mlp.spec import MlpSpec


def build(spec: MlpSpec) -> keras.Model:
    """Returns the MLP as a Sequential model; `keras.Input` first, so its weights exist."""
    return keras.Sequential(
        [
            keras.Input(shape=spec.input_shape),
            layers.Flatten(),
            layers.Dense(spec.units, activation="relu"),
            layers.Dropout(spec.dropout),
            layers.Dense(spec.num_classes, activation="softmax"),
        ],
        name="mlp_sequential",
    )


def build_added(spec: MlpSpec) -> keras.Model:
    """Returns the MLP as a Sequential model grown with `model.add` after a `keras.Input`, the
    guide's other idiom."""
    model = keras.Sequential(name="mlp_sequential_add")
    model.add(keras.Input(shape=spec.input_shape))
    model.add(layers.Flatten())
    model.add(layers.Dense(spec.units, activation="relu"))
    model.add(layers.Dropout(spec.dropout))
    model.add(layers.Dense(spec.num_classes, activation="softmax"))
    return model
