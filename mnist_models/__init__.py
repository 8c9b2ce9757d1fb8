"""The same MNIST classifiers written in the Keras styles and idioms; knows nothing of the
harness. Architectures: the built-in `ARCHS`, `module:ATTRIBUTE`, or an installed entry point in
`mnist_styles_bench.architectures`."""

from __future__ import annotations

import importlib
import os
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from mnist_models.architecture import (
    FIRST_BATCH,
    FORMS,
    IDIOMS,
    REQUIRED_STYLES,
    STYLES,
    Architecture,
    ArchitectureError,
    form_order,
    reference_of,
)
from mnist_models.spec import LayerFlops, ModelSpec, Spec

if TYPE_CHECKING:
    import keras

# A new built-in architecture is a package like `cnn/` (a spec and its builders) plus one entry
# here. Packages are imported on first use, so that reading ARCHS and STYLES does not start Keras.
_PACKAGES = {"cnn": "mnist_models.cnn", "mlp": "mnist_models.mlp", "resnet": "mnist_models.resnet"}

ARCHS: tuple[str, ...] = tuple(_PACKAGES)
ENTRY_POINTS = "mnist_styles_bench.architectures"
# directories of packages generated from users' models (mnist_models.sources)
GENERATED_PATH = "MNIST_MODELS_PATH"
# the depth family's members, dense-1 to dense-9999 (mnist_models.dense)
DEPTH_FAMILY = re.compile(r"^dense-([1-9]\d{0,3})$")
# module.path:ATTRIBUTE, as entry points and `--arch` write a reference to an object
REFERENCE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")

__all__ = [
    "ARCHS",
    "FIRST_BATCH",
    "FORMS",
    "GENERATED_PATH",
    "IDIOMS",
    "REQUIRED_STYLES",
    "STYLES",
    "Architecture",
    "ArchitectureError",
    "LayerFlops",
    "ModelSpec",
    "Spec",
    "build_model",
    "form_order",
    "get_architecture",
    "is_architecture_name",
    "is_model_source",
    "reference_of",
]


def is_architecture_name(name: str) -> bool:
    """Whether `name` can name an architecture (built-in, a `dense-<depth>` of the depth family,
    installed, generated, module:ATTRIBUTE, or a `.keras` file), without importing anything."""
    return (
        name in _PACKAGES
        or name.endswith(".keras")
        or name in _generated()
        or bool(DEPTH_FAMILY.match(name))
        or bool(REFERENCE.match(name))
        or name in _installed()
    )


def is_model_source(name: str) -> bool:
    """Whether `name` may name a user's model rather than an `Architecture`: a `.keras` file, or
    a module:ATTRIBUTE reference no installed package registers (it may lead to either)."""
    return name.endswith(".keras") or (
        bool(REFERENCE.match(name)) and name not in _installed().values()
    )


def get_architecture(arch: str) -> Architecture:
    """The architecture `arch` names; ArchitectureError says which part failed."""
    if arch in _PACKAGES:
        return importlib.import_module(_PACKAGES[arch]).ARCHITECTURE
    if depth := DEPTH_FAMILY.match(arch):
        return importlib.import_module("mnist_models.dense").architecture(int(depth[1]))
    if arch in _generated():
        return _import_generated(arch, _generated()[arch])
    reference = _installed().get(arch, arch)
    if not REFERENCE.match(reference):
        allowed = ", ".join([*ARCHS, "dense-<depth>", *_installed()])
        raise ArchitectureError(
            f"unknown arch {arch!r}; expected one of: {allowed}, or module:ATTRIBUTE naming an "
            "Architecture"
        )
    module_name, attribute = reference.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ArchitectureError(
            f"--arch {arch}: cannot import module {module_name!r} ({e}); put it on PYTHONPATH "
            "or in the directory you run from"
        ) from None
    found = getattr(module, attribute, None)
    if found is None:
        raise ArchitectureError(f"--arch {arch}: module {module_name!r} has no {attribute!r}")
    if not isinstance(found, Architecture):
        raise ArchitectureError(
            f"--arch {arch}: {attribute} is a {type(found).__name__}, not a "
            "mnist_models.Architecture(name, spec, builders)"
        )
    return found


def build_model(
    arch: str, style: str, *, seed: int | None = None, first_call: bool = True
) -> keras.Model:
    """Builds `arch` in `style` (a form), weights created, not compiled.

    Args:
        arch: a name `get_architecture` knows.
        style: one of the architecture's `forms`.
        seed: seeds everything first (`keras.utils.set_random_seed`): every form draws the same
            initial weights from it.
        first_call: build a deferred model by a call on `FIRST_BATCH` zero images, as `fit` would.

    Raises:
        ArchitectureError, ValueError: unknown `arch` or a form it lacks; unknown `style`.
    """
    architecture = get_architecture(arch)
    if style not in FORMS:
        raise ValueError(f"unknown style {style!r}; expected one of: {', '.join(FORMS)}")
    if style not in architecture.forms:
        raise ArchitectureError(f"{arch} cannot be built as {style}: {architecture.why_not(style)}")
    import keras

    if seed is not None:
        keras.utils.set_random_seed(seed)
    builder = architecture.idioms.get(style) or architecture.builders[style]
    model = builder(architecture.spec)
    if first_call and not model.built:
        model(keras.ops.zeros((FIRST_BATCH, *architecture.spec.input_shape)))
    return model


def _generated() -> dict[str, Path]:
    """Architectures generated from a user's model: name -> package directory, from the
    directories in `$MNIST_MODELS_PATH` (as `PYTHONPATH` lists them)."""
    found = {}
    for directory in filter(None, os.environ.get(GENERATED_PATH, "").split(os.pathsep)):
        for init in sorted(Path(directory).glob("*/__init__.py")):
            found.setdefault(init.parent.name, init.parent)
    return found


def _import_generated(name: str, package: Path) -> Architecture:
    if str(package.parent) not in sys.path:
        sys.path.insert(0, str(package.parent))
    return importlib.import_module(name).ARCHITECTURE


def _installed() -> dict[str, str]:
    """Architectures that installed packages register: name -> module:ATTRIBUTE."""
    return {ep.name: ep.value for ep in metadata.entry_points(group=ENTRY_POINTS)}
