"""The numbers of the keras.io MNIST convnet, in one place."""

from dataclasses import dataclass

from mnist_models.spec import LayerFlops, Spec


@dataclass(frozen=True)
class CnnSpec(Spec):
    """The keras.io "Simple MNIST convnet". 34,826 parameters."""

    input_shape: tuple[int, ...] = (28, 28, 1)
    filters: tuple[int, ...] = (32, 64)
    kernel_size: int = 3
    pool_size: int = 2
    dropout: float = 0.5
    num_classes: int = 10

    def layer_flops(self) -> list[LayerFlops]:
        height, width, channels = self.input_shape
        layers = []
        for i, filters in enumerate(self.filters):
            height, width = height - self.kernel_size + 1, width - self.kernel_size + 1  # "valid"
            macs = height * width * self.kernel_size**2 * channels * filters
            layers.append(LayerFlops(f"conv{i + 1}", 2 * macs, first=i == 0))
            height, width, channels = height // self.pool_size, width // self.pool_size, filters
        features = height * width * channels
        layers.append(LayerFlops("dense", 2 * features * self.num_classes))
        return layers
