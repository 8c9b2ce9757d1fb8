"""Python work, counted: each style's function calls under `cProfile`, in cycles of their own
after the timed ones, and one call of each steady path after the call that traced it.

A count depends on the software, not the machine's speed. `call_bounds` overstates what the
differing calls cost, since the profiler slows Python; a builtin that dispatches compiled work
holds that work in its own time, so it is never bounded by a small function's.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras

from bench.plan.specs import ONE_TIME_MEASURES, STEADY_MEASURES

COUNTED = (*ONE_TIME_MEASURES, *STEADY_MEASURES)
DIFFERING = 5  # the functions named where a style's count differs from the reference's


def counted(call: Callable[[], Any]) -> tuple[Any, pstats.Stats]:
    """`call()`'s result and the profile of everything it called."""
    profile = cProfile.Profile()
    profile.enable()
    try:
        result = call()
    finally:
        profile.disable()
    return result, pstats.Stats(profile)


Profiled = dict[str, dict[str, dict[Any, tuple[int, float]]]]  # [measure][style][function]


def count_cycles(
    steps_of: Callable[[str, Path], Any],
    names: Sequence[str],
    batch,
    predict_batch,
    directory: Path,
    cycles: int = 1,
) -> tuple[dict[str, dict[str, list[int]]], Profiled]:
    """Each style's calls per measure, one count per cycle, and the last cycle's per-function
    calls and own seconds; a step that fails ends that style's cycle."""
    totals: dict[str, dict[str, list[int]]] = {m: {n: [] for n in names} for m in COUNTED}
    functions: Profiled = {m: {} for m in COUNTED}
    for cycle in range(cycles):
        keras.backend.clear_session()
        for name in names:
            steps = steps_of(name, directory / f"{name}-count-{cycle}.keras")
            try:
                for measure in ONE_TIME_MEASURES:
                    _, stats = counted(steps.calls[measure])
                    _keep(totals, functions, measure, name, stats)
                for measure, call in _steady_calls(steps.model, batch, predict_batch).items():
                    call()  # traces a new input shape, or is a warm call already
                    _, stats = counted(call)
                    _keep(totals, functions, measure, name, stats)
            except Exception:  # the timed cycles have recorded why; its counts stop here
                continue
    return totals, functions


def _steady_calls(model: keras.Model, batch, predict_batch) -> dict[str, Callable[[], Any]]:
    x, y = batch
    return {
        "train_step": lambda: model.train_on_batch(x, y),
        "predict": lambda: model.predict_on_batch(predict_batch),
        "latency": lambda: model.predict_on_batch(predict_batch[:1]),
    }


def _keep(totals, functions: Profiled, measure: str, name: str, stats: pstats.Stats) -> None:
    totals[measure][name].append(stats.total_calls)
    functions[measure][name] = {
        key: (calls, own) for key, (_, calls, own, *_) in stats.stats.items()
    }


def _name(key: tuple[str, int, str]) -> str:
    file, line, function = key
    return f"{Path(file).name}:{line}({function})"


def largest_differences(functions: Profiled, reference: str) -> dict[str, dict[str, list[list]]]:
    """Per measure and style, the Python functions whose calls differ most from the reference's
    (builtins left out: their calls follow from the Python functions')."""
    found: dict[str, dict[str, list[list[Any]]]] = {}
    for measure, style, mine, theirs in _against_reference(functions, reference):
        python = {key for key in {*mine, *theirs} if key[0] != "~"}
        rows = sorted(
            ([_name(k), mine.get(k, (0,))[0], theirs.get(k, (0,))[0]] for k in python),
            key=lambda row: (-abs(row[1] - row[2]), row[0]),
        )
        found.setdefault(measure, {})[style] = [r for r in rows[:DIFFERING] if r[1] != r[2]]
    return found


def call_bounds(functions: Profiled, reference: str) -> dict[str, dict[str, float]]:
    """Per measure and style, the most the differing calls can cost, in seconds."""
    found: dict[str, dict[str, float]] = {}
    for measure, style, mine, theirs in _against_reference(functions, reference):
        total = 0.0
        for key in {*mine, *theirs}:
            (a, own_a), (b, own_b) = mine.get(key, (0, 0.0)), theirs.get(key, (0, 0.0))
            if a != b:
                total += abs(a - b) * max(own_a / a if a else 0.0, own_b / b if b else 0.0)
        found.setdefault(measure, {})[style] = total
    return found


def _against_reference(functions: Profiled, reference: str):
    for measure, by_style in functions.items():
        theirs = by_style.get(reference)
        for style, mine in by_style.items():
            if style != reference and theirs is not None:
                yield measure, style, mine, theirs
