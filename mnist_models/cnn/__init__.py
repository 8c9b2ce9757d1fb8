"""The keras.io MNIST convnet, written in the three Keras styles."""

from mnist_models.architecture import Architecture
from mnist_models.cnn import functional, sequential, subclassed
from mnist_models.cnn.spec import CnnSpec

ARCHITECTURE = Architecture(
    name="cnn",
    spec=CnnSpec(),
    builders={
        "sequential": sequential.build,
        "functional": functional.build,
        "subclassed": subclassed.build,
    },
    idioms={"sequential_add": sequential.build_added},
)
