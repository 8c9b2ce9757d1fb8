"""The residual convnet as a `keras.Model` subclass, as in the keras.io subclassing guide."""

import keras
from keras import layers

from mnist_models.resnet.spec import ResNetSpec


@keras.saving.register_keras_serializable(package="mnist_models")
class ResNet(keras.Model):
    """A convolutional stem, residual blocks that add their input back, and a classifier."""

    def __init__(self, spec: ResNetSpec | None = None, **kwargs):
        super().__init__(**kwargs)
        self.spec = spec or ResNetSpec()
        s = self.spec
        # Created in the order the Functional graph creates its layers: each layer draws its
        # initializer seed when constructed, so order is what makes the weights identical.
        self.stem = [layers.Conv2D(f, s.kernel_size, activation="relu") for f in s.stem_filters]
        self.pool = layers.MaxPooling2D(s.pool_size)
        self.blocks = [
            [layers.Conv2D(s.block_filters, s.kernel_size, activation="relu", padding="same")
             for _ in range(2)]
            for _ in range(s.blocks)
        ]  # fmt: skip
        self.last_conv = layers.Conv2D(s.block_filters, s.kernel_size, activation="relu")
        self.pooling = layers.GlobalAveragePooling2D()
        self.dense = layers.Dense(s.units, activation="relu")
        self.dropout = layers.Dropout(s.dropout)
        self.classifier = layers.Dense(s.num_classes, activation="softmax")

    def build(self, input_shape):
        # Each layer built from the shape its predecessor produces: every weight exists now, so
        # count_params() and summary() agree with the Functional model before any data is seen.
        shape = input_shape
        for layer in [*self.stem, self.pool]:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        for block in self.blocks:
            for layer in block:  # "same" padding: a block's shape is its input's
                layer.build(shape)
        for layer in [self.last_conv, self.pooling, self.dense, self.dropout, self.classifier]:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)

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

    def get_config(self):
        return {**super().get_config(), "spec": self.spec.to_config()}

    @classmethod
    def from_config(cls, config):
        spec = ResNetSpec.from_config(config.pop("spec"))
        return cls(spec, **config)


def build(spec: ResNetSpec) -> keras.Model:
    """Returns the residual convnet as a subclassed model, built so that its weights exist."""
    model = ResNet(spec, name="resnet_subclassed")
    model.build((None, *spec.input_shape))
    return model
