"""The base every architecture spec derives from."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class LayerFlops:
    """One weighted layer's forward cost: 2 FLOPs per multiply-add, per image."""

    name: str
    forward: int
    first: bool = False  # the first weighted layer needs no gradient with respect to its input


@dataclasses.dataclass(frozen=True)
class Spec:
    """A frozen bag of an architecture's numbers, convertible to and from a Keras config."""

    def layer_flops(self) -> list[LayerFlops]:
        """The multiply-adds of each conv and dense layer; subclasses compute them from the spec.

        Bias adds, activations, pooling, dropout and softmax are excluded: together they are
        well under 1 % of the total for the architectures here.
        """
        raise NotImplementedError(f"{type(self).__name__} does not count its FLOPs")

    def forward_flops_per_image(self) -> int:
        """FLOPs of one image's forward pass (conv and dense layers)."""
        return sum(layer.forward for layer in self.layer_flops())

    def train_flops_per_image(self) -> int:
        """FLOPs of one image's training step: forward, weight gradients, input gradients.

        The backward pass costs a forward pass for the weight gradients and another for the
        input gradients, except at the first layer, whose input gradient nobody needs.
        """
        layers = self.layer_flops()
        return sum(3 * layer.forward - (layer.forward if layer.first else 0) for layer in layers)

    def to_config(self) -> dict[str, Any]:
        """Returns the spec as a JSON-friendly dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Spec:
        """Rebuilds a spec from `to_config` output; JSON turns tuples into lists, so undo that."""
        names = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(config) - names)
        if unknown:
            raise ValueError(
                f"unknown {cls.__name__} field(s) {unknown}; expected some of: {sorted(names)}"
            )
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in config.items()})


@dataclasses.dataclass(frozen=True)
class ModelSpec(Spec):
    """A generated architecture's numbers: what it takes and gives. Its layers' own numbers are
    written in its style files; `loss` is what it trains with, from its compile config or its
    output (class indices for a softmax, from logits for ten linear outputs on MNIST's images,
    binary crossentropy for a sigmoid, mean squared error otherwise)."""

    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    loss: str = "sparse_categorical_crossentropy"
    input_dtype: str = "float32"
    input_high: int | None = None  # integer inputs (token ids) are drawn below it
