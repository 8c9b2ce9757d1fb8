"""Python work, counted: each style's function calls against the reference's, per measure."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from bench.analysis.metrics import MEASURE_LABELS
from bench.plan.specs import ONE_TIME_MEASURES, STEADY_MEASURES
from bench.store.records import OneTimeRecord

COUNTED = (*ONE_TIME_MEASURES, *STEADY_MEASURES)
# How far a count that varied within a side must grow to be a regression: the first train
# step's, the one that varies, moved by 3 calls in 941,278 (0.0003 %) between cycles of one
# process; 0.1 % is over 300 times that
GROWTH = 0.001


def count_entries(records: list[OneTimeRecord]) -> list[dict[str, Any]]:
    """Per (backend, arch, style, measure): the style's and the reference's calls, their ratio,
    whether exact, the functions that differ most, and the most those calls can cost in ms."""
    first: dict[tuple[str, str], OneTimeRecord] = {}
    for r in records:
        if r.status == "ok" and r.python_calls:
            first.setdefault((r.backend, r.arch), r)
    counts, bounds = side_counts(records), _bounds_ms(records)
    found = []
    for (backend, arch), record in first.items():
        reference = record.reference
        for measure in COUNTED:
            theirs = counts.get((backend, arch, reference, measure))
            for style in record.styles:
                mine = counts.get((backend, arch, style, measure))
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
                        "functions": record.python_call_differences.get(measure, {}).get(style, []),
                        "bound_ms": bounds.get((backend, arch, style, measure)),
                    }
                )
    return found


def _spread(spread: list[int]) -> str:
    """A range of counts: one number where they agreed."""
    return f"{spread[0]:,}" if spread[0] == spread[1] else f"{spread[0]:,}–{spread[1]:,}"


def calls_text(entry: dict[str, Any]) -> str:
    """A style's calls against the reference's: "49,605 / 108,154 = 0.46×", with the ranges
    where the counts varied."""

    def shown(value, spread):
        return f"{value:,.0f}" + ("" if spread[0] == spread[1] else f" [{_spread(spread)}]")

    return (
        f"{shown(entry['calls'], entry['range'])} / "
        f"{shown(entry['reference_calls'], entry['reference_range'])} = {entry['ratio']:.2f}×"
    )


def side_counts(records: list[OneTimeRecord]) -> dict[tuple[str, str, str, str], list[int]]:
    """Every count of one sweep or side, per (backend, arch, style, measure)."""
    found: dict[tuple[str, str, str, str], list[int]] = defaultdict(list)
    for r in records:
        for measure, by_style in (r.python_calls if r.status == "ok" else {}).items():
            for style, values in by_style.items():
                found[(r.backend, r.arch, style, measure)] += values
    return found


def _bounds_ms(records: list[OneTimeRecord]) -> dict[tuple[str, str, str, str], float]:
    found: dict[tuple[str, str, str, str], float] = {}
    for r in records:
        for measure, by_style in (r.python_call_bound_seconds if r.status == "ok" else {}).items():
            for style, seconds in by_style.items():
                key = (r.backend, r.arch, style, measure)
                found[key] = max(found.get(key, 0.0), 1000 * seconds)
    return found


def count_changes(base: list[OneTimeRecord], new: list[OneTimeRecord]) -> list[dict[str, Any]]:
    """Every count whose NEW range leaves BASE's; a regression grew past BASE's exact count, or
    by `GROWTH` where either side varied (exact work has no noise to hide in)."""
    before, after = side_counts(base), side_counts(new)
    found = []
    for key in sorted(set(before) & set(after)):
        was, now = before[key], after[key]
        if min(now) <= max(was) and max(now) >= min(was):
            continue
        # exact where each side counted at least twice, always alike: one count proves nothing
        exact = all(len(side) > 1 and len(set(side)) == 1 for side in (was, now))
        grew = min(now) > max(was) * (1 if exact else 1 + GROWTH)
        found.append(
            dict(zip(("backend", "arch", "style", "measure"), key, strict=True))
            | {"base": [min(was), max(was)], "new": [min(now), max(now)], "regression": grew}
        )
    return found


def program_changes(base: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step whose compiled program changed between BASE and NEW (sweep.json's
    `programs`), with both operation counts: a change of kernels no count can see."""
    found = []
    for backend, by_arch in new.items():
        for arch, now in by_arch.items():
            was = (base.get(backend) or {}).get(arch) or {}
            for step, by_style in (now.get("steps") or {}).items():
                for style, program in by_style.items():
                    before = (was.get("steps") or {}).get(step, {}).get(style)
                    if before and before["sha256"] != program["sha256"]:
                        found.append(
                            {"backend": backend, "arch": arch, "style": style, "step": step}
                            | {"base": before["operations"], "new": program["operations"]}
                        )
    return found


def count_line(change: dict[str, Any]) -> str:
    """A count that changed, BASE → NEW, each as its range where it varied."""
    return (
        f"{change['backend']}/{change['arch']}/{change['style']} "
        f"{MEASURE_LABELS[change['measure']].label}: {_spread(change['base'])} → "
        f"{_spread(change['new'])} calls"
    )


def program_line(change: dict[str, Any]) -> str:
    """A compiled step that changed, BASE → NEW, with both sides' operation counts."""
    return (
        f"{change['backend']}/{change['arch']}/{change['style']} {change['step']} step: "
        f"{change['base']} → {change['new']} operations"
    )
