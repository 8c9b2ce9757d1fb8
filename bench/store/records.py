"""One run's immutable record, one paired process's, and the files that hold them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from bench.plan.specs import STEADY_MEASURES, OneTimeSpec, RunSpec, SteadySpec
from bench.store.files import append_line, read_lines, write_atomic
from bench.store.schema import ONE_TIME_FILE, RUNS_FILE, STEADY_FILE
from mnist_models import reference_of

STATUSES = ("ok", "diverged", "failed")


class JsonRecord:
    """A frozen record's round trip through JSON: to a dict, and back from one written by any
    version (fields this version does not know are left out)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]):
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})


def first_line(error: str | None) -> str:
    """The first line of an error text: what a console line or a warning shows of it."""
    return error.splitlines()[0] if error else ""


@dataclass(frozen=True)
class RunRecord(JsonRecord):
    """What one run measured. Times are seconds unless the name says ms; sizes are bytes."""

    run_key: str
    arch: str
    style: str
    seed: int
    epochs: int
    batch_size: int
    learning_rate: float
    validation_split: float
    train_images: int
    test_images: int
    device: str
    deterministic: bool
    jit_compile: bool | None  # what Keras used, known once compiled
    precision: str
    steps_per_execution: int
    status: str
    error: str | None = None
    settings_key: str = ""  # `TrainSettings.key()`: runs under equal settings share it
    backend: str = "tensorflow"
    jit_compile_setting: str | None = None  # what was asked: auto, on or off
    params_total: int | None = None
    params_trainable: int | None = None
    test_loss: float | None = None
    test_accuracy: float | None = None
    build_seconds: float | None = None
    compile_seconds: float | None = None
    first_epoch_seconds: float | None = None  # includes tracing the train step
    # The first call into the train function: the trace and its first steps_per_execution steps
    first_execution_seconds: float | None = None
    steady_epoch_seconds: float | None = None  # median of epochs 2..N; None with one epoch
    steady_step_ms: float | None = None
    epoch_seconds: list[float] = field(default_factory=list)
    train_seconds: float | None = None
    eval_seconds: float | None = None
    predict_images_per_second: float | None = None
    predict_latency_ms: float | None = None
    saved_model_bytes: int | None = None
    peak_rss_bytes: int | None = None
    history: dict[str, list[float]] = field(default_factory=dict)
    target_accuracy: float | None = None
    time_to_target_seconds: float | None = None
    train_flops_per_image: int | None = None
    achieved_gflops: float | None = None  # training FLOP rate of the median steady epoch
    achieved_gflops_best: float | None = None  # ... of the fastest steady epoch
    weights_sha256: str | None = None
    initial_weights_sha256: str | None = None  # before training: equal means started alike
    # Whether the trained weights equal those of the sequential style for the same seed and
    # settings. Known only once both have run: `resolve_identity` fills it in.
    identical_to_reference: bool | None = None
    started_at: str | None = None
    wall_seconds: float | None = None
    # Where it ran (id, host, address, cpu_model, cpu_cores) and which try it was: Ray retries
    # a run whose node died.
    node: dict[str, Any] | None = None
    attempt: int | None = None

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; expected one of: {STATUSES}")


def spec_fields(spec: RunSpec) -> dict[str, Any]:
    """The record fields that come from the run's spec, before anything is measured."""
    s = spec.settings
    return dict(
        run_key=spec.key(),
        settings_key=spec.settings.key(),
        arch=spec.arch,
        style=spec.style,
        seed=spec.seed,
        epochs=s.epochs,
        batch_size=s.batch_size,
        learning_rate=s.learning_rate,
        validation_split=s.validation_split,
        train_images=s.train_images_used,
        test_images=s.test_images_used,
        device=s.device,
        deterministic=s.deterministic,
        jit_compile=None,
        jit_compile_setting=s.jit_compile,
        backend=s.backend,
        precision=s.precision,
        steps_per_execution=s.steps_per_execution,
        target_accuracy=s.target_accuracy,
    )


