"""Where a one-time step's extra time goes: the step of each style under Python's profiler.

The profiled job is a one-time spec whose `profile` names the step. A warm-up cycle of every
style (on `warmup_arch` where given) pays the process's first costs; then each style, in a
fresh Keras session, runs the steps before the profiled one untimed and the profiled one under
`cProfile`. The profiler slows Python code more than native code, so its seconds attribute the
difference between the styles; they are not the step's time. Runs inside a worker process.
"""

from __future__ import annotations

import cProfile
import pstats
import tempfile
from pathlib import Path
from typing import Any

import keras

from bench.plan.specs import ONE_TIME_MEASURES, OneTimeSpec
from bench.store.mnist import MnistData
from bench.worker.one_time import Steps, step_inputs
from mnist_models import build_model

KEPT_FUNCTIONS = 150  # per style and order (self time, cumulative time): what a diff needs


def function_name(key: tuple[str, int, str]) -> str:
    """`package/module.py:line(function)`, from the installed package down: the same function
    has the same name on every machine."""
    path, line, name = key
    for marker in ("site-packages/", "dist-packages/", "lib/python"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{line}({name})" if line else name


def profiled(call) -> dict[str, Any]:
    """Runs `call` under cProfile: its total seconds, and the functions that took the most self
    time and the most cumulative time, each with its calls and both times."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        call()
    finally:
        profiler.disable()
    stats = pstats.Stats(profiler).stats  # {key: (primitive calls, calls, tottime, cumtime, …)}
    by_self = sorted(stats, key=lambda k: stats[k][2], reverse=True)[:KEPT_FUNCTIONS]
    by_total = sorted(stats, key=lambda k: stats[k][3], reverse=True)[:KEPT_FUNCTIONS]
    functions = {
        function_name(k): {
            "ncalls": stats[k][1],
            "self_s": stats[k][2],
            "cumulative_s": stats[k][3],
        }
        for k in dict.fromkeys([*by_self, *by_total])
    }
    return {"seconds": sum(s[2] for s in stats.values()), "functions": functions}


def run_profile(spec: OneTimeSpec, mnist: MnistData | None = None) -> dict[str, Any]:
    """Profiles `spec.profile`'s step for every style of `spec.styles`, in order.

    Returns:
        {"arch", "measure", "styles": {style: profiled(...)}, "error": None or one line}.
    """
    if spec.profile not in ONE_TIME_MEASURES:
        raise ValueError(
            f"profile {spec.profile!r}; expected one of: {', '.join(ONE_TIME_MEASURES)}"
        )
    found: dict[str, Any] = {
        "arch": spec.arch,
        "measure": spec.profile,
        "styles": {},
        "error": None,
    }
    try:
        batch, predict_batch, compile_fn = step_inputs(spec, mnist)

        def steps(arch: str, style: str, path: Path) -> Steps:
            return Steps(
                lambda: build_model(arch, style, seed=spec.seed),
                compile_fn,
                batch,
                predict_batch,
                path,
            )

        wanted = ONE_TIME_MEASURES.index(spec.profile)
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
            for style in spec.styles:  # the warm-up: every step, once, of every style
                keras.backend.clear_session()
                for call in steps(
                    spec.warmup_arch or spec.arch, style, Path(tmp) / "w.keras"
                ).calls.values():
                    call()
            for style in spec.styles:
                keras.backend.clear_session()
                calls = list(steps(spec.arch, style, Path(tmp) / f"{style}.keras").calls.values())
                for call in calls[:wanted]:
                    call()
                found["styles"][style] = profiled(calls[wanted])
    except Exception as e:  # reported beside what was found
        found["error"] = f"{type(e).__name__}: {e}"[:300]
    return found
