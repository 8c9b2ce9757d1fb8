"""The convnet as a `keras.Model` subclass, as in the keras.io subclassing guide."""

import keras
from keras import layers

from mnist_models.cnn.spec import CnnSpec
from mnist_models.subclassing import SpecModel, build_in_order


@keras.saving.register_keras_serializable(package="mnist_models")
class ConvNet(SpecModel):
    """Conv/pool blocks, then dropout and a softmax classifier."""

    spec_class = CnnSpec

    def __init__(self, spec: CnnSpec | None = None, **kwargs):
        super().__init__(spec, **kwargs)
        # Created in the same order as the other styles create theirs: each layer draws its
        # initializer seed when constructed, so order is what makes the weights identical.
        self.blocks = []
        for filters in self.spec.filters:
            self.blocks.append(layers.Conv2D(filters, self.spec.kernel_size, activation="relu"))
            self.blocks.append(layers.MaxPooling2D(self.spec.pool_size))
        self.flatten = layers.Flatten()
        self.dropout = layers.Dropout(self.spec.dropout)
        self.classifier = layers.Dense(self.spec.num_classes, activation="softmax")

    def build(self, input_shape):
        build_in_order([*self.blocks, self.flatten, self.dropout, self.classifier], input_shape)

    def call(self, inputs, training=False):
        x = inputs
        for layer in self.blocks:
            x = layer(x)
        x = self.flatten(x)
        x = self.dropout(x, training=training)
        return self.classifier(x)


def build(spec: CnnSpec) -> keras.Model:
    """Returns the convnet as a subclassed model, built so that its weights exist."""
    model = ConvNet(spec, name="cnn_subclassed")
    model.build((None, *spec.input_shape))
    return model
