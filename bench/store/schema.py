"""The format of a sweep's files: their names, the one `SCHEMA_VERSION` every JSON file carries,
and the reader of sweep.json, which refuses another schema in one line naming
`python -m bench upgrade DIR` (`bench.store.upgrade`, schemas 2 to 11)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.store.files import RecordsFileError, read_json

SCHEMA_VERSION = 12
RUNS_FILE = "runs.jsonl"
STEADY_FILE = "steady.jsonl"
ONE_TIME_FILE = "one_time.jsonl"
SWEEP_FILE = "sweep.json"
RESULTS_FILE = "results.json"
GENERATED_DIR = "models"  # under a sweep's directory: its users' models, in every style
DEPTH_RUN_FILE = "run.json"  # a depth study's settings and environment


def read_sweep(out: Path) -> dict[str, Any] | None:
    """`out`'s sweep.json, or None; RecordsFileError, saying how to convert, for another schema."""
    return read_versioned(out / SWEEP_FILE) if (out / SWEEP_FILE).exists() else None


def read_versioned(path: Path) -> dict[str, Any]:
    """A JSON file of this schema; RecordsFileError where it is not JSON or of another schema."""
    try:
        found = read_json(path)
    except json.JSONDecodeError as e:
        raise RecordsFileError(f"{path}: not JSON ({e.msg})") from None
    version = found.get("schema_version") if isinstance(found, dict) else None
    if version == SCHEMA_VERSION:
        return found
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise RecordsFileError(
            f"{path} has schema {version}, newer than this harness reads ({SCHEMA_VERSION}); "
            "install the harness that wrote it"
        )
    out = path.parent
    again = "report" if path.name == SWEEP_FILE else "depth --report-only"
    raise RecordsFileError(
        f"{path} has schema {version}; this harness reads schema {SCHEMA_VERSION}: convert "
        f"it with `python -m bench upgrade {out}`, then `python -m bench {again} --out {out}`"
    )


def sweep_commands(sweep: dict[str, Any]) -> list[list[str]]:
    """Every command that wrote to a sweep's directory, oldest first."""
    return sweep.get("commands") or [sweep.get("command") or []]
