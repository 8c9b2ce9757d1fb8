"""A setting is defined once: a dataclass field whose `option` gives its flag, help and check;
the command line is generated from those fields and `validate` checks values against them."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.plan.backends import BACKENDS, DEFAULT_BACKEND

DEVICES = ("auto", "cpu", "gpu")
# "auto" is each backend's own default: XLA on JAX, none on TensorFlow on a CPU or under op
# determinism, eager on PyTorch. What a run used is in its record (`jit_compile`).
JIT_COMPILE = ("auto", "on", "off")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
MNIST_TRAIN_IMAGES = 60_000
MNIST_TEST_IMAGES = 10_000
DEFAULT_TIME_MARGIN = 3.0  # percent: the equivalence margin for every timing verdict
ACCURACY_MARGIN_POINTS = 0.2  # the equivalence margin for accuracy, in percentage points
# The paired phase sizes each burst to about this long, from the reference style's warmed-up
# call time: long enough that timer and dispatch jitter average out (the MLP's 3 ms steps vary
# by 10-25 % one by one), short enough that the styles of a round see the same machine.
STEADY_BURST_SECONDS = 0.05
# The 95 % half-width (percent) a paired interval should reach; the report warns when it does
# not, since then the machine was too noisy for the processes given.
STEADY_PRECISION = {"train_step": 1.5, "predict": 1.5, "latency": 3.0}
# The one-time phase: a cost paid once per model is judged with a wider margin than a cost paid
# on every step (docs/methodology.md, "One-time costs"), and aims for these half-widths.
DEFAULT_ONE_TIME_MARGIN = 10.0
ONE_TIME_PRECISION = {
    "build": 5.0,
    "compile": 10.0,
    "first_train_step": 5.0,
    "first_predict": 5.0,
    "save": 5.0,
    "load": 5.0,
}
PRECISION = {**STEADY_PRECISION, **ONE_TIME_PRECISION}  # every paired measure's aim
INIT_DIR = "init"  # in a sweep's directory: the initial weights of a shared start
# what --capability-checks may name; bench.store.capabilities says which checks each holds
CAPABILITY_CHECK_SETS = ("all", "no-export")


class ConfigError(ValueError):
    """A configuration value is out of range; the message says what was received and allowed."""


@dataclass(frozen=True)
class Option:
    """How a setting reads on the command line: `check` returns None for a good value, else what
    is allowed, which the error puts beside what was received."""

    help: str
    flag: str | None = None  # default: --the-field-name
    parse: Callable[[str], Any] | None = None  # default: the field's type
    choices: tuple[str, ...] | None = None
    boolean: bool = False  # --x / --no-x
    check: Callable[[Any], str | None] | None = None
    show: Callable[[Any], str] | None = None  # a default as the help text shows it
    # older spellings of the flag: still read, hidden from --help, each use told its new name
    aliases: tuple[str, ...] = ()

    def flag_for(self, name: str) -> str:
        """The flag of setting `name`: its own, else --the-field-name."""
        return self.flag or "--" + name.replace("_", "-")


def setting(default: Any = dataclasses.MISSING, **option: Any) -> Any:
    """A dataclass field that is also a command-line option (see `Option`)."""
    return dataclasses.field(default=default, metadata={"option": Option(**option)})


def options(cls: type) -> dict[str, Option]:
    """The settings of dataclass `cls` that are options, by field name, in field order."""
    return {f.name: f.metadata["option"] for f in dataclasses.fields(cls) if "option" in f.metadata}


def validate(instance: Any) -> None:
    """Checks every option field of `instance`; ConfigError says what was received and allowed."""
    for name in options(type(instance)):
        check_value(type(instance), name, getattr(instance, name))


def check_value(cls: type, name: str, value: Any) -> None:
    """Checks one value of setting `name` of `cls`, as `validate` does."""
    option = options(cls)[name]
    label = name.replace("_", " ")
    if option.choices is not None and value not in option.choices:
        raise ConfigError(
            f"unknown {label} {value!r}; expected one of: {', '.join(option.choices)}"
        )
    allowed = option.check(value) if option.check else None
    if allowed:
        raise ConfigError(f"{label} must be {allowed}; received {value}")


def whole(minimum: int) -> Callable[[Any], str | None]:
    """A check: a whole number >= `minimum`."""

    def check(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
        return None if ok else f"a whole number >= {minimum}"

    return check


def _positive(value: float) -> str | None:
    return None if value > 0 else "> 0"


def _open_fraction(value: float) -> str | None:
    return None if 0 < value < 1 else "between 0 and 1 (exclusive)"


def _target(value: float | None) -> str | None:
    return None if value is None or 0 < value <= 1 else "a fraction in (0, 1], e.g. 0.99"


def _images(limit: int) -> Callable[[Any], str | None]:
    def check(value: int | None) -> str | None:
        return None if value is None or 0 < value <= limit else f"in 1..{limit}"

    return check


def _all_of(limit: int) -> Callable[[Any], str]:
    return lambda value: f"all {limit:,}" if value is None else f"{value:,}"


def jit_compile_argument(setting: str) -> bool | str:
    """The setting as `model.compile(jit_compile=...)` takes it: True, False or "auto"."""
    return {"on": True, "off": False}.get(setting, "auto")


@dataclass(frozen=True)
class TrainSettings:
    """What changes what one run computes; runs compare and resume only under equal settings."""

    epochs: int = setting(help="training epochs per run", check=whole(1))
    batch_size: int = setting(help="training batch size", check=whole(1))
    learning_rate: float = setting(help="Adam's peak learning rate", check=_positive)
    validation_split: float = setting(
        help="held-out fraction of the training images", check=_open_fraction
    )
    train_images: int | None = setting(
        help="use the first N training images",
        check=_images(MNIST_TRAIN_IMAGES),
        show=_all_of(MNIST_TRAIN_IMAGES),
    )
    test_images: int | None = setting(
        help="use the first N test images",
        check=_images(MNIST_TEST_IMAGES),
        show=_all_of(MNIST_TEST_IMAGES),
    )
    device: str = setting(
        "auto", help="auto (GPU if the backend sees one), cpu, gpu", choices=DEVICES
    )
    deterministic: bool = setting(
        True, help="op determinism: equal seeds give equal results", boolean=True
    )
    jit_compile: str = setting(
        "auto",
        help="XLA (torch.compile on PyTorch): auto is each backend's default (XLA on JAX, off "
        "on TensorFlow's CPU, eager on PyTorch); on needs --no-deterministic on TensorFlow",
        choices=JIT_COMPILE,
    )
    target_accuracy: float | None = setting(
        None,
        help="record the time until validation accuracy first reaches this fraction, e.g. 0.99",
        check=_target,
    )
    precision: str = setting(
        "float32",
        help="Keras dtype policy; mixed_* are slow on CPUs without native support",
        choices=PRECISIONS,
    )
    steps_per_execution: int = setting(
        1,
        help="train steps per call into the backend (same math, less Python per step)",
        check=whole(1),
    )
    backend: str = DEFAULT_BACKEND  # set per backend from the sweep's --backend
    # Every backend and style starts from the same initial weights (made by the Sequential
    # model on TensorFlow) and sees the batches in the same order (a NumPy permutation of the
    # seed), so that runs on different backends differ only in what the backends compute.
    shared_start: bool = setting(
        False,
        help="every backend and style starts from TensorFlow's Sequential weights and sees "
        "one NumPy batch order (on when several backends are swept)",
        boolean=True,
    )

    def __post_init__(self):
        validate(self)
        if self.backend not in BACKENDS:
            raise ConfigError(
                f"unknown backend {self.backend!r}; expected one of: {', '.join(BACKENDS)}"
            )
        if self.jit_compile == "on" and self.deterministic and self.backend == "tensorflow":
            # Keras would quietly train without XLA, and the records would say it used XLA.
            raise ConfigError(
                "--jit-compile on needs --no-deterministic on TensorFlow: Keras turns XLA off "
                "while op determinism is on; received both"
            )

    @property
    def train_images_used(self) -> int:
        return self.train_images or MNIST_TRAIN_IMAGES

    @property
    def test_images_used(self) -> int:
        return self.test_images or MNIST_TEST_IMAGES

    def key(self) -> str:
        """A stable string that is equal exactly when two settings are."""
        fields = dataclasses.asdict(self)
        # Keys of sweeps from before the backend axis stay valid: those ran on TensorFlow (left
        # out of the key) with jit_compile a boolean, which "on" and "off" are written as.
        if fields["backend"] == DEFAULT_BACKEND:
            del fields["backend"]
        if not fields["shared_start"]:
            del fields["shared_start"]
        argument = jit_compile_argument(self.jit_compile)
        fields["jit_compile"] = self.jit_compile if argument == "auto" else argument
        return json.dumps(fields, sort_keys=True)


def settings_from_dict(raw: dict[str, Any]) -> TrainSettings:
    """`TrainSettings` from its dict (sweep.json's, or a job's); fields it does not know are
    left out."""
    names = {f.name for f in dataclasses.fields(TrainSettings)}
    return TrainSettings(**{k: v for k, v in raw.items() if k in names})
