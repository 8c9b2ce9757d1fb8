"""What a benchmark sweep runs: profiles, the frozen config, and its validation."""

from __future__ import annotations

import dataclasses
import json
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.backends import BACKENDS, DEFAULT_BACKEND, install_hint, installed
from mnist_models import ARCHS, STYLES

DEVICES = ("auto", "cpu", "gpu")
# "auto" is each backend's own default: XLA on JAX, none on TensorFlow on a CPU or under op
# determinism, eager on PyTorch. What a run used is in its record (`jit_compile`).
JIT_COMPILE = ("auto", "on", "off")
INIT_DIR = "init"  # in a sweep's directory: the initial weights of a shared start
REFERENCE_STYLE = "sequential"
# The paired phase sizes each burst to about this long, from the reference style's warmed-up
# call time: long enough that timer and dispatch jitter average out (the MLP's 3 ms steps vary
# by 10-25 % one by one), short enough that the styles of a round see the same machine.
PAIRED_BURST_SECONDS = 0.05
DEFAULT_TIME_MARGIN = 3.0  # percent: the equivalence margin for every timing verdict
# The 95 % half-width (percent) a paired interval should reach; the report warns when it does
# not, since then the machine was too noisy for the rounds given.
PAIRED_PRECISION = {"train_step": 1.5, "predict": 1.5, "latency": 3.0}
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
PROFILES = ("smoke", "quick", "full")


class ConfigError(ValueError):
    """A configuration value is out of range; the message says what was received and allowed."""


@dataclass(frozen=True)
class TrainSettings:
    """Everything that changes what one run computes or measures, besides arch, style and seed.

    Runs are only comparable, and only resumable, under equal settings.
    """

    epochs: int
    batch_size: int
    learning_rate: float
    validation_split: float
    train_images: int | None  # None: all 60,000
    test_images: int | None  # None: all 10,000
    device: str = "auto"
    deterministic: bool = True
    jit_compile: str = "auto"
    target_accuracy: float | None = None
    precision: str = "float32"
    steps_per_execution: int = 1
    backend: str = DEFAULT_BACKEND
    # Every backend and style starts from the same initial weights (made by the Sequential
    # model on TensorFlow) and sees the batches in the same order (a NumPy permutation of the
    # seed), so that runs on different backends differ only in what the backends compute.
    shared_start: bool = False

    def __post_init__(self):
        _positive("epochs", self.epochs)
        _positive("batch size", self.batch_size)
        if not self.learning_rate > 0:
            raise ConfigError(f"learning rate must be > 0; received {self.learning_rate}")
        if not 0 < self.validation_split < 1:
            raise ConfigError(
                f"validation split must be between 0 and 1 (exclusive); "
                f"received {self.validation_split}"
            )
        for name, value, limit in (
            ("train images", self.train_images, 60_000),
            ("test images", self.test_images, 10_000),
        ):
            if value is not None and not 0 < value <= limit:
                raise ConfigError(f"{name} must be in 1..{limit}; received {value}")
        if self.device not in DEVICES:
            raise ConfigError(
                f"unknown device {self.device!r}; expected one of: {', '.join(DEVICES)}"
            )
        if self.precision not in PRECISIONS:
            raise ConfigError(
                f"unknown precision {self.precision!r}; expected one of: {', '.join(PRECISIONS)}"
            )
        _positive("steps per execution", self.steps_per_execution)
        if self.backend not in BACKENDS:
            raise ConfigError(
                f"unknown backend {self.backend!r}; expected one of: {', '.join(BACKENDS)}"
            )
        if self.jit_compile not in JIT_COMPILE:
            raise ConfigError(
                f"unknown jit compile {self.jit_compile!r}; expected one of: "
                f"{', '.join(JIT_COMPILE)}"
            )
        if self.jit_compile == "on" and self.deterministic and self.backend == "tensorflow":
            # Keras would quietly train without XLA, and the records would say it used XLA.
            raise ConfigError(
                "--jit-compile on needs --no-deterministic on TensorFlow: Keras turns XLA off "
                "while op determinism is on; received both"
            )
        if self.target_accuracy is not None and not 0 < self.target_accuracy <= 1:
            raise ConfigError(
                f"target accuracy must be a fraction in (0, 1], e.g. 0.99; "
                f"received {self.target_accuracy}"
            )

    def key(self) -> str:
        """A stable string that is equal exactly when two settings are."""
        fields = dataclasses.asdict(self)
        # Keys of sweeps from before the backend axis stay valid: those ran on TensorFlow (left
        # out of the key) with jit_compile a boolean, which "on" and "off" are written as.
        if fields["backend"] == DEFAULT_BACKEND:
            del fields["backend"]
        if not fields["shared_start"]:
            del fields["shared_start"]
        fields["jit_compile"] = {"on": True, "off": False}.get(self.jit_compile, self.jit_compile)
        return json.dumps(fields, sort_keys=True)


