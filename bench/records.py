"""One run's immutable record, and the files that hold records.

Format history (`SCHEMA_VERSION`):
  1: first version.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.config import RunSpec
from bench.data import write_atomic

SCHEMA_VERSION = 1
RUNS_FILE = "runs.jsonl"
SWEEP_FILE = "sweep.json"

STATUSES = ("ok", "diverged", "failed")


@dataclass(frozen=True)
class RunRecord:
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
    jit_compile: bool
    precision: str
    steps_per_execution: int
    status: str
    error: str | None = None
    params_total: int | None = None
    params_trainable: int | None = None
    test_loss: float | None = None
    test_accuracy: float | None = None
    build_seconds: float | None = None
    compile_seconds: float | None = None
    first_epoch_seconds: float | None = None  # includes tracing the train step
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
    achieved_gflops: float | None = None  # steady-state training FLOP rate
    peak_matmul_gflops: float | None = None  # the machine's, measured when the sweep started
    efficiency: float | None = None  # achieved_gflops / peak_matmul_gflops
    weights_sha256: str | None = None
    # Whether the trained weights equal those of the sequential style for the same seed and
    # settings. Known only once both have run: `resolve_identity` fills it in.
    identical_to_reference: bool | None = None
    started_at: str | None = None
    wall_seconds: float | None = None

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; expected one of: {STATUSES}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RunRecord:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})


def spec_fields(spec: RunSpec) -> dict[str, Any]:
    """The record fields that come from the run's spec, before anything is measured."""
    s = spec.settings
    return dict(
        run_key=spec.key(),
        arch=spec.arch,
        style=spec.style,
        seed=spec.seed,
        epochs=s.epochs,
        batch_size=s.batch_size,
        learning_rate=s.learning_rate,
        validation_split=s.validation_split,
        train_images=s.train_images or 60_000,
        test_images=s.test_images or 10_000,
        device=s.device,
        deterministic=s.deterministic,
        jit_compile=s.jit_compile,
        precision=s.precision,
        steps_per_execution=s.steps_per_execution,
        target_accuracy=s.target_accuracy,
    )


REFERENCE_STYLE = "sequential"


def resolve_identity(records: list[RunRecord]) -> list[RunRecord]:
    """Sets `identical_to_reference` on each record from the reference style's weights hash."""
    reference = {
        (r.arch, r.seed, RunSpec.settings_key(r.run_key)): r.weights_sha256
        for r in records
        if r.style == REFERENCE_STYLE and r.status == "ok"
    }
    resolved = []
    for r in records:
        ref = reference.get((r.arch, r.seed, RunSpec.settings_key(r.run_key)))
        same = None if ref is None or r.weights_sha256 is None else r.weights_sha256 == ref
        resolved.append(dataclasses.replace(r, identical_to_reference=same))
    return resolved


def latest_by_run(records: list[RunRecord]) -> list[RunRecord]:
    """The last record of each run key: a later line (a retried run) supersedes earlier ones."""
    return list({r.run_key: r for r in records}.values())


def append_record(out: Path, record: RunRecord) -> None:
    """Appends one record as one line of `runs.jsonl`, whole or not at all.

    The line is written with a single `write` on an O_APPEND descriptor and fsync'ed, so a kill
    leaves either the full line or nothing; `read_records` also skips a torn last line.
    """
    line = (json.dumps(record.to_dict(), sort_keys=True) + "\n").encode()
    fd = os.open(out / RUNS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_records(out: Path) -> list[RunRecord]:
    """Reads every complete record in `out/runs.jsonl`; a torn last line is ignored."""
    path = out / RUNS_FILE
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            records.append(RunRecord.from_dict(json.loads(line)))
    return records


def start_runs_file(out: Path) -> None:
    """Starts an empty `runs.jsonl`, replacing an older one in a single rename."""
    write_atomic(out / RUNS_FILE, b"")


def write_json(path: Path, payload: Any) -> None:
    """Writes JSON atomically (temp file, then rename)."""
    write_atomic(path, (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode())


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())
