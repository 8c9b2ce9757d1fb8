"""The sweep's side of each worker job: the job's JSON out, its result back as a record.

Every job runs through an `Executor` in a fresh `python -m bench.worker` process; a job that
crashes becomes a "failed" record, so that the sweep and the report go on.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Iterator
from typing import Any

from bench.plan.backends import model_name
from bench.plan.specs import OneTimeSpec, PairedSpec, RunSpec
from bench.store.records import (
    OneTimeRecord,
    PairedRecord,
    RunRecord,
    paired_spec_fields,
    spec_fields,
)
from bench.sweep.executors import Executor, Outcome


def make_initial_weights(jobs: list[dict[str, Any]], executor: Executor) -> None:
    """Makes the initial weights of `jobs` in one TensorFlow worker.

    Raises:
        RuntimeError: the worker failed; no run could start alike without them.
    """
    result, error, _ = executor.call("init", json.dumps(jobs))
    if result is None:
        raise RuntimeError(f"shared start: the initial weights could not be made: {error}")


def check_architectures(archs: tuple[str, ...], styles: tuple[str, ...], backend: str,
                        executor: Executor) -> dict[str, Any]:  # fmt: skip
    """What each architecture is (its styles, reference, parameter counts, whether its styles
    start alike), found in one worker; a worker that crashes is a RuntimeError."""
    job = json.dumps({"archs": list(archs), "styles": list(styles), "backend": backend})
    result, error, _ = executor.call("architectures", job)
    if result is None:
        raise RuntimeError(f"the architectures' pre-check failed: {error}")
    return result


def probe_peak(executor: Executor, backend: str) -> dict[str, Any]:
    """The matmul peak of every node, probed in a worker on each through `backend`: median and
    best, and every probe's time, under `nodes`; the first node's also at the top, as for a
    single machine.

    Raises:
        RuntimeError: a node's probe failed; its runs would have no peak to set against.
    """
    nodes = {}
    job = json.dumps({"backend": backend})
    for result, error, node in executor.call_on_each_node("probe", job):
        if result is None:
            raise RuntimeError(f"the matmul probe failed on {node.get('host', '?')}: {error}")
        nodes[node["id"]] = {
            **{k: v for k, v in node.items() if k != "attempt"},
            "peak_matmul_gflops": result["peak_matmul_gflops"],
            "peak_matmul_gflops_best": result["peak_matmul_gflops_best"],
            "peak_probe_seconds": result["probe_seconds"],
            "device": result["device"],
        }
    first = next(iter(nodes.values()))
    return {
        **{k: first[k] for k in ("peak_matmul_gflops", "peak_matmul_gflops_best",
                                 "peak_probe_seconds", "device")},
        "peak_probe_backend": backend,
        "nodes": nodes,
    }  # fmt: skip


def with_efficiency(record: RunRecord, environment: dict[str, Any]) -> RunRecord:
    """Sets the run's share of its node's matmul peak: median epoch against median probe, and
    best epoch against best probe (like against like)."""
    probed = environment.get("nodes", {}).get((record.node or {}).get("id"), environment)
    median, best = probed.get("peak_matmul_gflops"), probed.get("peak_matmul_gflops_best")
    if not median or not best:
        return record
    return dataclasses.replace(
        record,
        peak_matmul_gflops=median,
        peak_matmul_gflops_best=best,
        efficiency=record.achieved_gflops / median if record.achieved_gflops else None,
        efficiency_best=(
            record.achieved_gflops_best / best if record.achieved_gflops_best else None
        ),
    )


def stream_runs(todo: list[RunSpec], executor: Executor) -> Iterator[RunRecord]:
    """Runs every spec in a fresh worker process, yielding each record as its run finishes
    (in `todo`'s order on the local executor); a crash becomes a "failed" record."""
    jobs = [spec.to_json() for spec in todo]
    for index, outcome in executor.stream("run", jobs, [spec.key() for spec in todo]):
        yield run_record(todo[index], outcome)


def run_record(spec: RunSpec, outcome: Outcome) -> RunRecord:
    """The record of one run from its worker's outcome, naming the node and attempt."""
    result, error, node = outcome
    where = {"node": {k: v for k, v in node.items() if k != "attempt"} or None,
             "attempt": node.get("attempt")}  # fmt: skip
    if result is not None:
        return RunRecord.from_dict({**result, **where})
    return RunRecord(**spec_fields(spec), status="failed", error=error, **where)


def run_paired_in_worker(spec: PairedSpec, executor: Executor) -> PairedRecord:
    """Runs one architecture's paired phase in a fresh process; a crash becomes "failed"."""
    result, error, _ = executor.call("paired", spec.to_json())
    if result is not None:
        return PairedRecord.from_dict(result)
    return PairedRecord(**paired_spec_fields(spec), steps_per_burst={}, seconds={},
                        predict_batch=0, status="failed", error=error)  # fmt: skip


def run_one_time_in_worker(spec: OneTimeSpec, executor: Executor) -> OneTimeRecord:
    """Runs one process of the one-time phase in a fresh process; a crash becomes "failed"."""
    result, error, _ = executor.call("one_time", spec.to_json())
    return (
        OneTimeRecord.from_dict(result) if result is not None else OneTimeRecord.failed(spec, error)
    )


def run_capabilities(arch: str, styles: tuple[str, ...], backend: str, executor: Executor
                     ) -> dict[str, Any]:  # fmt: skip
    """Checks what every style of `arch` can do on `backend`, in one worker process."""
    job = json.dumps({"arch": arch, "styles": list(styles), "backend": backend})
    result, error, _ = executor.call("capabilities", job)
    if result is None:
        return {style: {"worker": {"ok": False, "error": error}} for style in styles}
    return result


def add_crossload(capabilities: dict[str, Any], backends: tuple[str, ...],
                  styles_of: dict[str, tuple[str, ...]], executor: Executor) -> None:  # fmt: skip
    """Adds `keras_loads_on_<backend>` to each (backend, arch, style) of `capabilities`: whether
    the `.keras` file saved there loads under that other backend and predicts the same.
    `styles_of` gives each architecture's styles."""
    with tempfile.TemporaryDirectory(prefix="bench-crossload-") as tmp:
        saved = {}
        for backend in backends:
            for arch, styles in styles_of.items():
                job = {"step": "save", "backend": backend, "arch": arch, "styles": list(styles),
                       "directory": tmp}  # fmt: skip
                saved[(backend, arch)] = executor.call("crossload", json.dumps(job))[1]
        for target in backends:
            sources = [b for b in backends if b != target]
            for arch, styles in styles_of.items():
                job = {"step": "load", "backend": target, "arch": arch, "styles": list(styles),
                       "saved_on": sources, "directory": tmp}  # fmt: skip
                result, error, _ = executor.call("crossload", json.dumps(job))
                for style in styles:
                    for source in sources:
                        found = (result or {}).get(style, {}).get(source) or {
                            "ok": False,
                            "max_abs_diff": None,
                            "error": saved[(source, arch)] or error,
                        }
                        checks = capabilities.setdefault(model_name(source, arch), {})
                        checks.setdefault(style, {})[f"keras_loads_on_{target}"] = found
