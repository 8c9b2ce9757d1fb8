"""A user's model as it is, written in every style that can express it and proven one model:
given the original's weights, each style's outputs and training step are bitwise its own."""

from __future__ import annotations

import importlib
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import keras
import numpy as np

from bench.worker.data import (
    LOGITS_LOSS,
    MNIST_LOSS,
    MNIST_SHAPES,
    inputs,
    keras_loss,
    takes_mnist,
    targets,
)
from mnist_models import FIRST_BATCH, STYLES, Architecture, ArchitectureError
from mnist_models.graph import CannotGenerate, graph_of
from mnist_models.sources import write_as_it_is, write_package

PROOF_BATCH = 8
# keras.applications defaults where none are given: no weights to download, and an input that
# a 2-core machine trains in seconds
APPLICATION_DEFAULTS = {"weights": None}


class AdoptError(ValueError):
    """The model cannot be loaded or made; the message is one line for the user."""


def model_name(source: str) -> str:
    """The architecture name a source gets: its file's stem or its attribute, as an
    identifier."""
    stem = Path(source).stem if source.endswith(".keras") else source.rsplit(":", 1)[-1]
    name = re.sub(r"\W", "_", stem).lower().strip("_") or "model"
    return f"model_{name}" if name[0].isdigit() else name


def load_source(
    source: str, *, trust: bool, imports: tuple[str, ...], arguments: dict[str, Any]
) -> keras.Model | Architecture:
    """The model `source` names (a `.keras` path, `module:ATTRIBUTE`), or its `Architecture`;
    raises AdoptError with what was wrong."""
    for module in imports:
        _import(module, f"--import {module}")
    if source.endswith(".keras"):
        return _load_file(Path(source), trust)
    module_name, attribute = source.split(":")
    found = getattr(_import(module_name, f"--arch {source}"), attribute, None)
    if found is None:
        raise AdoptError(f"--arch {source}: module {module_name!r} has no {attribute!r}")
    if isinstance(found, (Architecture, keras.Model)):
        return found
    if not callable(found):
        raise AdoptError(
            f"--arch {source}: {attribute} is a {type(found).__name__}; expected a keras.Model, "
            "a function or class returning one, or an Architecture"
        )
    if module_name.startswith("keras.applications"):
        arguments = {**APPLICATION_DEFAULTS, **arguments}
    try:
        made = found(**arguments)
    except Exception as e:
        raise AdoptError(
            f"--arch {source}: {attribute}(...) raised {type(e).__name__}: {e}"
        ) from None
    if not isinstance(made, keras.Model):
        raise AdoptError(
            f"--arch {source}: {attribute}(...) returned a {type(made).__name__}, not a keras.Model"
        )
    return made


def _import(module: str, where: str):
    try:
        return importlib.import_module(module)
    except Exception as e:
        raise AdoptError(
            f"{where}: cannot import module {module!r} ({type(e).__name__}: {e}); put it on "
            "PYTHONPATH or in the directory you run from"
        ) from None


def _load_file(path: Path, trust: bool) -> keras.Model:
    if not path.is_file():
        raise AdoptError(f"--arch {path}: no such file")
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=not trust)
    except Exception as e:
        message = str(e).replace("\n", " ")
        if "safe_mode" in message or "Lambda" in message:
            raise AdoptError(
                f"--arch {path}: loading it runs Python code from the file (a Lambda layer), "
                "which Keras' safe mode refuses; pass --trust-model if you trust the file"
            ) from None
        raise AdoptError(
            f"--arch {path}: Keras cannot load it ({type(e).__name__}: {message[:200]}); if it "
            "holds custom layers, name their module with --import MODULE"
        ) from None


def compile_loss(path: str) -> str | None:
    """The loss a `.keras` file was compiled with, where it names one by a string or is a
    `SparseCategoricalCrossentropy`."""
    if not path.endswith(".keras"):
        return None
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    loss = (config.get("compile_config") or {}).get("loss")
    if isinstance(loss, dict) and loss.get("class_name") == "SparseCategoricalCrossentropy":
        return LOGITS_LOSS if (loss.get("config") or {}).get("from_logits") else MNIST_LOSS
    return loss if isinstance(loss, str) else None


