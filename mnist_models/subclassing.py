"""What every subclassed model here shares: it is made from a spec, rebuilt from its config,
and built layer by layer so that its weights exist before any data is seen."""

from __future__ import annotations

from collections.abc import Iterable

import keras

from mnist_models.spec import Spec


class SpecConfig:
    """A model whose config is its frozen spec (`spec_class`): `get_config`/`from_config`
    round-trip it, so `.keras` files and `clone_model` work."""

    spec_class: type[Spec] = Spec
    spec: Spec

    def get_config(self):
        return {**super().get_config(), "spec": self.spec.to_config()}

    @classmethod
    def from_config(cls, config):
        spec = cls.spec_class.from_config(config.pop("spec"))
        return cls(spec, **config)


class SpecModel(SpecConfig, keras.Model):
    """A `keras.Model` subclass made from a spec, its layers created in `__init__`."""

    def __init__(self, spec: Spec | None = None, **kwargs):
        super().__init__(**kwargs)
        self.spec = spec or self.spec_class()


class SpecGraph(SpecConfig, keras.Model):
    """A Functional subclass whose config is its spec. A base apart from `SpecModel`'s: Keras
    puts `Functional` among the bases of a class whose `__init__` passes `inputs` and `outputs`,
    which a shared base would carry to every subclassed model."""


def build_in_order(layers: Iterable[keras.layers.Layer], input_shape) -> None:
    """Builds each layer from the shape its predecessor produces, creating every weight now, so
    that count_params() and summary() agree with the other styles before any data is seen."""
    shape = input_shape
    for layer in layers:
        layer.build(shape)
        shape = layer.compute_output_shape(shape)
