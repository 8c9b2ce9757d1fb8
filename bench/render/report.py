"""A sweep's report: results.json, summary.csv, summary.md, README.md and the charts, rebuilt
from its records.

The report never trains: it reads `runs.jsonl`, `paired.jsonl` and `sweep.json` and can be re-run
at will (`python -m bench report`).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from bench.analysis.metrics import METRICS
from bench.analysis.one_time import one_time_drift, one_time_entries, one_time_failures
from bench.analysis.stopping import stopping_summary
from bench.analysis.summary import (
    latest_records,
    mixed_records_warnings,
    paired_summary,
    summarize,
    undecided_warnings,
)
from bench.plan.settings import DEFAULT_ONE_TIME_MARGIN, DEFAULT_TIME_MARGIN
from bench.render import plots
from bench.render.answer import answer_chart
from bench.render.markdown import readme, summary_markdown
from bench.store.capabilities import upgrade_capabilities
from bench.store.files import read_json, write_atomic, write_json
from bench.store.records import first_line, read_one_time, read_paired
from bench.store.schema import RESULTS_FILE, RUNS_FILE, SCHEMA_VERSION, SWEEP_FILE, sweep_commands


class ReportError(RuntimeError):
    """There is nothing to report from."""


def write_report(out: Path, time_margin: float | None = None) -> dict[str, Any]:
    """Regenerates every table and chart in `out` from its records; returns results.json's data.

    Args:
        out: a sweep's output directory.
        time_margin: the timing verdicts' margin in percent; None takes the sweep's own.

    Raises:
        ReportError: `out` holds no records or no sweep.json.
        RecordsFileError: a records file has a malformed line.
    """
    records = latest_records(out)
    if not records:
        raise ReportError(f"no runs recorded in {out / RUNS_FILE}; run `python -m bench` first")
    sweep_path = out / SWEEP_FILE
    if not sweep_path.exists():
        raise ReportError(f"{sweep_path} is missing; it is written when a sweep starts")
    sweep = read_json(sweep_path)
    config = sweep.get("config") or {}
    margin = next(
        m for m in (time_margin, config.get("time_margin"), DEFAULT_TIME_MARGIN) if m is not None
    )
    summary = summarize(records, margin)
    paired_records = read_paired(out)
    paired, paired_medians = paired_summary(paired_records, margin)
    one_time_records = read_one_time(out)
    one_time_margin = config.get("one_time_margin") or DEFAULT_ONE_TIME_MARGIN
    paired += one_time_entries(one_time_records, one_time_margin)
    processes = [*paired_records, *one_time_records]
    summary["warnings"] += (
        [
            f"{r.arch} paired timing: failed. {first_line(r.error)}"
            for r in processes
            if r.status != "ok"
        ]
        + mixed_records_warnings(processes)
        + undecided_warnings(paired)
    )
    summary["one_time_failures"] = one_time_failures(one_time_records)
    results = {
        "schema_version": SCHEMA_VERSION,
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "sweep_started_at": sweep.get("created_at"),
        "command": sweep.get("command"),
        "commands": sweep_commands(sweep),
        "environment": sweep.get("environment"),
        "config": config,
        "time_margin_percent": margin,
        "paired": paired,
        "paired_medians": paired_medians,
        "one_time_margin_percent": one_time_margin,
        "one_time_drift": one_time_drift(one_time_records),
        "paired_stopping": stopping_summary(paired, processes, config),
        "runs": [r.to_dict() for r in records],
        "summary": summary,
        "capabilities": upgrade_capabilities(sweep.get("capabilities") or {}),
        "capability_seconds": sweep.get("capability_seconds") or {},
        "architectures": sweep.get("architectures", {}),
    }
    write_json(out / RESULTS_FILE, results)
    write_atomic(out / "summary.csv", pd.DataFrame(summary["stats"]).to_csv(index=False).encode())
    charts = plots.write_plots(records, out, paired, margin, one_time_margin)
    answer = answer_chart(results)
    if answer is not None:
        plots.save_figure(answer, out / "answer.png")
        charts.insert(0, out / "answer.png")
    if summary["backend_comparisons"]:
        rows = [
            {**c, "label": METRICS[c["metric"]].label}
            for c in summary["backend_comparisons"]
            if c["unit"] == "ratio"
        ]
        plots.write_comparison_chart(rows, out / "backends.png", margin, "backend / tensorflow")
        charts.append(out / "backends.png")
    summary_md = summary_markdown(records, summary, results, margin)
    write_atomic(out / "summary.md", summary_md.encode())
    write_atomic(out / "README.md", readme(results, summary_md, charts, out).encode())
    return results
