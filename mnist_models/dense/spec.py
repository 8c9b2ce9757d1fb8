"""The numbers of the depth family, in one place: a stack of `depth` equal Dense layers."""

from dataclasses import dataclass
from math import prod

from mnist_models.spec import LayerFlops, Spec


@dataclass(frozen=True)
class DenseSpec(Spec):
    """Flatten, `depth` hidden Dense layers of `units` ReLU units, a softmax classifier.

    The depth study's model: its depth is the only thing that grows, so that a cost that grows
    with it is a cost per layer. Named `dense-<depth>` (`mnist_models.get_architecture`).
    """

    depth: int = 8
    units: int = 64
    input_shape: tuple[int, ...] = (28, 28, 1)
    num_classes: int = 10

    def __post_init__(self):
        if self.depth < 1:
            raise ValueError(f"DenseSpec depth must be 1 or more; received {self.depth}")

    def layer_flops(self) -> list[LayerFlops]:
        pixels = prod(self.input_shape)
        hidden = [
            LayerFlops(f"dense_{i + 1}", 2 * self.units * self.units) for i in range(1, self.depth)
        ]
        return [
            LayerFlops("dense_1", 2 * pixels * self.units, first=True),
            *hidden,
            LayerFlops("classifier", 2 * self.units * self.num_classes),
        ]
