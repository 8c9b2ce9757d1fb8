"""What a capability check records: the checks, their groups and outcomes. A sweep's
`capabilities` map a model name (`backend/arch` off TensorFlow) to each style's checks, each
`{"outcome", "error", "remedy", "detail"}`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.plan.settings import CAPABILITY_CHECK_SETS

YES, NO, NOT_SUPPORTED, NOT_INSTALLED, DOES_NOT_APPLY = (
    "yes",
    "no",
    "not supported",
    "not installed",
    "does not apply",
)
# "does not apply": the model lacks what the check needs (no intermediate layer, say).
OUTCOMES = (YES, NO, NOT_SUPPORTED, NOT_INSTALLED, DOES_NOT_APPLY)
EXPORT_EXTRA = "pip install 'mnist-styles-bench[export]'"


@dataclass(frozen=True)
class Check:
    """One thing a user does with a model afterwards: its name, its row's group, its words."""

    name: str
    group: str
    label: str


CHECKS = (
    Check(
        "keras_reload_without_code",
        "save and deploy",
        "`.keras` reload, new process, model code not imported",
    ),
    Check(
        "keras_reload_with_code",
        "save and deploy",
        "`.keras` reload, new process, model code imported",
    ),
    Check(
        "keras_from_previous_install",
        "save and deploy",
        "`.keras` saved by the previous install, loaded here",
    ),
    Check("h5_save_load", "save and deploy", "`.h5` save and load"),
    Check(
        "batch_dimension",
        "save and deploy",
        "any batch size: `inputs`, and features of another batch",
    ),
    Check("config_round_trip", "save and deploy", "`get_config` / `from_config`"),
    Check("savedmodel_served", "export", "SavedModel export, served in a new process"),
    Check("tflite_litert", "export", "TFLite, run in LiteRT in a new process"),
    Check("onnx_onnxruntime", "export", "ONNX, run in onnxruntime in a new process"),
    Check("quantize_int8", "export", '`quantize("int8")` of trained weights'),
    Check("weights_same_style", "reuse", "`save_weights` → `load_weights`, same style"),
    Check("weights_file_other_styles", "reuse", "weights file into each other style"),
    Check("set_weights_other_styles", "reuse", "`set_weights` into each other style"),
    Check("features_get_layer", "reuse", "features: `Model(model.inputs, get_layer(name).output)`"),
    Check("features_layers_in_order", "reuse", "features: the same layers called in order"),
    Check("fine_tune_new_head", "reuse", "fine-tune: frozen features, new head, one step"),
    Check("clone_model", "reuse", "`clone_model`"),
    Check("clone_with_clone_function", "reuse", "`clone_model` with a `clone_function`"),
    Check("built_before_first_call", "inspect", "weights and `summary()` before a first call"),
    Check("summary_output_shapes", "inspect", "`summary()` shows output shapes"),
    Check("model_input", "inspect", "`model.input`"),
    Check("graph_attributes", "inspect", "`layers`, `get_layer`, `inputs` / `outputs`"),
    Check("plot_model", "inspect", "`keras.utils.plot_model`"),
)
CHECK_NAMES = tuple(c.name for c in CHECKS)
# --capability-checks: all, or all but the export group, which takes a large model minutes
CHECK_SETS = dict(
    zip(
        CAPABILITY_CHECK_SETS,
        (CHECK_NAMES, tuple(c.name for c in CHECKS if c.group != "export")),
        strict=True,
    )
)
PREVIOUS_INSTALL = "keras_from_previous_install"  # only with --previous-files
GROUPS = ("save and deploy", "reuse", "export", "inspect")
CROSS_BACKEND = "keras_loads_on_"  # + a backend: a `.keras` file saved there, loaded here


def entry(
    outcome: str, error: str | None = None, remedy: str | None = None, detail: str | None = None
) -> dict[str, Any]:
    """One check's result in its recorded shape."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; expected one of: {', '.join(OUTCOMES)}")
    return {"outcome": outcome, "error": error, "remedy": remedy, "detail": detail}


def outcome_of(found: dict[str, Any]) -> str:
    """A recorded check's outcome; schema 9 and older recorded `ok` (yes or no) alone."""
    if "outcome" in found:
        return found["outcome"]
    return YES if found.get("ok") else NO


def label_of(check: str) -> str:
    """The words a table shows for a check."""
    for c in CHECKS:
        if c.name == check:
            return c.label
    if check.startswith(CROSS_BACKEND):
        return f"`.keras` saved on another backend, loaded on {check[len(CROSS_BACKEND) :]}"
    return check.replace("_", " ")  # a check of an older schema


def group_of(check: str) -> str:
    """The group a check's row sits in; older checks go where their successors do."""
    for c in CHECKS:
        if c.name == check:
            return c.group
    if check.startswith(CROSS_BACKEND) or check in ("keras_save_load",):
        return "save and deploy"
    if check == "savedmodel_export":
        return "export"
    return "reuse"


def upgrade_capabilities(capabilities: dict[str, Any]) -> dict[str, Any]:
    """Capabilities of any schema in the current shape: schema 9 and older recorded
    `{"ok", "error"}` per check (yes or no, nothing else)."""
    return {
        model: {
            style: {
                check: found if "outcome" in found else entry(outcome_of(found), found.get("error"))
                for check, found in checks.items()
            }
            for style, checks in styles.items()
        }
        for model, styles in (capabilities or {}).items()
    }
