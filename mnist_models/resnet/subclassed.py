"""The residual convnet as a `keras.Model` subclass, as in the keras.io subclassing guide."""

import keras
from keras import layers

from mnist_models.resnet.spec import ResNetSpec
from mnist_models.subclassing import SpecModel, build_in_order


@keras.saving.register_keras_serializable(package="mnist_models")
class ResNet(SpecModel):
    """A convolutional stem, residual blocks that add their input back, and a classifier."""

    spec_class = ResNetSpec

    def __init__(self, spec: ResNetSpec | None = None, **kwargs):
        super().__init__(spec, **kwargs)
        s = self.spec
        # Created in the order the Functional graph creates its layers: each layer draws its
        # initializer seed when constructed, so order is what makes the weights identical.
        self.stem = [layers.Conv2D(f, s.kernel_size, activation="relu") for f in s.stem_filters]
        self.pool = layers.MaxPooling2D(s.pool_size)
        self.blocks = [
            [
                layers.Conv2D(s.block_filters, s.kernel_size, activation="relu", padding="same")
                for _ in range(2)
            ]
            for _ in range(s.blocks)
        ]
        self.last_conv = layers.Conv2D(s.block_filters, s.kernel_size, activation="relu")
        self.pooling = layers.GlobalAveragePooling2D()
        self.dense = layers.Dense(s.units, activation="relu")
        self.dropout = layers.Dropout(s.dropout)
        self.classifier = layers.Dense(s.num_classes, activation="softmax")

    def build(self, input_shape):
        # A residual block adds its input to its output, so its "same" convolutions keep its
        # input's shape: built in order, the stack of blocks is one straight line of layers.
        blocks = [layer for block in self.blocks for layer in block]
        head = [self.last_conv, self.pooling, self.dense, self.dropout, self.classifier]
        build_in_order([*self.stem, self.pool, *blocks, *head], input_shape)

    def call(self, inputs, training=False):
        x = inputs
        for layer in self.stem:
            x = layer(x)
        x = self.pool(x)
        for first, second in self.blocks:
            x = x + second(first(x))  # the residual connection Sequential cannot express
        x = self.pooling(self.last_conv(x))
        x = self.dropout(self.dense(x), training=training)
        return self.classifier(x)


def build(spec: ResNetSpec) -> keras.Model:
    """Returns the residual convnet as a subclassed model, built so that its weights exist."""
    model = ResNet(spec, name="resnet_subclassed")
    model.build((None, *spec.input_shape))
    return model
