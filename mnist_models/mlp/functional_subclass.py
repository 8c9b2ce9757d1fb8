"""The MLP as a Functional subclass: a `keras.Model` subclass that builds its graph in
`__init__` and hands it to `super().__init__(inputs, outputs)`, as many keras.io examples do."""

import keras

from mnist_models.mlp.functional import graph
from mnist_models.mlp.spec import MlpSpec
from mnist_models.subclassing import SpecGraph


@keras.saving.register_keras_serializable(package="mnist_models")
class MlpGraph(SpecGraph):
    """The Functional graph, built in `__init__`; its config is its spec."""

    spec_class = MlpSpec

    def __init__(self, spec: MlpSpec | None = None, **kwargs):
        spec = spec or MlpSpec()
        inputs, outputs = graph(spec)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.spec = spec


def build(spec: MlpSpec) -> keras.Model:
    """Returns the MLP as a Functional subclass."""
    return MlpGraph(spec, name="mlp_functional_subclass")
