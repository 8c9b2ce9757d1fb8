"""The depth family: one stack of Dense layers at any depth, written in the three Keras styles
and in both idioms of the Sequential guide. `dense-<depth>` names a member."""

from mnist_models.architecture import Architecture
from mnist_models.dense import functional, sequential, subclassed
from mnist_models.dense.spec import DenseSpec


def architecture(depth: int) -> Architecture:
    """The family's member with `depth` hidden layers."""
    return Architecture(
        name=f"dense-{depth}",
        spec=DenseSpec(depth=depth),
        builders={
            "sequential": sequential.build,
            "functional": functional.build,
            "subclassed": subclassed.build,
        },
        idioms={"sequential_add": sequential.build_added},
    )
