"""The convnet as a Functional subclass: a `keras.Model` subclass that builds its graph in
`__init__` and hands it to `super().__init__(inputs, outputs)`, as many keras.io examples do."""

import keras

from mnist_models.cnn.functional import graph
from mnist_models.cnn.spec import CnnSpec
from mnist_models.subclassing import SpecGraph


@keras.saving.register_keras_serializable(package="mnist_models")
class ConvNetGraph(SpecGraph):
    """The Functional graph, built in `__init__`; its config is its spec."""

    spec_class = CnnSpec

    def __init__(self, spec: CnnSpec | None = None, **kwargs):
        spec = spec or CnnSpec()
        inputs, outputs = graph(spec)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.spec = spec


def build(spec: CnnSpec) -> keras.Model:
    """Returns the convnet as a Functional subclass."""
    return ConvNetGraph(spec, name="cnn_functional_subclass")