def loss_for(model: keras.Model, compiled: str | None, shapes: tuple[tuple, tuple]) -> str:
    """What the harness trains `model` (of input and output `shapes`) with: the file's loss,
    else class indices for a softmax output, or for ten linear outputs on MNIST's images (as
    logits), and mean squared error for anything else."""
    if compiled:
        return compiled
    last = model.layers[-1] if model.layers else None
    activation = getattr(last, "activation", None)
    if activation is keras.activations.softmax:
        return MNIST_LOSS
    if activation is keras.activations.sigmoid:
        return "binary_crossentropy"
    digits = shapes[0] in MNIST_SHAPES and shapes[1] == (10,)
    return LOGITS_LOSS if digits and activation is keras.activations.linear else "mse"


def adopt(
    source: str,
    directory: Path,
    *,
    trust: bool = False,
    imports: tuple[str, ...] = (),
    arguments: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Writes `source`'s styles as a package in `directory`/NAME and proves them one model."""
    found = load_source(source, trust=trust, imports=imports, arguments=arguments or {})
    if isinstance(found, Architecture):
        return {"architecture": source}
    name = model_name(source)
    shape, outputs = _shapes(found)
    spec = (
        f"ModelSpec(input_shape={shape}, output_shape={outputs}, "
        f"loss={loss_for(found, compile_loss(source), (shape, outputs))!r}"
        f"{_integer_inputs(found)})"
    )
    package = directory / name
    try:
        graph = graph_of(found)
        graph.name = name  # the package's, which the sweep's records call it by
        written = write_package(graph, package, source, spec)
        unsupported, layers = dict(graph.unsupported), len(graph.calls)
    except CannotGenerate as e:
        # taken as it is: the model its source makes, in its own style, and no other
        style = _style_of(found)
        make = _maker(source, trust, imports, arguments or {})
        written = write_as_it_is(package, name, style, str(e), source, spec, make)
        unsupported = {s: str(e) for s in STYLES if s != style}
        layers = len(found.layers)
    architecture = _import_package(name, directory)
    return {
        "name": name,
        "package": str(package),
        "files": sorted(path.name for path in written if path.name != "__init__.py"),
        "source": source,
        "styles": list(architecture.forms),
        "unsupported": unsupported,
        "layers": layers,
        "params": int(found.count_params()),
        "input_shape": list(shape),
        "mnist": takes_mnist(architecture.spec),
        "proof": prove(found, architecture),
    }


def _style_of(model: keras.Model) -> str:
    if isinstance(model, keras.Sequential):
        return "sequential"
    return "functional" if hasattr(model, "_nodes_by_depth") else "subclassed"


def _maker(source: str, trust: bool, imports: tuple[str, ...], arguments: dict) -> str:
    """Source lines that make the model again as `source` does, ending in its return."""
    modules = "".join(f"    import {module}  # its custom layers\n" for module in imports)
    if source.endswith(".keras"):
        path = str(Path(source).resolve())
        return (
            f"{modules}    return keras.saving.load_model(\n"
            f"        {path!r}, compile=False, safe_mode={not trust}\n    )\n"
        )
    module, attribute = source.split(":")
    given = ", ".join(f"{k}={v!r}" for k, v in arguments.items())
    return f"{modules}    from {module} import {attribute}\n\n    return {attribute}({given})\n"


def _shapes(model: keras.Model) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The model's input and output shapes without the batch axis; raises AdoptError."""
    inputs = getattr(model, "inputs", None) or None
    if inputs is None:
        shapes = list((getattr(model, "_build_shapes_dict", None) or {}).values())
        if not shapes:
            raise AdoptError(
                f"{model.name} is not built, so its input shape is unknown; give it a "
                "keras.Input, or call it once before saving or returning it"
            )
        inputs = [keras.KerasTensor(shapes[0])]
    outputs = getattr(model, "outputs", None) or [
        model.compute_output_spec(keras.KerasTensor(inputs[0].shape))
    ]
    if len(inputs) != 1 or not isinstance(outputs, list) or len(outputs) != 1:
        raise AdoptError(
            f"{model.name} has {len(inputs)} inputs and {len(outputs)} outputs; the harness "
            "feeds and times models of one input and one output"
        )
    shape = tuple(inputs[0].shape[1:])
    if None in shape:
        raise AdoptError(
            f"{model.name}'s input {shape} has a dimension of no fixed size; the harness times "
            "inputs of one shape: give its keras.Input a fixed one, such as keras.Input((256,))"
        )
    return shape, tuple(outputs[0].shape[1:])


def _integer_inputs(model: keras.Model) -> str:
    """A spec's arguments for a model of integer inputs (token ids): their dtype, and the
    smallest vocabulary among its embeddings and encodings (2 where it has none)."""
    dtype = str(getattr((getattr(model, "inputs", None) or [None])[0], "dtype", "float32"))
    if "int" not in dtype:
        return ""
    sizes = [
        getattr(layer, "input_dim", None) or getattr(layer, "num_tokens", None)
        for layer in model.layers
    ]
    return f", input_dtype={dtype!r}, input_high={min(filter(None, sizes), default=2)}"


def _import_package(name: str, directory: Path) -> Architecture:
    """The generated package's `Architecture`, imported from `directory`."""
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]
    try:
        return importlib.import_module(name).ARCHITECTURE
    except Exception as e:
        raise ArchitectureError(f"the generated {name} does not import: {e}") from e


