"""The residual convnet as a graph of layers, as in the keras.io Functional API guide."""

import keras
from keras import layers

from mnist_models.resnet.spec import ResNetSpec


def graph(spec: ResNetSpec) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The model's graph: its input and its output."""
    inputs = keras.Input(shape=spec.input_shape)
    x = inputs
    for filters in spec.stem_filters:
        x = layers.Conv2D(filters, spec.kernel_size, activation="relu")(x)
    block_output = layers.MaxPooling2D(spec.pool_size)(x)
    for _ in range(spec.blocks):
        x = layers.Conv2D(spec.block_filters, spec.kernel_size, activation="relu", padding="same")(
            block_output
        )
        x = layers.Conv2D(spec.block_filters, spec.kernel_size, activation="relu", padding="same")(
            x
        )
        block_output = layers.add([x, block_output])
    x = layers.Conv2D(spec.block_filters, spec.kernel_size, activation="relu")(block_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(spec.units, activation="relu")(x)
    x = layers.Dropout(spec.dropout)(x)
    outputs = layers.Dense(spec.num_classes, activation="softmax")(x)
    return inputs, outputs


def build(spec: ResNetSpec) -> keras.Model:
    """Returns the residual convnet as a Functional model."""
    inputs, outputs = graph(spec)
    return keras.Model(inputs=inputs, outputs=outputs, name="resnet_functional")
