"""Python work, counted: the function calls each style's steps make, under `cProfile`, in cycles of
their own after the timed ones (counting slows the code, so it never runs inside a timed cycle).

A count depends on the software (Python, Keras, the backend) and not on the machine's speed:
after the warm-up and the timed cycles have paid every first-time cost, it is the same in every
cycle and every process. Besides the one-time steps, one call of each steady path is counted:
the train step, the predict batch and the single-image predict, each after a call that traced it.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable, Mapping, Sequence
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


def count_cycles(
    steps_of: Callable[[str, Path], Any],
    names: Sequence[str],
    batch,
    predict_batch,
    directory: Path,
    cycles: int = 1,
) -> tuple[dict[str, dict[str, list[int]]], dict[str, dict[str, dict[str, int]]]]:
    """Each style's calls per measure, one count per cycle, and per measure the calls of each
    function in the last cycle (`{measure: {style: {function: calls}}}`).

    `steps_of(name, path)` gives a style's `Steps`; a step that fails ends that style's cycle.
    """
    totals: dict[str, dict[str, list[int]]] = {m: {n: [] for n in names} for m in COUNTED}
    functions: dict[str, dict[str, dict[str, int]]] = {m: {} for m in COUNTED}
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


def _keep(totals, functions, measure: str, name: str, stats: pstats.Stats) -> None:
    totals[measure][name].append(stats.total_calls)
    # Python functions only: a builtin's calls (isinstance, getattr) follow from theirs
    functions[measure][name] = {
        f"{Path(file).name}:{line}({function})": calls
        for (file, line, function), (_, calls, *_) in stats.stats.items()
        if file != "~"
    }


def largest_differences(
    functions: Mapping[str, Mapping[str, Mapping[str, int]]], reference: str
) -> dict[str, dict[str, list[list[Any]]]]:
    """Per measure and style, the `DIFFERING` functions whose calls differ most from the
    reference's, each as [function, the style's calls, the reference's]."""
    found: dict[str, dict[str, list[list[Any]]]] = {}
    for measure, by_style in functions.items():
        theirs = by_style.get(reference)
        for style, mine in by_style.items():
            if style == reference or theirs is None:
                continue
            names = {*mine, *theirs}
            gaps = sorted(names, key=lambda f: (-abs(mine.get(f, 0) - theirs.get(f, 0)), f))
            rows = [[f, mine.get(f, 0), theirs.get(f, 0)] for f in gaps[:DIFFERING]]
            found.setdefault(measure, {})[style] = [row for row in rows if row[1] != row[2]]
    return found
