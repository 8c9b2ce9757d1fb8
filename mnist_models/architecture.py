"""What an architecture is: a spec plus one builder per Keras style that can express it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mnist_models.spec import Spec

if TYPE_CHECKING:
    import keras

# The styles, in the order tables list them. `functional_subclass`, a `keras.Model` subclass
# that builds its graph in `__init__`, is optional; every other style has a builder or a reason.
STYLES = ("sequential", "functional", "subclassed", "functional_subclass")
REQUIRED_STYLES = STYLES[:3]
# Other ways to write a style's model, each measured against the style as the reference writes
# it: Sequential grown with `model.add`, and Sequential with no `keras.Input`, built by its
# first call.
IDIOMS = {"sequential_add": "sequential", "sequential_deferred": "sequential"}
FORMS = (*STYLES, *IDIOMS)  # everything a sweep's --styles may name
# A model its builder leaves unbuilt is built by a first call on a batch this size, as `fit`'s
# first batch builds it at the harness's batch size.
FIRST_BATCH = 128


def form_order(form: str) -> int:
    """Where `form` sits in tables: its place in `FORMS`, anything else after them."""
    return FORMS.index(form) if form in FORMS else len(FORMS)


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
    # other ways to write a style's model, keyed by a name of `IDIOMS`; `build_model` builds
    # them by name, and sweeps and the depth study time them beside the styles
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
            if (
                style in REQUIRED_STYLES
                and style not in self.builders
                and not self.unsupported.get(style)
            ):
                raise ArchitectureError(
                    f"architecture {self.name!r} has no {style} builder and does not say why; "
                    f"give one, or a reason in unsupported={{{style!r}: '...'}}"
                )

        if unknown := [name for name in self.idioms if name not in IDIOMS]:
            raise ArchitectureError(
                f"architecture {self.name!r} has idioms {unknown}; expected some of "
                f"{tuple(IDIOMS)}, each another way to write the style it names"
            )
        if orphans := [n for n in self.idioms if IDIOMS[n] not in self.builders]:
            raise ArchitectureError(
                f"architecture {self.name!r} has idioms {orphans} of a style it has no builder "
                "for; give that style's builder too"
            )

    @property
    def styles(self) -> tuple[str, ...]:
        """The styles that can express this architecture, in `STYLES` order."""
        return tuple(self.builders)

    @property
    def forms(self) -> tuple[str, ...]:
        """The styles and idioms this architecture is written in, in `FORMS` order."""
        return tuple(f for f in FORMS if f in self.builders or f in self.idioms)

    def why_not(self, form: str) -> str:
        """Why this architecture has no builder for `form`, in words."""
        style = IDIOMS.get(form, form)
        return (
            self.unsupported.get(form)
            or self.unsupported.get(style)
            or f"{self.name} is not written as {form}"
        )

    @property
    def reference(self) -> str:
        """The style every other is compared with: Sequential where it can express this."""
        return reference_of(self.styles)
