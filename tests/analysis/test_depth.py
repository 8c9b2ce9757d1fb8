"""The depth study's analysis on synthetic records: known slopes, crossings and calls come back."""

import math
import random

import pytest

from bench.analysis.depth import (
    STEADY_MEASURES,
    TOTAL,
    at_depth,
    count_growth,
    crossing,
    differing_functions,
    fit_depths,
    growth,
)
from bench.plan.specs import ONE_TIME_MEASURES
from bench.store.records import OneTimeRecord

DEPTHS = (2, 8, 32, 128)
CYCLES = 6


def _record(depth, times_of, rng):
    """A depth's record where style s takes times_of[s](depth) seconds in every measure, with
    multiplicative noise: 2 % of its own, and 5 % shared by the cycle (a slow spell hits every
    style of a cycle alike)."""
    spells = [math.exp(rng.gauss(0, 0.05)) for _ in range(CYCLES)]

    def times(style):
        return [times_of[style](depth) * spell * math.exp(rng.gauss(0, 0.02)) for spell in spells]

    styles = list(times_of)
    seconds = {m: {s: times(s) for s in styles} for m in ONE_TIME_MEASURES}
    steady = {m: {s: times(s) for s in styles} for m in STEADY_MEASURES}
    return OneTimeRecord(
        arch=f"dense-{depth}",
        styles=styles,
        reference="sequential",
        seed=1,
        settings_key="{}",
        cycles=CYCLES,
        order_seed=0,
        process=0,
        backend="tensorflow",
        seconds=seconds,
        build_orders=[],
        steady=steady,
        steady_calls=dict.fromkeys(steady, 1),
    )


def _records(times_of, seed=0):
    rng = random.Random(seed)
    return [_record(d, times_of, rng) for d in DEPTHS]


TIMES = {
    "sequential": lambda d: 0.01 * d,  # linear: slope 1
    "steeper": lambda d: 0.01 * d**1.3,  # slope 1.3
    "same": lambda d: 0.01 * d,
    "linear_extra": lambda d: 0.01 * d + 0.00625 * d,  # 6.25 ms more per layer
}


def _row(rows, measure, style):
    return next(r for r in rows if (r["measure"], r["style"]) == (measure, style))


def test_the_slopes_and_the_cost_per_layer_of_known_growth_come_back_with_their_verdicts():
    records = _records(TIMES)
    entries = at_depth(records, margin=10.0)
    rows = growth(records, entries)
    reference = _row(rows, "build", "sequential")
    assert reference["log_log"]["ci95"][0] < 1.0 < reference["log_log"]["ci95"][1]
    assert reference["ms_per_layer"]["slope"] == pytest.approx(10.0, rel=0.1)
    steeper = _row(rows, "build", "steeper")
    assert steeper["log_log"]["slope"] == pytest.approx(1.3, abs=0.1)
    assert steeper["slope_difference"]["slope"] == pytest.approx(0.3, abs=0.02)
    assert steeper["slope_difference"]["verdict"] == "steeper, beyond margin"
    assert _row(rows, "build", "same")["slope_difference"]["verdict"] == "equivalent"
    extra = _row(rows, "load", "linear_extra")
    assert extra["difference_ms_per_layer"]["slope"] == pytest.approx(6.25, rel=0.1)
    # every measure, the whole start and the steady ones, for every style
    assert {(r["measure"], r["style"]) for r in rows} == {
        (m, s) for m in (*ONE_TIME_MEASURES, TOTAL, *STEADY_MEASURES) for s in TIMES
    }


def test_a_known_crossing_is_interpolated_between_depths_and_one_past_them_extrapolated():
    records = _records(TIMES)
    rows = growth(records, at_depth(records, margin=10.0))
    # 6.25 ms per layer: 12.5, 50, 200 and 800 ms at 2, 8, 32 and 128 layers
    reaches = _row(rows, "save", "linear_extra")["reaches"]
    assert reaches["100 ms"]["how"] == "interpolated"
    assert reaches["100 ms"]["depth"] == pytest.approx(16, abs=1)  # log–log between 8 and 32
    assert reaches["1000 ms"]["how"] == "extrapolated"
    assert reaches["1000 ms"]["depth"] == pytest.approx(160, rel=0.1)
    assert _row(rows, "save", "same")["reaches"]["100 ms"]["depth"] is None


def test_a_crossing_counts_only_decided_differences_and_names_a_saving():
    fit = {"slope": 1.0, "intercept": 0.0, "ci95": [-0.5, 2.5]}  # its interval holds 0
    assert crossing({2: 0.0, 8: 0.0}, fit, 100.0) == {
        "depth": None,
        "how": "not within 8 layers",
        "sign": 1,
    }
    found = crossing({2: -20.0, 8: -150.0}, None, 100.0)
    assert (found["sign"], found["how"]) == (-1, "interpolated") and 2 < found["depth"] < 8
    assert crossing({2: 120.0, 8: 300.0}, None, 100.0)["how"] == "measured"
    # past the deepest depth only where its difference is decided, and not too far past it
    growing = {"slope": 10.0, "intercept": 0.0, "ci95": [9.0, 11.0]}
    assert crossing({2: 20.0, 8: 80.0}, growing, 100.0)["how"] == "extrapolated"
    assert crossing({2: 20.0, 8: 0.0}, growing, 100.0)["depth"] is None
    assert crossing({2: 20.0, 8: 80.0}, growing, 1000.0)["depth"] is None  # 100 layers: past 4×
    assert fit_depths([2, 5, 14, 37, 97, 256]) == [14, 37, 97, 256]
    assert fit_depths([2, 4]) == [2, 4]


def test_the_millisecond_interval_is_the_ratios_at_the_reference_time():
    records = _records({"sequential": TIMES["sequential"], "steeper": TIMES["steeper"]})
    entries = at_depth(records, margin=10.0)
    e = next(e for e in entries if (e.depth, e.measure) == (128, "load"))
    low, high = e.difference_ms_ci95
    assert low == pytest.approx(e.reference_ms * (e.ci95_low - 1))
    assert low < e.difference_ms < high
    assert e.verdict == "slower, beyond margin"


def test_calls_grow_along_their_slope_and_the_deepest_differences_name_their_functions():
    records = _records({"sequential": TIMES["sequential"], "steeper": TIMES["steeper"]})
    for r in records:
        d = int(r.arch.split("-")[1])
        # Sequential's load rebuilds once per layer: d² calls; the other style's grow as d
        calls = {"sequential": [100 * d * d], "steeper": [100 * d]}
        r.python_calls.update({m: calls for m in ONE_TIME_MEASURES})
        r.python_call_differences.update(
            {m: {"steeper": [["rebuild", 0, d], ["call", d, d - 1]]} for m in ONE_TIME_MEASURES}
        )
    rows = count_growth(records)
    load = _row(rows, "load", "sequential")
    assert load["calls"][128] == [100 * 128**2, 100 * 128**2]
    assert load["log_log"]["slope"] == pytest.approx(2.0)
    assert _row(rows, "load", "steeper")["log_log"]["slope"] == pytest.approx(1.0)
    assert {r["measure"] for r in rows} == set(ONE_TIME_MEASURES)  # no steady counts here

    differing = differing_functions(records)
    assert {(d["depth"], d["style"]) for d in differing} == {(128, "steeper")}
    assert differing[0]["calls"] == [12_800, 100 * 128**2]
    assert differing[0]["functions"][0] == ["rebuild", 0, 128]
    assert differing_functions(records, least=200.0) == []  # 128× apart: within 200