def references(records: list[RunRecord]) -> dict[tuple[str, str], str]:
    """Each (backend, arch)'s reference style among `records`: Sequential, or where the
    architecture has none, the first style of `STYLES` order it has."""
    styles: dict[tuple[str, str], set[str]] = {}
    for r in records:
        styles.setdefault((r.backend, r.arch), set()).add(r.style)
    return {key: reference_of(found) for key, found in styles.items()}


def resolve_identity(records: list[RunRecord]) -> list[RunRecord]:
    """Sets `identical_to_reference` on each record from the reference style's weights hash."""
    reference_of = references(records)
    reference = {
        (r.arch, r.seed, r.settings_key): r.weights_sha256
        for r in records
        if r.style == reference_of[(r.backend, r.arch)] and r.status == "ok"
    }
    resolved = []
    for r in records:
        ref = reference.get((r.arch, r.seed, r.settings_key))
        same = None if ref is None or r.weights_sha256 is None else r.weights_sha256 == ref
        resolved.append(dataclasses.replace(r, identical_to_reference=same))
    return resolved


def latest_by_run(records: list[RunRecord]) -> list[RunRecord]:
    """The last record of each run key: a later line (a retried run) supersedes earlier ones."""
    return list({r.run_key: r for r in records}.values())


def append_record(out: Path, record: RunRecord) -> None:
    """Appends one record as one line of `runs.jsonl`, whole or not at all."""
    append_line(out / RUNS_FILE, record.to_dict())


def read_records(out: Path) -> list[RunRecord]:
    """Reads every record in `out/runs.jsonl` (see `read_lines` for what a bad line does)."""
    return [RunRecord.from_dict(row) for row in read_lines(out / RUNS_FILE)]


def start_runs_file(out: Path) -> None:
    """Starts empty records files, replacing older ones, each in one rename."""
    for name in (RUNS_FILE, STEADY_FILE, ONE_TIME_FILE):
        write_atomic(out / name, b"")


def process_fields(spec: SteadySpec | OneTimeSpec) -> dict[str, Any]:
    """The fields a paired or one-time process's record takes from its spec."""
    return dict(
        arch=spec.arch,
        styles=list(spec.styles),
        reference=spec.reference,
        seed=spec.seed,
        settings_key=spec.settings.key(),
        order_seed=spec.order_seed,
        process=spec.process,
        backend=spec.settings.backend,
    )


def paired_spec_fields(spec: SteadySpec) -> dict[str, Any]:
    """The paired record's fields that come from its spec, before anything is timed."""
    return dict(
        process_fields(spec),
        rounds=spec.rounds,
        batch_size=spec.settings.batch_size,
        instances=spec.instances,
    )


@dataclass(frozen=True)
class SteadyRecord(JsonRecord):
    """The steady phase of one architecture in one process: `seconds[measure][style]`, one time
    per round, each the sum of a burst of `steps_per_burst[measure]` calls on every instance."""

    # How the phase ran, the same for each of its processes: records that differ in one do
    # not belong to one sweep (`bench.sweep.resume`) and are not pooled without a warning
    OPTIONS: ClassVar[tuple[str, ...]] = ("settings_key", "styles", "rounds", "instances")

    arch: str
    styles: list[str]
    reference: str
    seed: int
    settings_key: str
    rounds: int
    steps_per_burst: dict[str, int]
    order_seed: int
    seconds: dict[str, dict[str, list[float]]]
    batch_size: int
    predict_batch: int
    process: int = 0  # which of the phase's independent processes
    backend: str = "tensorflow"
    jit_compile: bool | None = None  # what Keras used for every style of the process
    build_order: list[str] | None = None  # the order the styles were built and traced in
    instances: int = 1  # models of each style in the process (schema < 6: always one)
    device: str | None = None
    started_at: str | None = None
    wall_seconds: float | None = None
    startup_seconds: float | None = None  # the process's start before the job (imports)
    status: str = "ok"
    error: str | None = None

    def ordered_seconds(self) -> dict[str, dict[str, list[float]]]:
        """`seconds` in the steady measures' order and the styles' order (JSON sorts its keys)."""
        return {
            m: {style: self.seconds[m][style] for style in self.styles}
            for m in STEADY_MEASURES
            if m in self.seconds
        }


