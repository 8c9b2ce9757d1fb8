"""Whether the styles compile to one program: each style's train and predict steps traced and
reduced to a form that ignores names (TensorFlow: op types, attributes, inputs by position and
static shapes; JAX: the jaxpr), compared with the reference's. PyTorch runs eagerly: no program.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import keras
import numpy as np

from bench.plan.settings import TrainSettings
from bench.plan.specs import PROGRAM_STEPS as STEPS
from bench.worker.data import SPARSE_LOSSES, keras_loss, loss_name
from bench.worker.runner import compile_model
from mnist_models import build_model, get_architecture, reference_of

SEED = 1
VARIABLE = "variable"
EAGER = "eager: Keras runs PyTorch op by op, so there is no compiled program to compare"


def compare_programs(arch: str, styles: list[str], settings: TrainSettings) -> dict[str, Any]:
    """Each style's steps' programs and where each first differs from the reference's, or
    {"error": why} where they could not be traced."""
    if keras.backend.backend() == "torch":
        return {"eager": EAGER}
    try:
        return _compared(arch, styles, settings)
    except Exception as e:  # a user's model that does not trace is a finding, not a crash
        return {"error": f"{type(e).__name__}: {e}".splitlines()[0][:200]}


def _compared(arch: str, styles: list[str], settings: TrainSettings) -> dict[str, Any]:
    architecture = get_architecture(arch)
    buildable = [s for s in styles if s in {*architecture.builders, *architecture.idioms}]
    shape = (settings.batch_size, *_input_shape(arch, architecture, buildable))
    traced = {style: _canonical(arch, style, settings, shape) for style in buildable}
    reference = reference_of(traced)
    return {
        "reference": reference,
        "steps": {
            step: {
                style: {"operations": found[step][0], "sha256": _digest(found[step][1])}
                for style, found in traced.items()
            }
            for step in STEPS
        },
        "differences": {
            style: {
                step: first_difference(traced[reference][step][1], found[step][1]) for step in STEPS
            }
            for style, found in traced.items()
            if style != reference
        },
    }


def _input_shape(arch: str, architecture, styles: list[str]) -> tuple[int, ...]:
    """One image's shape: the spec's, else the reference's `keras.Input` (a user's spec may
    name none)."""
    if getattr(architecture.spec, "input_shape", None):
        return tuple(architecture.spec.input_shape)
    model = build_model(arch, reference_of(styles), seed=SEED)
    return tuple(model.inputs[0].shape[1:])


def first_difference(reference: list[str], candidate: list[str]) -> str | None:
    """Where `candidate`'s canonical form first departs from `reference`'s, in words: the
    variable or operation by position, and what of it differs."""
    variables = sum(line.startswith(f'["{VARIABLE}"') for line in reference)
    for index, (theirs, mine) in enumerate(zip(reference, candidate, strict=False)):
        if theirs != mine:
            if index < variables:
                return f"variable {index}: {_short(mine)} against {_short(theirs)}"
            return f"operation {index - variables}: {_what_differs(mine, theirs)}"
    if len(reference) != len(candidate):
        return f"{len(candidate) - variables} operations against {len(reference) - variables}"
    return None


def _what_differs(mine: str, theirs: str) -> str:
    """One operation against another: their kinds, or the part of one kind that differs."""
    if not mine.startswith("["):  # a jaxpr line
        return f"{_short(mine)} against {_short(theirs)}"
    a, b = json.loads(mine), json.loads(theirs)
    if a[0] != b[0]:
        return f"{a[0]} against {b[0]}"
    attributes = [k for k in sorted({*a[1], *b[1]}) if a[1].get(k) != b[1].get(k)]
    if attributes:
        k = attributes[0]
        return f"{a[0]}, its {k} {_short(a[1].get(k))} against {_short(b[1].get(k))}"
    part = "inputs" if a[2:4] != b[2:4] else "output shapes"
    return f"{a[0]}, its {part} {_short(a[4] if part == 'output shapes' else a[2])} against " + (
        _short(b[4] if part == "output shapes" else b[2])
    )


def _short(value) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 70 else text[:67] + "…"


def _canonical(
    arch: str, style: str, settings: TrainSettings, shape: tuple[int, ...]
) -> dict[str, tuple[int, list]]:
    """Each step's operation count and canonical form, the variables first."""
    keras.utils.clear_session()
    model = build_model(arch, style, seed=SEED)
    loss = loss_name(arch)
    compile_model(model, settings, steps_per_epoch=1, loss=keras_loss(loss))
    outputs = getattr(get_architecture(arch).spec, "output_shape", ())
    classes = loss in SPARSE_LOSSES
    x, y = (
        np.zeros(shape, "float32"),
        np.zeros(shape[:1] if classes else (shape[0], *outputs), "int32" if classes else "float32"),
    )
    variables = [json.dumps([VARIABLE, list(v.shape), str(v.dtype)]) for v in model.variables]
    trace = _tensorflow if keras.backend.backend() == "tensorflow" else _jax
    return {step: (n, variables + lines) for step, (n, lines) in trace(model, x, y).items()}


def _tensorflow(model, x, y) -> dict[str, tuple[int, list[str]]]:
    import tensorflow as tf

    found = {}
    for step, function, data in (
        ("train", model.train_step, (x, y)),
        ("predict", model.predict_step, (x,)),
    ):
        spec = tf.nest.map_structure(lambda a: tf.TensorSpec(a.shape, a.dtype), data)
        operations = tf.function(function).get_concrete_function(spec).graph.get_operations()
        position = {op.name: i for i, op in enumerate(operations)}
        found[step] = (
            len(operations),
            [
                json.dumps(
                    [
                        op.type,
                        {k: str(v) for k, v in sorted(op.node_def.attr.items()) if _computes(k)},
                        _ordered(
                            op.type, [(position[t.op.name], t.value_index) for t in op.inputs]
                        ),
                        sorted(position[c.name] for c in op.control_inputs),
                        [(str(t.shape), t.dtype.name) for t in op.outputs],
                    ]
                )
                for op in operations
            ],
        )
    return found


# Binary ops whose two inputs may come in either order and give the same bits (IEEE addition,
# multiplication, max and min commute exactly): `x + shortcut` and `shortcut + x` are one program
COMMUTATIVE = ("Add", "AddV2", "Mul", "Maximum", "Minimum")


def _ordered(op_type: str, inputs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return sorted(inputs) if op_type in COMMUTATIVE and len(inputs) == 2 else inputs


def _computes(attribute: str) -> bool:
    """Whether a graph attribute can change what an op computes; names and placement cannot."""
    return not attribute.startswith("_") and attribute not in ("shared_name", "container")


def _jax(model, x, y) -> dict[str, tuple[int, list[str]]]:
    import jax

    model.optimizer.build(model.trainable_variables)
    values = [
        [v.value for v in group]
        for group in (
            model.trainable_variables,
            model.non_trainable_variables,
            model.optimizer.variables,
            model.metrics_variables,
        )
    ]
    traced = {
        "train": jax.make_jaxpr(model.train_step)(tuple(values), (x, y)),
        "predict": jax.make_jaxpr(model.predict_step)(tuple(values[:2]), (x,)),
    }
    # pjit's `name=` holds a Python function's name: the only name in a jaxpr's text
    return {
        step: (len(jaxpr.jaxpr.eqns), re.sub(r"name=\S+", "name=_", str(jaxpr)).splitlines())
        for step, jaxpr in traced.items()
    }


def _digest(form: list[str]) -> str:
    return hashlib.sha256("\n".join(form).encode()).hexdigest()
