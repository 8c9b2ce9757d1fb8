"""The numbers of the residual convnet, in one place."""

from dataclasses import dataclass

from mnist_models.spec import LayerFlops, Spec


@dataclass(frozen=True)
class ResNetSpec(Spec):
    """The keras.io Functional API guide's "toy ResNet model", sized for MNIST. 62,058 parameters.

    Two convolutions and a max pooling, then residual blocks of two "same" convolutions whose
    output is added to the block's input, a last convolution, global average pooling, a dense
    layer with dropout, and the classifier. The guide's filters (32, 64; 64) are halved, so a
    training step costs about twice the CNN's rather than nine times.
    """

    input_shape: tuple[int, ...] = (28, 28, 1)
    stem_filters: tuple[int, ...] = (16, 32)
    kernel_size: int = 3
    pool_size: int = 3
    blocks: int = 2
    units: int = 256
    dropout: float = 0.5
    num_classes: int = 10

    @property
    def block_filters(self) -> int:
        """A block adds its output to its input, so it keeps the stem's last filter count."""
        return self.stem_filters[-1]

    def layer_flops(self) -> list[LayerFlops]:
        height, width, channels = self.input_shape
        k2 = self.kernel_size**2
        layers = []
        for i, filters in enumerate(self.stem_filters):
            height, width = height - self.kernel_size + 1, width - self.kernel_size + 1
            layers.append(
                LayerFlops(
                    f"stem{i + 1}", 2 * height * width * k2 * channels * filters, first=i == 0
                )
            )
            channels = filters
        height, width = height // self.pool_size, width // self.pool_size
        same = 2 * height * width * k2 * channels * channels  # "same" padding keeps the size
        layers += [
            LayerFlops(f"block{b + 1}_conv{c + 1}", same)
            for b in range(self.blocks)
            for c in range(2)
        ]
        height, width = height - self.kernel_size + 1, width - self.kernel_size + 1
        layers.append(LayerFlops("last_conv", 2 * height * width * k2 * channels * channels))
        layers.append(LayerFlops("dense", 2 * channels * self.units))
        layers.append(LayerFlops("classifier", 2 * self.units * self.num_classes))
        return layers
