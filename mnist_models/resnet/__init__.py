"""A small residual convnet, which keras.Sequential cannot express: Functional and subclassed."""

from mnist_models.architecture import Architecture
from mnist_models.resnet import functional, functional_subclass, subclassed
from mnist_models.resnet.spec import ResNetSpec

ARCHITECTURE = Architecture(
    name="resnet",
    spec=ResNetSpec(),
    builders={
        "functional": functional.build,
        "subclassed": subclassed.build,
        "functional_subclass": functional_subclass.build,
    },
    unsupported={
        "sequential": "a residual connection adds a block's input to its output; keras.Sequential "
        "passes each layer the previous layer's output alone, so it has no second input to add",
    },
    source='keras.io, "The Functional API" guide, "A toy ResNet model" (filters halved for MNIST)',
)
