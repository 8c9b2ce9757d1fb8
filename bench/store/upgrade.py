"""`python -m bench upgrade DIR`: an older directory's raw records converted in place to the
current schema; the report is an output, rebuilt afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.store.capabilities import upgrade_capabilities
from bench.store.files import (
    RecordsFileError,
    json_line,
    read_json,
    read_lines,
    write_atomic,
    write_json,
)
from bench.store.schema import (
    DEPTH_RUN_FILE,
    RUNS_FILE,
    SCHEMA_VERSION,
    STEADY_FILE,
    SWEEP_FILE,
)

OLD_STEADY_FILE = "paired.jsonl"  # schema 2 to 11: the steady phase's processes
# schema 12: one name per concept across the commands
RENAMED_SETTINGS = {
    "paired_rounds": "steady_rounds",
    "paired_processes": "max_processes",
    "paired_min_processes": "min_processes",
    "paired_instances": "steady_instances",
}


def upgraded_sweep(sweep: dict[str, Any]) -> dict[str, Any]:
    """A sweep.json of any earlier schema in the current shape."""
    config = {RENAMED_SETTINGS.get(k, k): v for k, v in (sweep.get("config") or {}).items()}
    settings = dict(config.get("settings") or {})
    if isinstance(settings.get("jit_compile"), bool):  # schema 2 stored a bool
        settings["jit_compile"] = "on" if settings["jit_compile"] else "off"
    if settings:
        config["settings"] = settings
    return {
        **sweep,
        "schema_version": SCHEMA_VERSION,
        "commands": sweep.get("commands") or [sweep.get("command") or []],
        "config": config,
        "capabilities": upgrade_capabilities(sweep.get("capabilities") or {}),
    }


def upgraded_run(line: dict[str, Any]) -> dict[str, Any]:
    """A run record of any earlier schema in the current shape: its settings' key a field of
    its own, where it was only the last part of `run_key` (arch|style|seed|settings)."""
    if line.get("settings_key") or not line.get("run_key"):
        return line
    return {**line, "settings_key": line["run_key"].split("|", 3)[3]}


def upgrade_directory(out: Path) -> int | None:
    """Converts `out`'s sweep.json to the current schema; returns the schema it had, or None.
    Raises RecordsFileError where there is none, or a newer one."""
    if (out / DEPTH_RUN_FILE).is_file() and not (out / SWEEP_FILE).exists():
        return _upgrade_depth(out)
    path = out / SWEEP_FILE
    if not path.is_file():
        raise RecordsFileError(
            f"{path} is missing; pass a sweep's directory, or a depth study's (with run.json)"
        )
    sweep = read_json(path)
    version = sweep.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise RecordsFileError(
            f"{path} has schema {version}; this harness converts schemas 2 to {SCHEMA_VERSION}"
        )
    lines = read_lines(out / RUNS_FILE)
    runs = [upgraded_run(line) for line in lines]
    renamed = (out / OLD_STEADY_FILE).exists() and not (out / STEADY_FILE).exists()
    if version == SCHEMA_VERSION and runs == lines and not renamed:
        return None
    if renamed:
        (out / OLD_STEADY_FILE).rename(out / STEADY_FILE)
    if runs != lines:
        write_atomic(
            out / RUNS_FILE,
            b"".join(json_line(line) for line in runs),
        )
    write_json(path, upgraded_sweep(sweep))
    return version


def _upgrade_depth(out: Path) -> int | None:
    """A depth study's run.json given the schema it lacked."""
    run = read_json(out / DEPTH_RUN_FILE)
    if run.get("schema_version") == SCHEMA_VERSION:
        return None
    write_json(out / DEPTH_RUN_FILE, {**run, "schema_version": SCHEMA_VERSION})
    return run.get("schema_version") or 11
