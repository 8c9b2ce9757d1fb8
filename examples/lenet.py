"""Your own architecture, benchmarked: LeNet-5 in the Keras styles, and a Sequential idiom.

LeCun et al., "Gradient-based learning applied to document recognition" (1998), with ReLU and
max pooling as it is usually written today. Run it from the project's root:

    python -m bench --profile smoke --arch examples.lenet:LENET

Each style is written as its Keras guide would have it; the numbers live once, in `LeNetSpec`.
`functional_subclass` and the idiom `sequential_add` are optional: an architecture names the
forms it is written in, and `--styles all` runs every one.
The spec does not count its FLOPs (`layer_flops`), so the runs report no GFLOP/s: that part of
the protocol is optional.
"""

from dataclasses import dataclass

import keras
from keras import layers

from mnist_models import Architecture, Spec


@dataclass(frozen=True)
class LeNetSpec(Spec):
    """LeNet-5's numbers. 61,706 parameters."""

    input_shape: tuple[int, ...] = (28, 28, 1)
    filters: tuple[int, ...] = (6, 16)
    kernel_size: int = 5
    units: tuple[int, ...] = (120, 84)
    num_classes: int = 10


def _stack(spec: LeNetSpec) -> list[keras.layers.Layer]:
    return [
        layers.Conv2D(spec.filters[0], spec.kernel_size, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(spec.filters[1], spec.kernel_size, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        *[layers.Dense(units, activation="relu") for units in spec.units],
        layers.Dense(spec.num_classes, activation="softmax"),
    ]


def sequential(spec: LeNetSpec) -> keras.Model:
    """LeNet-5 as a stack of layers, from a list."""
    return keras.Sequential(
        [keras.Input(shape=spec.input_shape), *_stack(spec)], name="lenet_sequential"
    )


def sequential_add(spec: LeNetSpec) -> keras.Model:
    """LeNet-5 as a stack grown with `model.add`: an idiom of Sequential."""
    model = keras.Sequential(name="lenet_sequential_add")
    model.add(keras.Input(shape=spec.input_shape))
    for layer in _stack(spec):
        model.add(layer)
    return model


def _graph(spec: LeNetSpec):
    inputs = keras.Input(shape=spec.input_shape)
    x = layers.Conv2D(spec.filters[0], spec.kernel_size, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(spec.filters[1], spec.kernel_size, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    for units in spec.units:
        x = layers.Dense(units, activation="relu")(x)
    return inputs, layers.Dense(spec.num_classes, activation="softmax")(x)


def functional(spec: LeNetSpec) -> keras.Model:
    """LeNet-5 as a graph of layers."""
    inputs, outputs = _graph(spec)
    return keras.Model(inputs, outputs, name="lenet_functional")


@keras.saving.register_keras_serializable(package="examples")
class LeNetGraph(keras.Model):
    """LeNet-5 as a Functional subclass: the graph built in `__init__`."""

    def __init__(self, spec: LeNetSpec | None = None, **kwargs):
        spec = spec or LeNetSpec()
        inputs, outputs = _graph(spec)
        super().__init__(inputs, outputs, **kwargs)
        self.spec = spec

    def get_config(self):
        return {**super().get_config(), "spec": self.spec.to_config()}

    @classmethod
    def from_config(cls, config):
        return cls(LeNetSpec.from_config(config.pop("spec")), **config)


@keras.saving.register_keras_serializable(package="examples")
class LeNet(keras.Model):
    """LeNet-5 as a subclass: layers made in __init__, in the order the other styles make them."""

    def __init__(self, spec: LeNetSpec | None = None, **kwargs):
        super().__init__(**kwargs)
        self.spec = spec or LeNetSpec()
        s = self.spec
        self.conv1 = layers.Conv2D(s.filters[0], s.kernel_size, padding="same", activation="relu")
        self.pool1 = layers.MaxPooling2D()
        self.conv2 = layers.Conv2D(s.filters[1], s.kernel_size, activation="relu")
        self.pool2 = layers.MaxPooling2D()
        self.flatten = layers.Flatten()
        self.hidden = [layers.Dense(units, activation="relu") for units in s.units]
        self.classifier = layers.Dense(s.num_classes, activation="softmax")

    def build(self, input_shape):
        shape = input_shape
        for layer in [
            self.conv1,
            self.pool1,
            self.conv2,
            self.pool2,
            self.flatten,
            *self.hidden,
            self.classifier,
        ]:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)

    def call(self, inputs):
        x = self.pool1(self.conv1(inputs))
        x = self.flatten(self.pool2(self.conv2(x)))
        for layer in self.hidden:
            x = layer(x)
        return self.classifier(x)

    def get_config(self):
        return {**super().get_config(), "spec": self.spec.to_config()}

    @classmethod
    def from_config(cls, config):
        return cls(LeNetSpec.from_config(config.pop("spec")), **config)


def subclassed(spec: LeNetSpec) -> keras.Model:
    """LeNet-5 as a subclassed model, built so that its weights exist."""
    model = LeNet(spec, name="lenet_subclassed")
    model.build((None, *spec.input_shape))
    return model


LENET = Architecture(
    name="lenet",
    spec=LeNetSpec(),
    builders={
        "sequential": sequential,
        "functional": functional,
        "subclassed": subclassed,
        "functional_subclass": lambda spec: LeNetGraph(spec, name="lenet_functional_subclass"),
    },
    idioms={"sequential_add": sequential_add},
    source="LeCun et al. 1998, LeNet-5 (ReLU, max pooling)",
)
