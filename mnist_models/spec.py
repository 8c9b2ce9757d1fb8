"""The base every architecture spec derives from."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class Spec:
    """A frozen bag of an architecture's numbers, convertible to and from a Keras config."""

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
