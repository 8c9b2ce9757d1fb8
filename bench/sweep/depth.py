"""`python -m bench depth`: each style's costs as a Dense stack deepens, or for named
architectures at their own size, one worker per model; the report is written from the records.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.analysis.depth import depth_of
from bench.plan.commands import DepthConfig, default_cycles
from bench.plan.config import COMMON_DEFAULTS
from bench.plan.settings import TrainSettings
from bench.plan.specs import REBUILD_ONCE, OneTimeSpec
from bench.store.environment import collect
from bench.store.files import write_atomic, write_json
from bench.store.records import append_one_time
from bench.store.schema import DEPTH_RUN_FILE, ONE_TIME_FILE, SCHEMA_VERSION
from bench.sweep.executors import Executor
from bench.sweep.jobs import check_architectures, run_one_time_in_worker
from mnist_models import FORMS

WARMUP_ARCH = "dense-2"  # pays a process's first costs, whatever the depth, in a second
SEED = 1


def depth_settings() -> TrainSettings:
    """The sweep's training recipe, which the one-time phase compiles with."""
    return TrainSettings(
        epochs=1,
        batch_size=COMMON_DEFAULTS["batch_size"],
        learning_rate=COMMON_DEFAULTS["learning_rate"],
        validation_split=COMMON_DEFAULTS["validation_split"],
        steps_per_execution=COMMON_DEFAULTS["steps_per_execution"],
        train_images=None,
        test_images=None,
    )


def depth_spec(
    arch: str, names: Sequence[str], cycles: int, steady_rounds: int, data_dir: str | None
) -> OneTimeSpec:
    """The one process that measures `arch` (a member of the family, or a named one)."""
    deep = arch.startswith("dense-") and depth_of(arch) > 2
    return OneTimeSpec(
        arch=arch,
        styles=tuple(names),
        seed=SEED,
        settings=depth_settings(),
        cycles=cycles,
        data_dir=data_dir,
        warmup_arch=WARMUP_ARCH if deep else None,
        steady_rounds=steady_rounds,
    )


def run_depth(
    out: Path,
    config: DepthConfig,
    executor: Executor,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measures every architecture of `config` in each form it builds and writes the raw
    records, settings and environment into `out`; raises RuntimeError where the pre-check fails.
    """
    started = time.perf_counter()
    archs, cycles, steady_rounds = config.names(), config.one_time_cycles, config.steady_rounds
    family = all(arch.startswith("dense-") for arch in archs)
    checked = check_architectures(tuple(archs), FORMS, "tensorflow", executor)
    for arch, found in checked.items():
        if "error" in found or found["differences"]:
            raise RuntimeError(
                f"{arch} is not one model in every style: "
                f"{found.get('error') or found['differences']}"
            )
    alike: dict[tuple[str, ...], list[str]] = {}
    for arch, found in checked.items():
        alike.setdefault(tuple(found["styles"]), []).append(arch)
    for names, group in alike.items():
        echo(
            f"pre-check: {', '.join(group)} {'is' if len(group) == 1 else 'are'} one model in "
            f"{', '.join(names)} (same initial weights)"
        )
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / ONE_TIME_FILE, b"")
    wall = {}
    for arch in archs:
        start = time.perf_counter()
        depth = depth_of(arch) if family else None
        names = checked[arch]["styles"]
        spec = depth_spec(
            arch,
            [*names, REBUILD_ONCE] if family and "sequential" in names else names,
            cycles or default_cycles(depth or 1),
            steady_rounds,
            config.data_dir,
        )
        record = run_one_time_in_worker(spec, executor)
        append_one_time(out, record)
        wall[depth or arch] = round(time.perf_counter() - start, 1)
        failed = f"; failed: {record.error}" if record.status != "ok" else ""
        echo(
            f"{f'depth {depth}' if family else arch}: {spec.cycles} cycles and "
            f"{steady_rounds} steady rounds of {len(spec.styles)} styles in "
            f"{wall[depth or arch]:.0f} s{failed}"
        )
    run = {
        **config.plan(),
        f"wall_seconds_by_{'depth' if family else 'arch'}": wall,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "environment": collect(),
    }
    write_json(out / DEPTH_RUN_FILE, {"schema_version": SCHEMA_VERSION, **run})
    return run
