"""The MLP as a `keras.Model` subclass, as in the keras.io subclassing guide."""

import keras
from keras import layers

from mnist_models.mlp.spec import MlpSpec
from mnist_models.subclassing import SpecModel, build_in_order


@keras.saving.register_keras_serializable(package="mnist_models")
class Mlp(SpecModel):
    """Flatten, one hidden ReLU layer, dropout and a softmax classifier."""

    spec_class = MlpSpec

    def __init__(self, spec: MlpSpec | None = None, **kwargs):
        super().__init__(spec, **kwargs)
        # Same construction order as the other styles: each layer draws its seed when created.
        self.flatten = layers.Flatten()
        self.hidden = layers.Dense(self.spec.units, activation="relu")
        self.dropout = layers.Dropout(self.spec.dropout)
        self.classifier = layers.Dense(self.spec.num_classes, activation="softmax")

    def build(self, input_shape):
        build_in_order([self.flatten, self.hidden, self.dropout, self.classifier], input_shape)

    def call(self, inputs, training=False):
        x = self.flatten(inputs)
        x = self.hidden(x)
        x = self.dropout(x, training=training)
        return self.classifier(x)


def build(spec: MlpSpec) -> keras.Model:
    """Returns the MLP as a subclassed model, built so that its weights exist."""
    model = Mlp(spec, name="mlp_subclassed")
    model.build((None, *spec.input_shape))
    return model
