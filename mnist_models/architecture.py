"""What an architecture is: a spec plus one builder per Keras style that can express it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mnist_models.spec import Spec

if TYPE_CHECKING:
    import keras

STYLES = ("sequential", "functional", "subclassed")


def reference_of(styles: Iterable[str]) -> str:
    """The style the others are compared with: the first of `STYLES` order among `styles`
    (Sequential, wherever it can express the architecture and is asked for)."""
    present = set(styles)
    return next(style for style in STYLES if style in present)


class ArchitectureError(ValueError):
    """An architecture, or a reference to one, is not what the harness can use."""


@dataclass(frozen=True)
class Architecture:
    """One architecture: its name, its numbers and a builder for each style that can express it.

    A style that cannot express the architecture has no builder, and `unsupported` says why
    (for example, keras.Sequential has one input per layer, so it cannot add a skip connection
    to a block's output). The first style in `STYLES` order that has a builder is the reference
    every other style is compared with.
    """

    name: str
    spec: Spec
    builders: Mapping[str, Callable[[Spec], keras.Model]]
    unsupported: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None  # where the architecture comes from, for the report
    # other ways to write a style's model, by name (`sequential_add`: the Sequential guide's
    # `model.add` idiom where the builder passes a list); the depth study times them beside the
    # styles, and `build_model` builds them by name
    idioms: Mapping[str, Callable[[Spec], keras.Model]] = field(default_factory=dict)

    def __post_init__(self):
        unknown = [style for style in self.builders if style not in STYLES]
        if unknown or not self.builders:
            raise ArchitectureError(
                f"architecture {self.name!r} has builders for {tuple(self.builders)}; "
                f"expected one or more of {STYLES}"
            )
        if list(self.builders) != [s for s in STYLES if s in self.builders]:
            raise ArchitectureError(
                f"architecture {self.name!r} has builders in the order {tuple(self.builders)}; "
                f"expected the order of {STYLES}"
            )
        for style in STYLES:
            if style in self.builders and style in self.unsupported:
                raise ArchitectureError(
                    f"architecture {self.name!r} has a {style} builder and says {style} cannot "
                    "express it; keep one of the two"
                )
            if style not in self.builders and not self.unsupported.get(style):
                raise ArchitectureError(
                    f"architecture {self.name!r} has no {style} builder and does not say why; "
                    f"give one, or a reason in unsupported={{{style!r}: '...'}}"
                )

        if clash := [name for name in self.idioms if name in STYLES]:
            raise ArchitectureError(
                f"architecture {self.name!r} names idioms {clash} like styles; an idiom is "
                f"another way to write a style, named apart from {STYLES}"
            )

    @property
    def styles(self) -> tuple[str, ...]:
        """The styles that can express this architecture, in `STYLES` order."""
        return tuple(self.builders)

    @property
    def reference(self) -> str:
        """The style every other is compared with: Sequential where it can express this."""
        return reference_of(self.styles)
