"""One worker job in a fresh `python -m bench.worker` process: what every executor runs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.store.environment import cpu_model

STDERR_TAIL = 2_000


def run_worker(
    kind: str,
    job: str,
    device: str,
    python: str | None = None,
    settings: dict[str, str] | None = None,
) -> tuple[Any, str | None]:
    """Runs `python -m bench.worker KIND` on `job` with `settings` added to the environment (its
    PYTHONPATH first); returns (result, None) or (None, error)."""
    env = {**os.environ, **(settings or {})}
    if settings and "PYTHONPATH" in settings and os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join((settings["PYTHONPATH"], os.environ["PYTHONPATH"]))
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = "-1"  # hides GPUs from the framework before it starts
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp:
        result_path = Path(tmp) / "result.json"
        done = subprocess.run(
            [python or sys.executable, "-m", "bench.worker", kind, str(result_path)],
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


def node_info(node_id: str = "local", address: str | None = None) -> dict[str, Any]:
    """The machine a job ran on: its id, host name, address, CPU model and cores."""
    return {
        "id": node_id,
        "host": socket.gethostname(),
        "address": address,
        "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count(),
    }
