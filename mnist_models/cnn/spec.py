"""The numbers of the keras.io MNIST convnet, in one place."""

from dataclasses import dataclass

from mnist_models.spec import Spec


@dataclass(frozen=True)
class CnnSpec(Spec):
    """The keras.io "Simple MNIST convnet". 34,826 parameters."""

    input_shape: tuple[int, ...] = (28, 28, 1)
    filters: tuple[int, ...] = (32, 64)
    kernel_size: int = 3
    pool_size: int = 2
    dropout: float = 0.5
    num_classes: int = 10