def prove(original: keras.Model, architecture: Architecture) -> dict[str, str]:
    """Per form: "identical" where, given `original`'s weights, it computes bitwise its
    outputs on the same inputs and takes bitwise its training step; else where it differs."""
    spec = architecture.spec
    rng = np.random.default_rng(0)
    x = inputs(spec, PROOF_BATCH, rng)
    y = targets(spec, PROOF_BATCH, rng)
    expected_output = np.asarray(original(x, training=False))
    loss = keras_loss(spec.loss)
    expected_step = _one_step(original, x, y, loss)
    proof = {}
    for form in architecture.forms:
        builder = architecture.idioms.get(form) or architecture.builders[form]
        model = builder(spec)
        if not model.built:
            model(keras.ops.zeros((FIRST_BATCH, *spec.input_shape)))
        # the step trains `original` further: every form starts from the weights it had
        proof[form] = _compare(model, x, y, expected_output, expected_step, loss)
    return proof


def _compare(model, x, y, expected_output, expected_step, loss) -> str:
    state = expected_step["before"]
    shapes = [(v.shape, v.dtype) for v in model.variables]
    if shapes != [(v.shape, v.dtype) for v in state]:
        return f"its variables differ in shape or order ({len(shapes)} against {len(state)})"
    _assign(model, state)
    output = np.asarray(model(x, training=False))
    if not np.array_equal(output, expected_output):
        return f"outputs differ by up to {np.max(np.abs(output - expected_output)):.3g}"
    after = _one_step(model, x, y, loss)["after"]
    for index, (a, b) in enumerate(zip(after, expected_step["after"], strict=True)):
        if not np.array_equal(a, b):
            return (
                f"one training step leaves weight {index} differing by {np.max(np.abs(a - b)):.3g}"
            )
    return "identical"


def _one_step(model, x, y, loss) -> dict[str, list[np.ndarray]]:
    """The model's variables (weights, and the random state its dropout draws from) before
    and after one training step on (x, y); the model is left as it was."""
    before = [np.array(v) for v in model.variables]
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss=loss)
    model.train_on_batch(x, y)
    after = [np.array(v) for v in model.variables]
    _assign(model, before)
    return {"before": before, "after": after}


def _assign(model, values: list[np.ndarray]) -> None:
    for variable, value in zip(model.variables, values, strict=True):
        variable.assign(value)
