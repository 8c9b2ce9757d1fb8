"""A slip the weights cannot see: the MLP whose Functional style drops 30 % where the others
drop 20 %. The styles start from the same weights, so the pre-check calls them one model; only
their compiled programs tell them apart. Run it from the project's root:

    python -m bench --profile smoke --arch examples.dropout_slip:SLIP
"""

import keras
from keras import layers

from mnist_models import Architecture
from mnist_models.mlp import sequential, subclassed
from mnist_models.mlp.spec import MlpSpec


def functional(spec: MlpSpec) -> keras.Model:
    """The MLP as a graph of layers, with its dropout rate mistyped."""
    inputs = keras.Input(shape=spec.input_shape)
    x = layers.Flatten()(inputs)
    x = layers.Dense(spec.units, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(spec.num_classes, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="slip_functional")


SLIP = Architecture(
    name="dropout_slip",
    spec=MlpSpec(),
    builders={
        "sequential": sequential.build,
        "functional": functional,
        "subclassed": subclassed.build,
    },
)
