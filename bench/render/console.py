"""What the console shows after a sweep: the headline table, the paired verdicts, warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.analysis.metrics import MEASURES
from bench.plan.backends import model_name
from bench.render.tables import headline_table, ratio_text, verdict_text
from bench.store.records import RunRecord


def paired_console_lines(results: dict[str, Any]) -> list[str]:
    """The paired verdicts as the console shows them after a sweep."""
    lines = []
    for phase, heading, margin in (
        ("steady", "Does the style change speed? Each style against the reference (Sequential "
         "where it can express the arch), interleaved", results.get("time_margin_percent")),
        ("one_time", "What does each style cost once? Built, compiled, traced, saved and loaded "
         "afresh in each cycle", results.get("one_time_margin_percent")),
    ):  # fmt: skip
        entries = [e for e in results.get("paired") or [] if e.get("phase", "steady") == phase]
        if not entries:
            continue
        lines += ["", f"{heading} (time ratio, 95 % CI over processes; margin ±{margin:g} %):"]
        lines += [
            f"  {model_name(e.get('backend'), e['arch'])}/{e['style']:10s} "
            f"{MEASURES[e['measure']].label:28s} {ratio_text(e)}  {verdict_text(e)}"
            for e in entries
        ]
    return lines


def report_lines(results: dict[str, Any], out: Path) -> list[str]:
    """Everything the console prints once a sweep's report is written."""
    records = [RunRecord.from_dict(run) for run in results["runs"]]  # no second read of the file
    table = headline_table(records, results["summary"])
    return [
        "",
        table.to_markdown(index=False, disable_numparse=True),
        *paired_console_lines(results),
        *(f"warning: {warning}" for warning in results["summary"]["warnings"]),
        f"\nreport: {out / 'README.md'} (tables: summary.md, summary.csv; data: results.json)",
    ]
