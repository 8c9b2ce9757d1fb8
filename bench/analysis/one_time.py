"""What each style costs once: verdicts, drift over cycles, from `one_time.jsonl`'s cycles."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

from bench.analysis.stats import (
    Verdict,
    compare_log_mean,
    compare_log_ratios,
    describe,
    variance_components,
)
from bench.plan.backends import BACKENDS, model_name
from bench.plan.specs import ONE_TIME_MEASURES
from bench.store.records import OneTimeRecord


def _cycle_pairs(record: OneTimeRecord, measure: str, style: str) -> list[tuple[float, float]]:
    """(`style`'s time, the reference's) in each cycle of one process, in seconds."""
    times = record.seconds.get(measure, {})
    candidate, reference = times.get(style) or [], times.get(record.reference) or []
    return list(zip(candidate, reference, strict=False))


def _log_ratios(record: OneTimeRecord, measure: str, style: str) -> list[float]:
    """The cycle-by-cycle log ratio of `style`'s time to the reference's, in one process."""
    return [math.log(c / r) for c, r in _cycle_pairs(record, measure, style)]


def _slope(values: list[float]) -> float:
    """The least-squares slope of `values` on their index."""
    n = len(values)
    mean_x, mean_y = (n - 1) / 2, statistics.fmean(values)
    sxx = sum((i - mean_x) ** 2 for i in range(n))
    return sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values)) / sxx


def _milliseconds(group: list[OneTimeRecord], measure: str, style: str) -> dict[str, float]:
    """The reference's median time and the style's median difference from it in the same
    cycle, in ms: what a ratio means at this model's size."""
    pairs = [pair for r in group for pair in _cycle_pairs(r, measure, style)]
    if not pairs:
        return {}
    return {
        "reference_ms": 1000 * statistics.median(r for _, r in pairs),
        "difference_ms": 1000 * statistics.median(c - r for c, r in pairs),
    }


def one_time_entries(records: list[OneTimeRecord], margin: float) -> list[Verdict]:
    """The one-time verdicts, an interval over cycles, widened to the processes' standard error
    where they spread more than their cycles explain (docs/methodology.md, "One-time costs")."""
    entries = []
    for (backend, arch, reference, measure, style), group in _series(records):
        if style == reference:
            continue
        per_process = [logs for logs in (_log_ratios(r, measure, style) for r in group) if logs]
        if not per_process:
            continue  # the style, or the reference, could not do this step
        values = [v for logs in per_process for v in logs]
        if len(values) < 2 or statistics.stdev(values) == 0:
            c = compare_log_ratios(measure, values, margin)
        else:
            se = one_time_standard_error(per_process)
            c = compare_log_mean(
                measure, statistics.fmean(values), se, len(values) - 1, len(values), margin
            )
        entries.append(
            Verdict.of(
                c,
                phase="one_time",
                backend=backend,
                arch=arch,
                style=style,
                reference=reference,
                processes=len(per_process),
                cycles=sum(len(logs) for logs in per_process),
                interval_over="cycles",
                **_milliseconds(group, measure, style),
                **variance_components(per_process),
            )
        )
    return entries


def one_time_standard_error(per_process: list[list[float]]) -> float:
    """The standard error of the mean log ratio over every cycle, never below the one over the
    processes' means (where there are two or more)."""
    values = [v for logs in per_process for v in logs]
    se = statistics.stdev(values) / math.sqrt(len(values))
    means = [statistics.fmean(logs) for logs in per_process]
    if len(means) > 1:
        se = max(se, statistics.stdev(means) / math.sqrt(len(means)))
    return se


def one_time_drift(records: list[OneTimeRecord]) -> list[dict[str, Any]]:
    """Per model, measure and style: the slope of log time (or log ratio) on cycle index, in %
    per cycle, with its 95 % interval over processes."""
    found = []
    for (backend, arch, reference, measure, style), group in _series(records):
        if style == reference:
            times = (r.seconds.get(measure, {}).get(style) or [] for r in group)
            series = [[math.log(t) for t in values] for values in times]
        else:
            series = [_log_ratios(r, measure, style) for r in group]
        slopes = [_slope(values) for values in series if len(values) >= 3]
        if not slopes:
            continue
        s = describe(slopes) if len(slopes) > 1 else None
        found.append(
            {
                "backend": backend,
                "arch": arch,
                "style": style,
                "measure": measure,
                "of": "time" if style == reference else "ratio to reference",
                "percent_per_cycle": 100 * math.expm1(statistics.fmean(slopes)),
                "ci95_low": None if s is None else 100 * math.expm1(s.ci95_low),
                "ci95_high": None if s is None else 100 * math.expm1(s.ci95_high),
                "processes": len(slopes),
            }
        )
    return found


def one_time_failures(records: list[OneTimeRecord]) -> list[str]:
    """A line per (model, style, measure) a style could not do, with the first reason."""
    seen: dict[tuple[str, str, str, str], str] = {}
    for r in records:
        for style, failed in r.failures.items():
            for measure, reason in failed.items():
                seen.setdefault((r.backend, r.arch, style, measure), reason)
    return [
        f"{model_name(backend, arch)}/{style} {measure}: {reason}"
        for (backend, arch, style, measure), reason in seen.items()
    ]


def _series(records: list[OneTimeRecord]):
    """((backend, arch, reference, measure, style), the model's ok records) for every measure
    and style of every model, in report order."""
    groups: dict[tuple[str, str], list[OneTimeRecord]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (BACKENDS.index(r.backend), r.arch, r.process)):
        if r.status == "ok":
            groups[(r.backend, r.arch)].append(r)
    for (backend, arch), group in groups.items():
        for measure in ONE_TIME_MEASURES:
            for style in group[0].styles:
                yield (backend, arch, group[0].reference, measure, style), group
