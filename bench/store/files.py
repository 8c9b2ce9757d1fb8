"""The files a sweep leaves: written whole or not at all, JSON lines appended whole, read back
strictly (a torn last line is the only damage forgiven)."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any


def now_utc() -> str:
    """Now, as every file the harness writes stamps it: UTC, to the second, ISO 8601."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def write_atomic(path: Path, payload: bytes) -> None:
    """Writes `payload` to `path` through a temp file and a rename, fsync'ing the directory:
    readers see the old file or the whole new one, even after a power cut."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide a shared cache from other users
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Makes a rename or a new file in `directory` durable (a no-op where it cannot be done)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows, where directories cannot be opened
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the rename itself is still atomic
    finally:
        os.close(fd)


def json_line(payload: dict[str, Any]) -> bytes:
    """`payload` as one line of a records file, keys sorted."""
    return (json.dumps(payload, sort_keys=True) + "\n").encode()


def append_line(path: Path, payload: dict[str, Any]) -> None:
    """Appends `payload` as one JSON line in one O_APPEND write, fsync'ed: a kill leaves the line
    or a torn tail, which `read_lines` tolerates."""
    line = json_line(payload)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


class RecordsFileError(ValueError):
    """A records file has a malformed line that is not a torn last line, or is of a schema
    this harness does not read."""


def read_lines(path: Path) -> list[dict[str, Any]]:
    """Every JSON line of `path` ([] when absent); a torn last line (what a killed writer leaves)
    is skipped with a warning, any other bad line raises RecordsFileError naming it."""
    if not path.exists():
        return []
    text = path.read_text()
    lines = text.split("\n")
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            torn = number == len(lines) and not text.endswith("\n")
            if torn:
                warnings.warn(
                    f"{path}:{number}: skipping a torn last line (a writer was killed mid-line)",
                    stacklevel=2,
                )
                continue
            raise RecordsFileError(
                f"{path}:{number}: not a JSON record ({e.msg}); fix or delete that line, "
                "or start the sweep again without --resume"
            ) from None
    return rows


def write_json(path: Path, payload: Any) -> None:
    """Writes JSON atomically (temp file, then rename); a record or verdict as its `to_dict`."""
    text = json.dumps(payload, indent=2, sort_keys=True, default=_as_dict)
    write_atomic(path, (text + "\n").encode())


def _as_dict(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def read_json(path: Path) -> Any:
    """Reads a JSON file."""
    return json.loads(path.read_text())