@dataclass(frozen=True)
class RunSpec:
    """One run of the sweep: an architecture in a style, from a seed, under settings."""

    arch: str
    style: str
    seed: int
    settings: TrainSettings
    data_dir: str | None = None
    init_weights: str | None = None  # the .npz of initial weights, with shared_start

    @property
    def label(self) -> str:
        backend = "" if self.settings.backend == DEFAULT_BACKEND else f"{self.settings.backend}/"
        return f"{backend}{self.arch}/{self.style} seed={self.seed}"

    def key(self) -> str:
        """Identifies the run for --resume: the same key means the same experiment."""
        return f"{self.arch}|{self.style}|{self.seed}|{self.settings.key()}"

    @staticmethod
    def settings_key(run_key: str) -> str:
        """The `TrainSettings.key()` part of a run key made by `key`."""
        return run_key.split("|", 3)[3]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        raw = json.loads(text)
        return cls(**{**raw, "settings": settings_from_dict(raw["settings"])})


def balanced_build_order(styles: Sequence[str], process: int, order_seed: int) -> tuple[str, ...]:
    """The order paired process number `process` builds, traces and warms up its styles in.

    The model traced and warmed up first runs a few per cent apart from the others for the life
    of the process (1-3 %, measured with two copies of one model), so the orders are balanced
    across processes rather than drawn: each run of len(styles) consecutive processes is a Latin
    square on a shuffled base order (every style once in every position), and the next run uses
    the reversed base, so that for three styles every 6 processes take each of the 6 orders once.
    The order effect then cancels in the estimate instead of only averaging out.
    """
    order = list(styles)
    random.Random(f"build-{order_seed}").shuffle(order)
    square, shift = divmod(process, len(order))
    if square % 2:
        order.reverse()
    return tuple(order[shift:] + order[:shift])


@dataclass(frozen=True)
class PairedSpec:
    """The paired timing phase of one architecture: every style in one process, interleaved."""

    arch: str
    styles: tuple[str, ...]
    seed: int
    settings: TrainSettings
    rounds: int
    order_seed: int = 0
    process: int = 0  # which of the phase's independent processes this is
    burst_seconds: float = PAIRED_BURST_SECONDS
    reference: str = REFERENCE_STYLE
    data_dir: str | None = None
    build_order: tuple[str, ...] = ()  # the order the styles are built and traced in; () = styles

    @property
    def styles_in_build_order(self) -> tuple[str, ...]:
        """The styles in the order this process builds, traces and warms them up."""
        return self.build_order or self.styles

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> PairedSpec:
        raw = json.loads(text)
        return cls(
            **{
                **raw,
                "styles": tuple(raw["styles"]),
                "build_order": tuple(raw.get("build_order", ())),
                "settings": settings_from_dict(raw["settings"]),
            }
        )


