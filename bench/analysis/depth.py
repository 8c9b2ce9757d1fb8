"""The depth study's analysis: each style's costs at each depth, and how each grows with depth
(log–log slopes, ms per layer, where a difference reaches 100 ms and 1 s, Python calls)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from scipy import stats as scipy_stats

from bench.analysis.one_time import one_time_entries
from bench.analysis.stats import (
    CONFIDENCE,
    DIFFERENCES,
    EQUIVALENCE_CONFIDENCE,
    Comparison,
    Verdict,
    compare_log_ratios,
    describe,
    verdict,
)
from bench.plan.specs import ONE_TIME_MEASURES
from bench.store.records import OneTimeRecord

TOTAL = "one_time_total"  # the six one-time steps of a cycle, summed: a model's whole start
STEADY_MEASURES = ("train_step", "predict")
MEASURES_BY_DEPTH = (*ONE_TIME_MEASURES, TOTAL, *STEADY_MEASURES)
SLOPE_MARGIN = 0.05  # on the log–log slope: over 2 to 256 layers, a growth 1.27× apart
THRESHOLDS_MS = (100.0, 1000.0)
EXTRAPOLATED_AT_MOST = 4  # times the deepest depth: a line fitted to 256 layers says no more
SLOPE_WORDS = ("steeper", "shallower")
COUNTED_BY_DEPTH = (*ONE_TIME_MEASURES, *STEADY_MEASURES)
DIFFERING_SHARE = 0.1  # a style's calls this far from the reference's have their functions shown


def depth_of(arch: str) -> int:
    """The depth of a `dense-<depth>` architecture."""
    return int(arch.rsplit("-", 1)[1])


def fit_depths(depths: Sequence[int]) -> list[int]:
    """The depths the growth is fitted over: the upper two thirds, at least two, so that a fixed
    cost that the smallest models are made of does not bend the slope."""
    ordered = sorted(depths)
    return ordered[min(len(ordered) // 3, max(0, len(ordered) - 2)) :]


def series(record: OneTimeRecord, measure: str) -> dict[str, list[float]]:
    """Seconds per cycle (one-time measures and `TOTAL`) or per call in each round (steady
    measures) of every style in one depth's record."""
    if measure in STEADY_MEASURES:
        calls = record.steady_calls.get(measure) or 1
        return {
            style: [t / calls for t in times]
            for style, times in record.steady.get(measure, {}).items()
        }
    if measure == TOTAL:
        found = {}
        for style in record.styles:
            columns = [record.seconds.get(m, {}).get(style) or [] for m in ONE_TIME_MEASURES]
            if all(columns):
                found[style] = [sum(cycle) for cycle in zip(*columns, strict=False)]
        return found
    return {s: times for s, times in record.seconds.get(measure, {}).items() if times}


def _pairs(record: OneTimeRecord, measure: str, style: str) -> list[tuple[float, float]]:
    times = series(record, measure)
    return list(zip(times.get(style) or [], times.get(record.reference) or [], strict=False))


def against_reference(
    record: OneTimeRecord, margin: float, depth: int | None = None
) -> list[Verdict]:
    """Every style of one record against its reference, in every measure: the ratio with its
    interval and verdict, and the reference's median and the difference in ms."""
    entries = []
    found = {(e.measure, e.style): e for e in one_time_entries([record], margin)}
    for measure in MEASURES_BY_DEPTH:
        for style in record.styles:
            pairs = _pairs(record, measure, style)
            if style == record.reference or not pairs:
                continue
            one_time = found.get((measure, style))
            c = one_time or compare_log_ratios(  # the total and the steady measures
                measure, [math.log(a / b) for a, b in pairs], margin
            )
            reference_ms = 1000 * statistics.median(b for _, b in pairs)
            entries.append(
                Verdict.of(
                    c,
                    phase="steady" if measure in STEADY_MEASURES else "one_time",
                    backend=record.backend,
                    arch=record.arch,
                    style=style,
                    reference=record.reference,
                    interval_over="rounds" if measure in STEADY_MEASURES else "cycles",
                    reference_ms=reference_ms,
                    difference_ms=1000 * statistics.median(a - b for a, b in pairs),
                    difference_ms_ci95=_ms_interval(c, reference_ms),
                    depth=depth,
                    processes=one_time and one_time.processes,
                    cycles=one_time and one_time.cycles,
                )
            )
    return entries


