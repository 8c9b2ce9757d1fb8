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
    """The environment as JSON-ready values, from package metadata, without importing TensorFlow."""
    return {
        "python": platform.python_version(),
        "tensorflow": package_version("tensorflow"),
        "keras": package_version("keras"),
        "numpy": package_version("numpy"),
        # the other backends' frameworks: None where not installed
        "jax": package_version("jax"),
        "jaxlib": package_version("jaxlib"),
        "torch": package_version("torch"),
        "ray": package_version("ray"),
        "os": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_native_bf16": native_bf16(),
        "cpu_cores": os.cpu_count(),
        "cpu_cores_usable": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else None,
        "machine": machine_fingerprint(),
        "git": git_info(),
        "executable": sys.executable,
    }


# The instruction-set flags that change which kernels the frameworks run (and oneDNN's default).
KERNEL_FLAGS = (
    "avx2",
    "fma",
    "avx512f",
    "avx512_vnni",
    "avx512_bf16",
    "amx_tile",
    "amx_bf16",
    "amx_int8",
)
# The environment variables that change the kernels or the threads a run uses.
KERNEL_SETTINGS = (
    "TF_ENABLE_ONEDNN_OPTS",
    "XLA_FLAGS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "OMP_NUM_THREADS",
)


def machine_fingerprint() -> dict[str, Any]:
    """What makes two machines run the same kernels alike: CPU vendor, family, model, stepping,
    kernel-choosing flags, cores, and the settings that change kernels or threads."""
    fields = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    flags = set(fields.get("flags", "").split())
    return {
        "vendor": fields.get("vendor_id"),
        "family": fields.get("cpu family"),
        "model": fields.get("model"),
        "stepping": fields.get("stepping"),
        "flags": [flag for flag in KERNEL_FLAGS if flag in flags],
        "cores": os.cpu_count(),
        "settings": {name: os.environ.get(name) for name in KERNEL_SETTINGS},
    }


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


OUTPUT_DIRS = ("results", "lab/runs")  # committed outputs, not code


def git_info() -> dict[str, Any] | None:
    """The commit the code ran from and whether it was dirty: the package's checkout, else the
    working directory (a `pip install .` from a clone)."""

    def git(cwd: Path, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()

    for where in (PROJECT_ROOT, Path.cwd()):
        try:
            return {
                "commit": git(where, "rev-parse", "HEAD"),
                # results/ is the harness's own committed output: a --resume into it changes it
                # between the sweep's phases without the code being any different
                "dirty": bool(
                    git(
                        where,
                        "status",
                        "--porcelain",
                        "--untracked-files=no",
                        "--",
                        ".",
                        *(f":(exclude){d}" for d in OUTPUT_DIRS),
                    )
                ),
            }
        except (OSError, subprocess.SubprocessError):
            continue  # not a checkout, or no git
    return None


def provenance_lines(git: dict[str, Any] | None) -> list[str]:
    """A report's prominent opening line when its numbers cannot be tied to one commit."""
    if not git:
        return ["> **Code version unknown**: not run from a git checkout.", ""]
    if git.get("dirty"):
        return [
            f"> **Produced from a working tree with uncommitted changes** (on commit "
            f"{git.get('commit', '?')[:12]}): the code that made these numbers is not any commit.",
            "",
        ]
    return []


def package_version(package: str) -> str | None:
    """An installed package's version, None where it is not installed."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


# (family, model) of each generation seen on these machines: AMD's Zen, and Intel's Xeons,
# whose virtual machines name only "Intel(R) Xeon(R) Processor"
GENERATIONS = {
    ("23", "1"): "Zen 1",
    ("23", "8"): "Zen+",
    ("23", "49"): "Zen 2",
    ("25", "1"): "Zen 3",
    ("25", "17"): "Zen 4",
    ("26", "2"): "Zen 5",
    ("6", "143"): "Sapphire Rapids",
    ("6", "207"): "Emerald Rapids",
}


def machine_words(environment: dict[str, Any]) -> str:
    """The CPU by name and generation (or, for one not in `GENERATIONS`, its family and model),
    with its cores: what every figure names."""
    m = environment.get("machine") or {}
    family, model = m.get("family"), m.get("model")
    generation = GENERATIONS.get((family, model))
    if generation is None and model:  # a model a virtual machine may report in place of its own
        generation = f"family {family}, model {model}"
    cores = environment.get("cpu_cores_usable") or environment.get("cpu_cores")
    named = f" ({generation})" if generation else ""
    return f"{environment.get('cpu_model')}{named}, {cores} core" + ("" if cores == 1 else "s")