@dataclass(frozen=True)
class BenchConfig:
    """A whole sweep: which models, which seeds, under which settings, written where."""

    profile: str
    archs: tuple[str, ...]
    styles: tuple[str, ...]
    seeds: tuple[int, ...]
    settings: TrainSettings  # with the first backend; each backend's runs get their own
    out: Path
    backends: tuple[str, ...] = (DEFAULT_BACKEND,)
    data_dir: str | None = None
    resume: bool = False
    order_seed: int = 0
    capabilities: bool = True
    paired_rounds: int = 0  # rounds in each paired process; 0: no paired timing phase
    paired_processes: int = 1  # independent processes per architecture
    time_margin: float = DEFAULT_TIME_MARGIN

    def __post_init__(self):
        _known("arch", self.archs, ARCHS)
        _known("style", self.styles, STYLES)
        _known("backend", self.backends, BACKENDS)
        for backend in self.backends:
            if not installed(backend):
                raise ConfigError(
                    f"backend {backend!r} is not installed; install it with "
                    f"{install_hint(backend)}, or leave it out of --backend"
                )
        if not isinstance(self.paired_rounds, int) or self.paired_rounds < 0:
            raise ConfigError(
                f"paired rounds must be a whole number >= 0 (0 turns the phase off); "
                f"received {self.paired_rounds}"
            )
        if self.paired_rounds == 1:
            raise ConfigError(
                "paired rounds must be 0 (off) or at least 2, so that an interval can be "
                "computed; received 1"
            )
        if not isinstance(self.paired_processes, int) or self.paired_processes < 1:
            raise ConfigError(
                f"paired processes must be a whole number >= 1; received {self.paired_processes}"
            )
        if not 0 < self.time_margin < 100:
            raise ConfigError(
                f"time margin must be a percentage in (0, 100), e.g. 3; received {self.time_margin}"
            )
        if not self.seeds:
            raise ConfigError("no seeds given; expected at least one seed >= 1")
        for seed in self.seeds:
            if seed < 1:
                raise ConfigError(f"seeds must be >= 1; received {seed}")
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"seeds must not repeat; received {list(self.seeds)}")
        if self.data_dir is not None:
            path = Path(self.data_dir)
            if not path.is_dir() or not os.access(path, os.R_OK | os.X_OK):
                raise ConfigError(
                    f"data dir {self.data_dir} is not a readable directory; pass a directory "
                    "holding the MNIST IDX files or mnist.npz, or leave --data-dir out"
                )

    def runs(self) -> list[RunSpec]:
        """Every run of the sweep, seed-major, in no particular style order."""
        return [
            RunSpec(arch, style, seed, self.backend_settings(backend), self.data_dir,
                    str(self.init_weights_path(arch, seed)) if self.settings.shared_start else None)
            for backend in self.backends
            for seed in self.seeds
            for arch in self.archs
            for style in self.styles
        ]  # fmt: skip

    def init_weights_path(self, arch: str, seed: int) -> Path:
        """Where a shared start's initial weights for (arch, seed) are kept."""
        return self.out / INIT_DIR / f"{arch}-seed{seed}.npz"

    def backend_settings(self, backend: str) -> TrainSettings:
        """The sweep's settings for the runs on `backend`.

        Keras' PyTorch trainer takes one step per call and refuses any other
        steps_per_execution; the setting changes dispatch, not the arithmetic, so the runs on
        every backend still train alike.
        """
        steps = 1 if backend == "torch" else self.settings.steps_per_execution
        return dataclasses.replace(self.settings, backend=backend, steps_per_execution=steps)

    def paired_specs(self) -> list[PairedSpec]:
        """Every process of the paired phase, per backend process by process, each covering
        every arch; none when the phase is off or there is no reference style to compare with."""
        if not self.paired_rounds or REFERENCE_STYLE not in self.styles or len(self.styles) < 2:
            return []
        return [
            PairedSpec(arch, self.styles, self.seeds[0], self.backend_settings(backend),
                       self.paired_rounds, self.order_seed + process, process,
                       data_dir=self.data_dir,
                       build_order=balanced_build_order(self.styles, process, self.order_seed))
            for backend in self.backends
            for process in range(self.paired_processes)
            for arch in self.archs
        ]  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "out": str(self.out)}