def at_depth(records: list[OneTimeRecord], margin: float) -> list[Verdict]:
    """`against_reference` at every depth of the depth family, each entry with its depth."""
    return [
        entry
        for record in sorted(records, key=lambda r: depth_of(r.arch))
        for entry in against_reference(record, margin, depth=depth_of(record.arch))
    ]


def _ms_interval(c: Comparison, reference_ms: float) -> list[float] | None:
    """The ratio's interval as milliseconds at the reference's median time."""
    if c.ci95_low is None:
        return None
    return [reference_ms * (c.ci95_low - 1), reference_ms * (c.ci95_high - 1)]


def footprint_of(record: OneTimeRecord) -> list[dict[str, Any]]:
    """Per style of one record: the peak resident size's rise during its steps against the
    reference's, and its `.keras` file's size."""
    rows = []
    growth = record.footprint.get("peak_rss_growth_bytes", {})
    files = record.footprint.get("keras_bytes", {})
    for style in record.styles:
        row: dict[str, Any] = {"style": style}
        if files.get(style):
            row["keras_mb"] = statistics.median(files[style]) / 2**20
        if growth.get(style):
            row["peak_growth_mb"] = statistics.median(growth[style]) / 2**20
            if style != record.reference and len(growth[style]) >= 2:
                d = describe(
                    [
                        (a - b) / 2**20
                        for a, b in zip(growth[style], growth[record.reference], strict=False)
                    ]
                )
                row["peak_growth_difference_mb"] = d.mean
                row["peak_growth_difference_mb_ci95"] = [d.ci95_low, d.ci95_high]
        rows.append(row)
    return rows


def footprint(records: list[OneTimeRecord]) -> list[dict[str, Any]]:
    """`footprint_of` at every depth of the family, each row with its depth."""
    return [
        {"depth": depth_of(record.arch), **row}
        for record in sorted(records, key=lambda r: depth_of(r.arch))
        for row in footprint_of(record)
    ]


def line_fit(x: Sequence[float], y: Sequence[float]) -> dict[str, Any] | None:
    """Least squares y = a + b·x: the slope with its 95 % and 90 % t-intervals; None with
    fewer than three points or a single x."""
    if len(x) < 3 or len(set(x)) < 2:
        return None
    fit = scipy_stats.linregress(x, y)
    df = len(x) - 2

    def interval(confidence: float) -> list[float]:
        half = scipy_stats.t.ppf((1 + confidence) / 2, df) * fit.stderr
        return [float(fit.slope - half), float(fit.slope + half)]

    return {
        "slope": float(fit.slope),
        "intercept": float(fit.intercept),
        "ci95": interval(CONFIDENCE),
        "ci90": interval(EQUIVALENCE_CONFIDENCE),
        "points": len(x),
    }


