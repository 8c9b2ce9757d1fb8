"""Before a sweep: can the harness use each architecture, and are its styles one model (their
parameters and initial weights against the reference's)?"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bench.worker.adopt import AdoptError
from bench.worker.adopt import adopt as adopt_model
from bench.worker.runner import weights_sha256
from mnist_models import (
    ArchitectureError,
    build_model,
    get_architecture,
    is_model_source,
    reference_of,
)

SEED = 1


def check_architecture(
    arch: str, styles: list[str], adopt: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the sweep needs to know of `arch` (a user's model adopted first), or {"error": …}."""
    adopted = None
    if adopt and is_model_source(arch):
        try:
            adopted = adopt_model(
                arch,
                Path(adopt["directory"]),
                trust=adopt["trust"],
                imports=tuple(adopt["imports"]),
                arguments=adopt["arguments"].get(arch, {}),
            )
        except AdoptError as e:
            return {"error": str(e)}
        if "name" in adopted:
            return {**check_architecture(adopted["name"], styles), "adopted": adopted}
    try:
        architecture = get_architecture(arch)
    except ArchitectureError as e:
        return {"error": str(e)}
    built = {}
    # an idiom asked for by name is another way to write a style: proven the same model too
    buildable = {*architecture.builders, *architecture.idioms}
    for style in [s for s in styles if s in buildable]:
        try:
            built[style] = build_model(arch, style, seed=SEED)
        except Exception as e:  # a user's builder: say which and what it raised
            return {"error": f"--arch {arch}: its {style} builder raised {type(e).__name__}: {e}"}
    if not built:
        return {
            "error": f"--arch {arch}: none of the styles asked for ({', '.join(styles)}) can "
            f"build it; it has {', '.join(architecture.styles)}"
        }
    reference = reference_of(built)
    found = {
        "styles": list(built),
        "unsupported": {
            s: architecture.unsupported.get(s, "no such idiom") for s in styles if s not in built
        },
        "reference": reference,
        "source": architecture.source,
        "counts_flops": _counts_flops(architecture.spec),
        "params": {style: int(model.count_params()) for style, model in built.items()},
        "initial_sha256": {style: weights_sha256(model) for style, model in built.items()},
        "differences": {},
    }
    for style, model in built.items():
        difference = first_difference(built[reference], model)
        if difference:
            found["differences"][style] = difference
    return found


def first_difference(reference, model) -> str | None:
    """Where `model`'s weights first differ from `reference`'s, in words; None when equal."""
    if reference.count_params() != model.count_params():
        return f"{model.count_params():,} parameters against {reference.count_params():,}"
    mine, theirs = reference.get_weights(), model.get_weights()
    if len(mine) != len(theirs):
        return f"{len(theirs)} weight arrays against {len(mine)}"
    for index, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        name = model.weights[index].path if hasattr(model.weights[index], "path") else index
        if a.shape != b.shape:
            return f"weight {index} ({name}) has shape {b.shape} against {a.shape}"
        if not np.array_equal(a, b):
            return f"weight {index} ({name}, shape {b.shape}) differs"
    return None


def _counts_flops(spec) -> bool:
    try:
        spec.train_flops_per_image()
    except NotImplementedError:
        return False
    return True