# Each profile is a complete set of defaults; options given on the command line override them.
PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    # CI's end-to-end check: a slice of the data, one epoch, one seed.
    # No paired phase and no capability checks: each is one more framework start-up, and the
    # profile must stay under a minute on the slowest 2-core machine.
    "smoke": dict(
        archs=("cnn",),
        seeds=(1,),
        epochs=1,
        train_images=2_048,
        test_images=1_024,
        paired_rounds=0,
        capabilities=False,
    ),
    # A first answer within 5 minutes on the slowest 2-core CPU (149 s with 3 seeds and one
    # paired process on a Zen 3, about 330 s projected on the slowest): the paired speed
    # verdicts from three short processes, and two seeds on a tenth of the data for accuracy
    # and the end-to-end timings; no capability checks (one more framework start-up).
    "quick": dict(
        archs=("cnn",),
        seeds=(1, 2),
        epochs=2,
        train_images=6_000,
        test_images=5_000,
        paired_rounds=12,
        paired_processes=3,
        capabilities=False,
    ),
    # The reference run behind results/: both archs, five seeds, the whole data set.
    "full": dict(
        archs=("cnn", "mlp"),
        seeds=(1, 2, 3, 4, 5),
        epochs=6,
        train_images=None,
        test_images=None,
        target_accuracy=0.99,
        # The process is the unit of replication: a style's single-image latency differed from
        # Sequential's by +4.7 % in one process and -4.0 % in the next, each with a tight
        # interval (README "Paired timing"). The MLP's 1,024-image predictions vary most
        # between processes: over 18 processes x 100 rounds on a Zen 4 their mean log ratios
        # had a standard deviation of 3.1-3.5 % (every other measure 0.7-1.5 %, latency 4 %
        # against a ±3 % aim), giving ±1.5 and ±1.8 % where ±1.5 % is the aim. 30 processes
        # (five times the 6 build orders of three styles) bring that to about ±1.3 %; more
        # rounds would not, since the part that varies within a process is already ~1.6 %.
        paired_rounds=100,
        paired_processes=30,
    ),
}
COMMON_DEFAULTS: dict[str, Any] = dict(
    styles=STYLES,
    batch_size=128,
    learning_rate=4e-3,
    validation_split=0.1,
    device="auto",
    deterministic=True,
    jit_compile="auto",
    backends=(DEFAULT_BACKEND,),
    target_accuracy=None,
    precision="float32",
    # Leaves the weights bitwise unchanged; 1.47x [1.18, 1.76] faster for the MLP, whose steps
    # are mostly dispatch, and no clear difference for the CNN (results/perf.md).
    steps_per_execution=50,
    capabilities=True,
    time_margin=DEFAULT_TIME_MARGIN,
)


def make_config(
    profile: str = "quick", out: Path | str = "results", **overrides: Any
) -> BenchConfig:
    """Builds a config from a profile's defaults and explicit overrides (None means unset).

    Raises:
        ConfigError: unknown profile or an out-of-range value.
    """
    if profile not in PROFILE_DEFAULTS:
        raise ConfigError(f"unknown profile {profile!r}; expected one of: {', '.join(PROFILES)}")
    values = {**COMMON_DEFAULTS, **PROFILE_DEFAULTS[profile]}
    if profile == "full":  # the reference run covers every backend this machine has
        values["backends"] = tuple(b for b in BACKENDS if installed(b))
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["backend"] = values["backends"][0] if values["backends"] else DEFAULT_BACKEND
    if values.get("shared_start") is None:  # by default, wherever backends are compared
        values["shared_start"] = len(values["backends"]) > 1
    setting_names = {f.name for f in dataclasses.fields(TrainSettings)}
    settings = TrainSettings(**{k: v for k, v in values.items() if k in setting_names})
    rest = {k: v for k, v in values.items() if k not in setting_names}
    return BenchConfig(profile=profile, settings=settings, out=Path(out), **rest)


def settings_from_dict(raw: dict[str, Any]) -> TrainSettings:
    """`TrainSettings` from its dict, including one written before the backend axis (schema 2),
    whose `jit_compile` was a boolean."""
    raw = dict(raw)
    if isinstance(raw.get("jit_compile"), bool):
        raw["jit_compile"] = "on" if raw["jit_compile"] else "off"
    names = {f.name for f in dataclasses.fields(TrainSettings)}
    return TrainSettings(**{k: v for k, v in raw.items() if k in names})


def _positive(name: str, value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a whole number >= 1; received {value}")


def _known(kind: str, received: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    if not received:
        raise ConfigError(f"no {kind} given; expected some of: {', '.join(allowed)}")
    for name in received:
        if name not in allowed:
            raise ConfigError(f"unknown {kind} {name!r}; expected one of: {', '.join(allowed)}")
    if len(set(received)) != len(received):
        raise ConfigError(f"{kind}s must not repeat; received {', '.join(received)}")
