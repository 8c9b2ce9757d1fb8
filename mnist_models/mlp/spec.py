"""The numbers of the TensorFlow beginner quickstart model, in one place."""

from dataclasses import dataclass
from math import prod

from mnist_models.spec import LayerFlops, Spec


@dataclass(frozen=True)
class MlpSpec(Spec):
    """The tensorflow.org "TensorFlow 2 quickstart for beginners" model. 101,770 parameters."""

    input_shape: tuple[int, ...] = (28, 28, 1)
    units: int = 128
    dropout: float = 0.2
    num_classes: int = 10

    def layer_flops(self) -> list[LayerFlops]:
        pixels = prod(self.input_shape)
        return [
            LayerFlops("hidden", 2 * pixels * self.units, first=True),
            LayerFlops("classifier", 2 * self.units * self.num_classes),
        ]
