"""The TensorFlow beginner quickstart MLP, written in the Keras styles and the Sequential idioms."""

from mnist_models.architecture import Architecture
from mnist_models.mlp import functional, functional_subclass, sequential, subclassed
from mnist_models.mlp.spec import MlpSpec

ARCHITECTURE = Architecture(
    name="mlp",
    spec=MlpSpec(),
    builders={
        "sequential": sequential.build,
        "functional": functional.build,
        "subclassed": subclassed.build,
        "functional_subclass": functional_subclass.build,
    },
    idioms={
        "sequential_add": sequential.build_added,
        "sequential_deferred": sequential.build_deferred,
    },
)
