"""The depth family as a `keras.Model` subclass, as in the keras.io subclassing guide: the
layers are made in `__init__` and looped over in `call`."""

import keras
from keras import layers

from mnist_models.dense.spec import DenseSpec
from mnist_models.subclassing import SpecModel, build_in_order


@keras.saving.register_keras_serializable(package="mnist_models")
class DenseStack(SpecModel):
    """Flatten, `spec.depth` hidden ReLU layers and a softmax classifier."""

    spec_class = DenseSpec

    def __init__(self, spec: DenseSpec | None = None, **kwargs):
        super().__init__(spec, **kwargs)
        # Same construction order as the other styles: each layer draws its seed when created.
        self.flatten = layers.Flatten()
        self.hidden = [
            layers.Dense(self.spec.units, activation="relu") for _ in range(self.spec.depth)
        ]
        self.classifier = layers.Dense(self.spec.num_classes, activation="softmax")

    def build(self, input_shape):
        build_in_order([self.flatten, *self.hidden, self.classifier], input_shape)

    def call(self, inputs):
        x = self.flatten(inputs)
        for layer in self.hidden:
            x = layer(x)
        return self.classifier(x)


def build(spec: DenseSpec) -> keras.Model:
    """Returns the stack as a subclassed model, built so that its weights exist."""
    model = DenseStack(spec, name=f"dense{spec.depth}_subclassed")
    model.build((None, *spec.input_shape))
    return model
