"""A sweep: every run of a config, each in its own worker process, recorded as it finishes."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.config import BenchConfig, ConfigError, RunSpec
from bench.records import (
    SCHEMA_VERSION,
    SWEEP_FILE,
    RunRecord,
    append_record,
    latest_by_run,
    read_records,
    spec_fields,
    start_runs_file,
    write_json,
)
from mnist_models import STYLES

STDERR_TAIL = 2_000


def plan(config: BenchConfig) -> list[RunSpec]:
    """Orders the runs: seed by seed, and within each seed every (arch, style) in shuffled order.

    Interleaving styles within each seed, in an order drawn from `config.order_seed`, keeps slow
    drift on a shared machine from favouring any one style.
    """
    rng = random.Random(config.order_seed)
    ordered = []
    for seed in config.seeds:
        group = [spec for spec in config.runs() if spec.seed == seed]
        rng.shuffle(group)
        ordered += group
    return ordered


def check_writable(out: Path) -> None:
    """Fails early, before any training, when results could not be written to `out`.

    Raises:
        ConfigError: `out` cannot be created or written.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-check-"):
            pass
    except OSError as e:
        raise ConfigError(
            f"cannot write results to {out} ({e.strerror or e}); pass a writable --out DIR"
        ) from None


def pending_runs(config: BenchConfig, ordered: list[RunSpec]) -> list[RunSpec]:
    """Starts or continues `runs.jsonl`; returns the runs still to do.

    Without --resume the file starts empty. With it, runs already recorded as ok or diverged
    are skipped (a failed run is tried again), and a file holding runs under other settings is
    refused rather than mixed into one summary.
    """
    if not config.resume:
        start_runs_file(config.out)
        return ordered
    existing = read_records(config.out)
    settings_key = config.settings.key()
    foreign = {RunSpec.settings_key(r.run_key) for r in existing} - {settings_key}
    if foreign:
        raise ConfigError(
            f"{config.out}/runs.jsonl holds runs under other settings than these; "
            "use another --out, or the same options as before, or drop --resume to start over"
        )
    done = {r.run_key for r in latest_by_run(existing) if r.status != "failed"}
    return [spec for spec in ordered if spec.key() not in done]


def run_sweep(
    config: BenchConfig,
    environment: dict[str, Any],
    command: list[str],
    echo: Callable[[str], None] = print,
) -> list[RunRecord]:
    """Runs every pending run of `config` in a worker, appending each record as it finishes."""
    ordered = plan(config)
    todo = pending_runs(config, ordered)
    write_json(config.out / SWEEP_FILE, sweep_metadata(config, environment, command, {}))
    skipped = len(ordered) - len(todo)
    if skipped:
        echo(f"resuming: {skipped} of {len(ordered)} runs already recorded in {config.out}")
    records = []
    start = time.perf_counter()
    for i, spec in enumerate(todo, 1):
        echo(f"[{i + skipped}/{len(ordered)}] {spec.label} …")
        record = with_efficiency(run_in_worker(spec, config), environment)
        append_record(config.out, record)
        records.append(record)
        elapsed = time.perf_counter() - start
        eta = elapsed / i * (len(todo) - i)
        echo(f"    {_outcome(record)}  (elapsed {_duration(elapsed)}, ETA {_duration(eta)})")
    if config.capabilities:
        echo("checking capabilities (summary, config, save formats, export, clone) …")
        capabilities = {arch: run_capabilities(arch, config) for arch in config.archs}
        write_json(
            config.out / SWEEP_FILE, sweep_metadata(config, environment, command, capabilities)
        )
    return records


def with_efficiency(record: RunRecord, environment: dict[str, Any]) -> RunRecord:
    """Sets the run's share of the machine's matmul peak, measured when the sweep started."""
    peak = environment.get("peak_matmul_gflops")
    if not peak:
        return record
    efficiency = record.achieved_gflops / peak if record.achieved_gflops else None
    return dataclasses.replace(record, peak_matmul_gflops=peak, efficiency=efficiency)


def sweep_metadata(
    config: BenchConfig, environment: dict[str, Any], command: list[str], capabilities: dict
) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "config": config.to_dict(),
        "environment": environment,
        "capabilities": capabilities,
    }


def run_in_worker(spec: RunSpec, config: BenchConfig) -> RunRecord:
    """Runs one spec in a fresh Python process; a crash becomes a "failed" record."""
    result, error = _worker("run", spec.to_json(), config)
    if result is not None:
        return RunRecord.from_dict(result)
    return RunRecord(**spec_fields(spec), status="failed", error=error)


def run_capabilities(arch: str, config: BenchConfig) -> dict[str, Any]:
    """Checks what every style of `arch` can do, in one worker process."""
    job = json.dumps({"arch": arch, "styles": STYLES})
    result, error = _worker("capabilities", job, config)
    if result is None:
        return {style: {"worker": {"ok": False, "error": error}} for style in STYLES}
    return result


def _worker(kind: str, job: str, config: BenchConfig) -> tuple[Any, str | None]:
    env = dict(os.environ)
    if config.settings.device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = "-1"  # hides GPUs from TensorFlow before it starts
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp:
        result_path = Path(tmp) / "result.json"
        done = subprocess.run(
            [sys.executable, "-m", "bench.worker", kind, str(result_path)],
            input=job,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode == 0 and result_path.exists():
            return json.loads(result_path.read_text()), None
        tail = done.stderr[-STDERR_TAIL:].strip()
        return None, f"worker exited with code {done.returncode}: {tail}"


def _outcome(record: RunRecord) -> str:
    if record.status == "failed":
        first_line = (record.error or "").splitlines()[0] if record.error else ""
        return f"FAILED: {first_line}"
    if record.status == "diverged":
        return f"diverged after {len(record.epoch_seconds)} epoch(s)"
    steady = f", steady {record.steady_step_ms:.1f} ms/step" if record.steady_step_ms else ""
    return (
        f"ok: test acc {100 * record.test_accuracy:.2f} %, train {record.train_seconds:.1f} s"
        f"{steady}, run {record.wall_seconds:.1f} s"
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
