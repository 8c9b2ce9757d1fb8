"""The residual convnet as a Functional subclass: a `keras.Model` subclass that builds its graph in
`__init__` and hands it to `super().__init__(inputs, outputs)`, as many keras.io examples do."""

import keras

from mnist_models.resnet.functional import graph
from mnist_models.resnet.spec import ResNetSpec
from mnist_models.subclassing import SpecGraph


@keras.saving.register_keras_serializable(package="mnist_models")
class ResNetGraph(SpecGraph):
    """The Functional graph, built in `__init__`; its config is its spec."""

    spec_class = ResNetSpec

    def __init__(self, spec: ResNetSpec | None = None, **kwargs):
        spec = spec or ResNetSpec()
        inputs, outputs = graph(spec)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.spec = spec


def build(spec: ResNetSpec) -> keras.Model:
    """Returns the residual convnet as a Functional subclass."""
    return ResNetGraph(spec, name="resnet_functional_subclass")
