"""Python work, counted: each style's function calls against the reference's, per measure, from
the counting cycles in `one_time.jsonl` (`bench.worker.counts`). A count is exact: the same in
every cycle and process of one software stack, or reported with its range where it is not."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from bench.plan.specs import ONE_TIME_MEASURES, STEADY_MEASURES
from bench.store.records import OneTimeRecord

COUNTED = (*ONE_TIME_MEASURES, *STEADY_MEASURES)


def count_entries(records: list[OneTimeRecord]) -> list[dict[str, Any]]:
    """Per (backend, arch, style other than the reference, measure): the style's calls and the
    reference's (medians over every count), their ratio, whether every count of both was the
    same, their ranges, and the functions whose calls differ most (from the first process)."""
    by_model: dict[tuple[str, str], list[OneTimeRecord]] = defaultdict(list)
    for r in records:
        if r.status == "ok" and r.python_calls:
            by_model[(r.backend, r.arch)].append(r)
    found = []
    for (backend, arch), group in by_model.items():
        reference = group[0].reference
        for measure in COUNTED:
            counts = defaultdict(list)
            for r in group:
                for style, values in r.python_calls.get(measure, {}).items():
                    counts[style] += values
            theirs = counts.get(reference)
            for style in group[0].styles:
                mine = counts.get(style)
                if style == reference or not mine or not theirs:
                    continue
                found.append(
                    {
                        "backend": backend,
                        "arch": arch,
                        "style": style,
                        "reference": reference,
                        "measure": measure,
                        "calls": statistics.median(mine),
                        "reference_calls": statistics.median(theirs),
                        "ratio": statistics.median(mine) / statistics.median(theirs),
                        "exact": len(set(mine)) == 1 and len(set(theirs)) == 1,
                        "range": [min(mine), max(mine)],
                        "reference_range": [min(theirs), max(theirs)],
                        "counts": len(mine),
                        "functions": group[0]
                        .python_call_differences.get(measure, {})
                        .get(style, []),
                    }
                )
    return found


def calls_text(entry: dict[str, Any]) -> str:
    """A style's calls against the reference's: "49,605 / 108,154 = 0.46×", with the ranges
    where the counts varied."""

    def shown(value, spread):
        return (
            f"{value:,.0f}"
            if spread[0] == spread[1]
            else f"{value:,.0f} [{spread[0]:,}–{spread[1]:,}]"
        )

    return (
        f"{shown(entry['calls'], entry['range'])} / "
        f"{shown(entry['reference_calls'], entry['reference_range'])} = {entry['ratio']:.2f}×"
    )
