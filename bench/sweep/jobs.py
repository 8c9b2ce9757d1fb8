"""The sweep's side of a worker job: its JSON out, its result back; a crash is a failed record."""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.plan.backends import model_name
from bench.plan.settings import TrainSettings
from bench.plan.specs import OneTimeSpec, RunSpec, SteadySpec
from bench.store.capabilities import CHECK_NAMES, CROSS_BACKEND, NO, entry
from bench.store.records import (
    OneTimeRecord,
    RunRecord,
    SteadyRecord,
    first_line,
    paired_spec_fields,
    spec_fields,
)
from bench.sweep.executors import Executor, Outcome


def make_initial_weights(jobs: list[dict[str, Any]], executor: Executor) -> None:
    """Makes the initial weights of `jobs` in one TensorFlow worker; RuntimeError if it fails."""
    result, error, _ = executor.call("init", json.dumps(jobs))
    if result is None:
        raise RuntimeError(f"shared start: the initial weights could not be made: {error}")


def check_architectures(
    archs: tuple[str, ...],
    styles: tuple[str, ...],
    backend: str,
    executor: Executor,
    settings: TrainSettings | None = None,
    adopt: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What each architecture is (styles, reference, parameters, whether they start alike, and
    with `settings` its `programs`), users' models adopted first; a crash is a RuntimeError."""
    wanted = {"archs": list(archs), "styles": list(styles), "backend": backend}
    wanted |= {"settings": asdict(settings)} if settings else {}
    job = json.dumps(wanted | ({"adopt": adopt} if adopt else {}))
    result, error, _ = executor.call("architectures", job)
    if result is None:
        raise RuntimeError(f"the architectures' pre-check failed: {error}")
    return result


def adoption(config, directory: Path) -> dict[str, Any]:
    """How the pre-check's worker loads and writes each user's model into `directory`."""
    arguments = {}
    for source in config.archs:
        arguments[source] = dict(config.model_args)
        if source.startswith("keras.applications") and "input_shape" not in arguments[source]:
            arguments[source]["input_shape"] = (config.input_size, config.input_size, 3)
    return {
        "directory": str(directory),
        "trust": config.trust_model,
        "imports": list(config.imports),
        "arguments": arguments,
    }


def compare_programs(
    archs: tuple[str, ...], styles: tuple[str, ...], settings: TrainSettings, executor: Executor
) -> dict[str, Any]:
    """Whether each architecture's styles compile to one program on `settings.backend`, found
    in one worker (`bench.worker.program`); a worker that fails gives each arch its error."""
    wanted = {"archs": list(archs), "styles": list(styles), "settings": asdict(settings)}
    result, error, _ = executor.call("programs", json.dumps(wanted))
    if result is None:
        return {arch: {"error": first_line(error)} for arch in archs}
    return result


def stream_runs(todo: list[RunSpec], executor: Executor) -> Iterator[RunRecord]:
    """Runs every spec in a fresh worker process, yielding each record as its run finishes
    (in `todo`'s order on the local executor); a crash becomes a "failed" record."""
    jobs = [spec.to_json() for spec in todo]
    for index, outcome in executor.stream("run", jobs, [spec.key() for spec in todo]):
        yield run_record(todo[index], outcome)


def run_record(spec: RunSpec, outcome: Outcome) -> RunRecord:
    """The record of one run from its worker's outcome, naming the node and attempt."""
    result, error, node = outcome
    where = {
        "node": {k: v for k, v in node.items() if k != "attempt"} or None,
        "attempt": node.get("attempt"),
    }
    if result is not None:
        return RunRecord.from_dict({**result, **where})
    return RunRecord(**spec_fields(spec), status="failed", error=error, **where)


def run_steady_in_worker(spec: SteadySpec, executor: Executor) -> SteadyRecord:
    """Runs one architecture's paired phase in a fresh process; a crash becomes "failed"."""
    result, error, _ = executor.call("steady", spec.to_json())
    if result is not None:
        return SteadyRecord.from_dict(result)
    return SteadyRecord(
        **paired_spec_fields(spec),
        steps_per_burst={},
        seconds={},
        predict_batch=0,
        status="failed",
        error=error,
    )


def run_one_time_in_worker(spec: OneTimeSpec, executor: Executor) -> OneTimeRecord:
    """Runs one process of the one-time phase in a fresh process; a crash becomes "failed"."""
    result, error, _ = executor.call("one_time", spec.to_json())
    return (
        OneTimeRecord.from_dict(result) if result is not None else OneTimeRecord.failed(spec, error)
    )


def check_capabilities(
    archs: tuple[str, ...],
    styles_of: dict[str, tuple[str, ...]],
    backends: tuple[str, ...],
    executor: Executor,
    data_dir: str | None = None,
    files: str | None = None,
    previous: str | None = None,
    checks: tuple[str, ...] = CHECK_NAMES,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What every style can do on every backend: one worker per (backend, arch) checks and
    writes the files, then a new one loads them. Returns (capabilities, seconds per model)."""
    capabilities: dict[str, Any] = {}
    seconds: dict[str, dict[str, float]] = {}

    def call(kind: str, step: str, backend: str, arch: str, **job: Any) -> dict[str, Any]:
        """One (backend, arch)'s job of `kind`, timed as its `step`; {style: {check: entry}}."""
        job = {"arch": arch, "styles": list(styles_of[arch]), "backend": backend, **job}
        job["checks"] = list(checks)
        start = time.perf_counter()
        result, error, _ = executor.call(kind, json.dumps(job))
        spent = seconds.setdefault(model_name(backend, arch), {})
        spent[step] = round(time.perf_counter() - start, 2)
        return {
            style: (result or {}).get(style) or {"worker": _failed(error)}
            for style in styles_of[arch]
        }

    # the capabilities workers create `files`: the directory is theirs to write
    kept = (
        contextlib.nullcontext(files)
        if files
        else tempfile.TemporaryDirectory(prefix="bench-capabilities-")
    )
    with kept as tmp:
        for backend in backends:
            for arch in archs:
                capabilities[model_name(backend, arch)] = call(
                    "capabilities", "checks", backend, arch, directory=tmp, data_dir=data_dir
                )
        for backend in backends:
            others = [b for b in backends if b != backend]
            for arch in archs:
                loaded = call(
                    "crossload",
                    "loads",
                    backend,
                    arch,
                    saved_on=others,
                    directory=tmp,
                    previous=previous,
                )
                for style, checks in loaded.items():
                    for check, found in checks.items():
                        source, _, other = check.partition("from:")
                        if other:  # a file another backend saved, loaded on this one
                            into = capabilities[model_name(other, arch)].setdefault(style, {})
                            into[f"{CROSS_BACKEND}{backend}"] = found
                        else:
                            into = capabilities[model_name(backend, arch)].setdefault(style, {})
                            into.setdefault(source, found)
    return capabilities, seconds


def _failed(error: str | None) -> dict[str, Any]:
    return entry(NO, first_line(error) or "the worker failed")
