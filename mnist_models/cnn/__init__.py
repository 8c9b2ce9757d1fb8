"""The keras.io MNIST convnet, written in the Keras styles and the Sequential idioms."""

from mnist_models.architecture import Architecture
from mnist_models.cnn import functional, functional_subclass, sequential, subclassed
from mnist_models.cnn.spec import CnnSpec

ARCHITECTURE = Architecture(
    name="cnn",
    spec=CnnSpec(),
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
