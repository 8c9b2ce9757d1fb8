"""What an architecture is: a spec plus one builder per Keras style."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mnist_models.spec import Spec

if TYPE_CHECKING:
    import keras

STYLES = ("sequential", "functional", "subclassed")


@dataclass(frozen=True)
class Architecture:
    """One architecture: its name, its numbers and a builder for each style in `STYLES`."""

    name: str
    spec: Spec
    builders: Mapping[str, Callable[[Spec], keras.Model]]

    def __post_init__(self):
        if tuple(self.builders) != STYLES:
            raise ValueError(
                f"architecture {self.name!r} has builders for {tuple(self.builders)}; "
                f"expected exactly {STYLES}, in that order"
            )