def append_steady(out: Path, record: SteadyRecord) -> None:
    """Appends one architecture's paired phase to `steady.jsonl`."""
    append_line(out / STEADY_FILE, record.to_dict())


def read_steady(out: Path) -> list[SteadyRecord]:
    """The latest record of each (backend, architecture, process) in `out/steady.jsonl`."""
    return _latest_per_process(out / STEADY_FILE, SteadyRecord)


def _latest_per_process(path: Path, cls):
    latest = {}
    for row in read_lines(path):
        record = cls.from_dict(row)
        latest[(record.backend, record.arch, record.process)] = record
    return list(latest.values())


@dataclass(frozen=True)
class OneTimeRecord(JsonRecord):
    """The one-time phase of one architecture in one process: `seconds[measure][style]`, one per
    recorded cycle; a measure that failed in any cycle has none, and `failures` says why."""

    OPTIONS: ClassVar[tuple[str, ...]] = ("settings_key", "styles", "cycles")  # as SteadyRecord's

    arch: str
    styles: list[str]
    reference: str
    seed: int
    settings_key: str
    cycles: int
    order_seed: int
    process: int
    backend: str
    seconds: dict[str, dict[str, list[float]]]
    build_orders: list[list[str]]
    failures: dict[str, dict[str, str]] = field(default_factory=dict)
    # [quantity][style], one value per recorded cycle: "peak_rss_growth_bytes" (how far the
    # process's peak resident size rose during the style's steps, Linux only) and
    # "keras_bytes" (the size of its saved file)
    footprint: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    warmup_arch: str | None = None  # what the warm-up cycle built, where not `arch`
    # steady rounds on the last cycle's models: seconds[measure][style], one burst per round,
    # of steady_calls[measure] calls
    steady: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    steady_calls: dict[str, int] = field(default_factory=dict)
    # Python function calls (cProfile) of each one-time step and of one call of each steady path,
    # in a counting cycle after the timed ones: python_calls[measure][style], one per cycle; and
    # where a style's differ from the reference's, the functions that differ most, each as
    # [function, its calls, the reference's]
    python_calls: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    python_call_differences: dict[str, dict[str, list[list]]] = field(default_factory=dict)
    # [measure][style]: the most the calls that differ from the reference's can cost, seconds
    python_call_bound_seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    predict_batch: int = 0
    device: str | None = None
    started_at: str | None = None
    wall_seconds: float | None = None
    startup_seconds: float | None = None  # the process's start before the job (imports)
    status: str = "ok"
    error: str | None = None

    @classmethod
    def failed(cls, spec: OneTimeSpec, error: str | None) -> OneTimeRecord:
        """The record of a process that never reported: its spec and the error."""
        return cls(
            **one_time_spec_fields(spec), seconds={}, build_orders=[], status="failed", error=error
        )


def one_time_spec_fields(spec: OneTimeSpec) -> dict[str, Any]:
    """The one-time record's fields that come from its spec, before anything is timed."""
    return dict(process_fields(spec), cycles=spec.cycles, warmup_arch=spec.warmup_arch)


def append_one_time(out: Path, record: OneTimeRecord) -> None:
    """Appends one process's one-time phase to `one_time.jsonl`."""
    append_line(out / ONE_TIME_FILE, record.to_dict())


def read_one_time(out: Path) -> list[OneTimeRecord]:
    """The latest record of each (backend, architecture, process) in `out/one_time.jsonl`."""
    return _latest_per_process(out / ONE_TIME_FILE, OneTimeRecord)
