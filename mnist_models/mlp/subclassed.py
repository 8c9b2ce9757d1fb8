"""The MLP as a `keras.Model` subclass, as in the keras.io subclassing guide."""

import keras
from keras import layers

from mnist_models.mlp.spec import MlpSpec


@keras.saving.register_keras_serializable(package="mnist_models")
class Mlp(keras.Model):
    """Flatten, one hidden ReLU layer, dropout and a softmax classifier."""

    def __init__(self, spec: MlpSpec | None = None, **kwargs):
        super().__init__(**kwargs)
        self.spec = spec or MlpSpec()
        # Same construction order as the other styles: each layer draws its seed when created.
        self.flatten = layers.Flatten()
        self.hidden = layers.Dense(self.spec.units, activation="relu")
        self.dropout = layers.Dropout(self.spec.dropout)
        self.classifier = layers.Dense(self.spec.num_classes, activation="softmax")

    def build(self, input_shape):
        # Building each layer from the shape its predecessor produces creates every weight now,
        # so count_params() and summary() agree with the other styles before any data is seen.
        shape = input_shape
        for layer in [self.flatten, self.hidden, self.dropout, self.classifier]:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)

    def call(self, inputs, training=False):
        x = self.flatten(inputs)
        x = self.hidden(x)
        x = self.dropout(x, training=training)
        return self.classifier(x)

    def get_config(self):
        return {**super().get_config(), "spec": self.spec.to_config()}

    @classmethod
    def from_config(cls, config):
        spec = MlpSpec.from_config(config.pop("spec"))
        return cls(spec, **config)


def build(spec: MlpSpec) -> keras.Model:
    """Returns the MLP as a subclassed model, built so that its weights exist."""
    model = Mlp(spec, name="mlp_subclassed")
    model.build((None, *spec.input_shape))
    return model