def growth(records: list[OneTimeRecord], entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per measure and style: log–log slope and ms per layer over `fit_depths`, the slope's
    verdict against the reference's, and where the difference reaches each threshold."""
    by_depth = {depth_of(r.arch): r for r in records if r.status == "ok"}
    fitted = fit_depths(list(by_depth))
    first = next(iter(by_depth.values()), None)
    styles, reference = (first.styles, first.reference) if first else ([], None)
    found = []
    for measure in MEASURES_BY_DEPTH:
        for style in styles:
            points = [(d, t) for d in fitted for t in series(by_depth[d], measure).get(style, [])]
            if not points:
                continue
            depths = [d for d, _ in points]
            row: dict[str, Any] = {
                "measure": measure,
                "style": style,
                "fit_depths": fitted,
                "log_log": line_fit(
                    [math.log(d) for d in depths], [math.log(t) for _, t in points]
                ),
                "ms_per_layer": line_fit(depths, [1000 * t for _, t in points]),
            }
            if style != reference:
                pairs = [(d, a, b) for d in fitted for a, b in _pairs(by_depth[d], measure, style)]
                row["slope_difference"] = slope_difference(
                    [math.log(d) for d, _, _ in pairs], [math.log(a / b) for _, a, b in pairs]
                )
                difference_fit = line_fit(
                    [d for d, _, _ in pairs], [1000 * (a - b) for _, a, b in pairs]
                )
                row["difference_ms_per_layer"] = difference_fit
                # a difference its interval leaves undecided counts as none at its depth
                medians = {
                    e.depth: e.difference_ms if e.direction else 0.0
                    for e in entries
                    if (e.measure, e.style) == (measure, style)
                }
                row["reaches"] = {
                    f"{t:g} ms": crossing(medians, difference_fit, t) for t in THRESHOLDS_MS
                }
            found.append(row)
    return found


def slope_difference(log_depths: list[float], log_ratios: list[float]) -> dict[str, Any] | None:
    """The slope of the log ratio on log depth (the style's log–log slope less the
    reference's, from pairs within cycles) with its verdict under ±`SLOPE_MARGIN`."""
    fit = line_fit(log_depths, log_ratios)
    if fit is None:
        return None
    kind = verdict(tuple(fit["ci95"]), tuple(fit["ci90"]), SLOPE_MARGIN)
    if kind in DIFFERENCES:
        kind = f"{SLOPE_WORDS[0] if fit['slope'] > 0 else SLOPE_WORDS[1]}, {kind}"
    return {**fit, "margin": SLOPE_MARGIN, "verdict": kind}


def crossing(
    medians: dict[int, float], fit: dict[str, Any] | None, threshold_ms: float
) -> dict[str, Any]:
    """The depth at which a difference first reaches `threshold_ms`: interpolated on log–log
    axes, or extrapolated along a growing per-layer fit up to `EXTRAPOLATED_AT_MOST` times the
    deepest depth; None where not reached."""
    depths = sorted(medians)
    deepest = depths[-1]
    sign = 1 if medians[deepest] >= 0 else -1
    for i, d in enumerate(depths):
        value = sign * medians[d]
        if value < threshold_ms:
            continue
        before = sign * medians[depths[i - 1]] if i else 0
        if i == 0 or before <= 0:
            return {"depth": d, "how": "measured", "sign": sign}
        d0 = depths[i - 1]
        share = (math.log(threshold_ms) - math.log(before)) / (math.log(value) - math.log(before))
        depth = math.exp(math.log(d0) + share * (math.log(d) - math.log(d0)))
        return {"depth": round(depth), "how": "interpolated", "sign": sign}
    decided = medians[deepest] != 0  # the deepest depth's difference is decided
    if decided and fit and sign * fit["ci95"][0] > 0 and sign * fit["ci95"][1] > 0:
        depth = (sign * threshold_ms - fit["intercept"]) / fit["slope"]
        if deepest < depth <= EXTRAPOLATED_AT_MOST * deepest:
            return {"depth": round(depth), "how": "extrapolated", "sign": sign}
    return {"depth": None, "how": f"not within {deepest} layers", "sign": sign}


def count_growth(records: list[OneTimeRecord]) -> list[dict[str, Any]]:
    """Per measure and style: the Python calls at each depth (`[low, high]` over the counting
    cycles) and their log–log slope over `fit_depths`, the calls' counterpart of `growth`."""
    by_depth = {depth_of(r.arch): r for r in records if r.python_calls}
    fitted = fit_depths(list(by_depth))
    found = []
    for measure in COUNTED_BY_DEPTH:
        for style in next(iter(by_depth.values())).styles if by_depth else []:
            calls = {
                d: r.python_calls.get(measure, {}).get(style) for d, r in sorted(by_depth.items())
            }
            timed = [r for r in by_depth.values() if r.steady and measure in STEADY_MEASURES]
            if not all(calls.values()) or any(style not in r.steady[measure] for r in timed):
                continue  # a style whose steady steps were not timed is not counted there
            points = [(d, c) for d in fitted for c in calls[d]]
            found.append(
                {
                    "measure": measure,
                    "style": style,
                    "calls": {d: [min(c), max(c)] for d, c in calls.items()},
                    "log_log": line_fit(
                        [math.log(d) for d, _ in points], [math.log(c) for _, c in points]
                    ),
                }
            )
    return found


def differing_functions(
    records: list[OneTimeRecord], least: float = DIFFERING_SHARE
) -> list[dict[str, Any]]:
    """At the deepest depth, per one-time measure and style whose calls differ from the
    reference's by more than `least` of them: the functions whose calls differ most."""
    if not records:
        return []
    deepest = max(records, key=lambda r: depth_of(r.arch))
    found = []
    for measure in ONE_TIME_MEASURES:
        counts = deepest.python_calls.get(measure, {})
        theirs = counts.get(deepest.reference)
        for style, functions in deepest.python_call_differences.get(measure, {}).items():
            mine = counts.get(style)
            if mine and theirs and abs(mine[-1] / theirs[-1] - 1) > least:
                found.append(
                    {
                        "depth": depth_of(deepest.arch),
                        "measure": measure,
                        "style": style,
                        "calls": [mine[-1], theirs[-1]],
                        "functions": functions,
                    }
                )
    return found
