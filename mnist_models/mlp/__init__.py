"""The TensorFlow beginner quickstart MLP, written in the three Keras styles."""

from mnist_models.architecture import Architecture
from mnist_models.mlp import functional, sequential, subclassed
from mnist_models.mlp.spec import MlpSpec

ARCHITECTURE = Architecture(
    name="mlp",
    spec=MlpSpec(),
    builders={
        "sequential": sequential.build,
        "functional": functional.build,
        "subclassed": subclassed.build,
    },
    idioms={"sequential_add": sequential.build_added},
)
