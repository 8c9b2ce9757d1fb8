"""A sweep's results from its raw records alone: what the report renders, `compare` reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.analysis.counts import count_entries
from bench.analysis.one_time import one_time_drift, one_time_entries, one_time_failures
from bench.analysis.programs import proof_warnings, with_proofs
from bench.analysis.stopping import stopping_summary
from bench.analysis.summary import (
    latest_records,
    mixed_records_warnings,
    paired_summary,
    summarize,
    undecided_warnings,
)
from bench.plan.settings import DEFAULT_ONE_TIME_MARGIN, DEFAULT_TIME_MARGIN
from bench.store.files import now_utc
from bench.store.records import first_line, read_one_time, read_steady
from bench.store.schema import RUNS_FILE, SCHEMA_VERSION, read_sweep, sweep_commands


class ReportError(RuntimeError):
    """There is nothing to report from."""


def sweep_results(out: Path, time_margin: float | None = None) -> dict[str, Any]:
    """Everything `out`'s records say: runs, summary, every verdict (`time_margin` None: the
    sweep's). Raises ReportError or RecordsFileError on missing or malformed records."""
    records = latest_records(out)
    if not records:
        raise ReportError(f"no runs recorded in {out / RUNS_FILE}; run `python -m bench` first")
    sweep = read_sweep(out)
    if sweep is None:
        raise ReportError(f"{out}/sweep.json is missing; it is written when a sweep starts")
    config = sweep.get("config") or {}
    margin = next(
        m for m in (time_margin, config.get("time_margin"), DEFAULT_TIME_MARGIN) if m is not None
    )
    summary = summarize(records, margin)
    paired_records = read_steady(out)
    paired, paired_medians = paired_summary(paired_records, margin)
    one_time_records = read_one_time(out)
    one_time_margin = config.get("one_time_margin") or DEFAULT_ONE_TIME_MARGIN
    paired += one_time_entries(one_time_records, one_time_margin)
    counts = count_entries(one_time_records)
    paired = with_proofs(paired, sweep.get("programs") or {}, counts)
    processes = [*paired_records, *one_time_records]
    summary["warnings"] += (
        [
            f"{r.arch} paired timing: failed. {first_line(r.error)}"
            for r in processes
            if r.status != "ok"
        ]
        + mixed_records_warnings(processes)
        + undecided_warnings(paired)
        + proof_warnings(paired)
    )
    summary["one_time_failures"] = one_time_failures(one_time_records)
    results = {
        "schema_version": SCHEMA_VERSION,
        "created_at": now_utc(),
        # a sweep recorded before its start was kept started no later than its first run
        "sweep_started_at": sweep.get("started_at")
        or min((r.started_at for r in records if r.started_at), default=None),
        "sweep_wall_seconds": sweep.get("wall_seconds"),
        "command": sweep.get("command"),
        "commands": sweep_commands(sweep),
        "environment": sweep.get("environment"),
        "config": config,
        "time_margin_percent": margin,
        "paired": paired,
        "paired_medians": paired_medians,
        "one_time_margin_percent": one_time_margin,
        "one_time_drift": one_time_drift(one_time_records),
        "python_calls": counts,
        "paired_stopping": stopping_summary(paired, processes, config),
        "runs": [r.to_dict() for r in records],  # as compare and the charts read them
        "records": records,  # the same runs, for the report; neither is written to results.json
        "summary": summary,
        "capabilities": sweep.get("capabilities") or {},
        "capability_seconds": sweep.get("capability_seconds") or {},
        "architectures": sweep.get("architectures", {}),
        "adopted": sweep.get("adopted") or {},  # users' models, written in their styles
        "programs": sweep.get("programs") or {},  # none in sweeps before the comparison
    }
    return results
