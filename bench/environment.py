"""Where a result was measured: versions, processor, GPU, OS and the code's git commit."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def collect() -> dict[str, Any]:
    """Returns the environment as plain JSON-ready values (imports TensorFlow)."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": _version("keras"),
        "numpy": _version("numpy"),
        "os": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_native_bf16": native_bf16(),
        "cpu_cores": os.cpu_count(),
        "cpu_cores_usable": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else None,
        "gpus": [
            tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus
        ],
        "git": git_info(),
        "executable": sys.executable,
    }


def gpu_visible() -> bool:
    """Whether TensorFlow sees at least one GPU."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def cpu_model() -> str:
    """The processor's marketing name, from /proc/cpuinfo where there is one."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    """The processor's feature flags, from /proc/cpuinfo (empty where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def native_bf16() -> bool:
    """Whether the CPU computes bfloat16 natively (AVX-512 BF16 or AMX) rather than emulating it."""
    return bool(cpu_flags() & {"avx512_bf16", "amx_bf16"})


def git_info() -> dict[str, Any] | None:
    """The commit the code ran from and whether the tree had uncommitted changes."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()

    try:
        return {
            "commit": git("rev-parse", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        }
    except (OSError, subprocess.SubprocessError):
        return None  # not a checkout (an installed wheel) or no git


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
