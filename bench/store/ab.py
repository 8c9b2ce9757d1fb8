"""An A/B run's raw records, `ab.jsonl`, and the run they make up."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.plan.ab import AbConfig
from bench.store.files import read_lines
from bench.store.records import OneTimeRecord, RunRecord

RECORDS = "ab.jsonl"


@dataclass
class AbRun:
    """An A/B run under way: its runs and processes so far, each side's capabilities, and why
    it stopped."""

    config: AbConfig
    records: list[tuple[str, int, OneTimeRecord]] = field(default_factory=list)  # side, pair
    runs: list[tuple[str, RunRecord]] = field(default_factory=list)  # side, its short run
    capabilities: dict[str, Any] = field(default_factory=dict)  # side: {model: {style: checks}}
    programs: dict[str, Any] = field(default_factory=dict)  # side: {backend: {arch: traced}}
    stopped: str | None = None
    environments: dict[str, Any] = field(default_factory=dict)
    wall_seconds: float = 0.0


def read_records(
    path: Path,
) -> tuple[list[tuple[str, int, OneTimeRecord]], list[tuple[str, RunRecord]]]:
    """An `ab.jsonl`'s processes, as (side, pair, record), and its short runs, as (side, record)."""
    processes, runs = [], []
    for line in read_lines(path):
        if line.get("kind") == "run":
            runs.append((line["side"], RunRecord.from_dict(line["record"])))
        elif line.get("kind") == "one_time":
            processes.append((line["side"], line["pair"], OneTimeRecord.from_dict(line["record"])))
    return processes, runs
