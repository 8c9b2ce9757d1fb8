"""An upgrade judged in pairs: NEW over BASE per style and measure (docs/compare.md)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from bench.analysis.capabilities import LOST, changed_checks
from bench.analysis.counts import count_changes
from bench.analysis.stats import (
    BEYOND,
    CONFIDENCE,
    Verdict,
    compare_log_ratios,
    compare_points,
    t_quantile,
    verdict_kind,
)
from bench.analysis.summary import decided
from bench.plan.ab import SIDES
from bench.plan.settings import ACCURACY_MARGIN_POINTS
from bench.plan.specs import ONE_TIME_MEASURES, STEADY_MEASURES
from bench.store.capabilities import PREVIOUS_INSTALL, YES, label_of, outcome_of
from bench.store.records import OneTimeRecord, RunRecord

PHASE_OF = {**{m: "steady" for m in STEADY_MEASURES}, **{m: "one_time" for m in ONE_TIME_MEASURES}}


def process_values(record: OneTimeRecord) -> dict[tuple[str, str], float]:
    """One process's seconds per (measure, style): median cycle or per-call round, failures out."""
    found = {}
    for measure, by_style in record.seconds.items():
        for style, seconds in by_style.items():
            if seconds:
                found[measure, style] = statistics.median(seconds)
    for measure, by_style in record.steady.items():
        calls = record.steady_calls[measure]
        for style, seconds in by_style.items():
            if seconds:
                found[measure, style] = statistics.median(seconds) / calls
    return found


def pairs_of(
    records: Sequence[tuple[str, int, OneTimeRecord]],
) -> list[tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]]:
    """(BASE's values, NEW's values) of every pair whose two processes finished, in pair order;
    `records` holds (side, pair, record)."""
    by_pair: dict[int, dict[str, OneTimeRecord]] = {}
    for side, pair, record in records:
        if record.status == "ok":
            by_pair.setdefault(pair, {})[side] = record
    return [
        (process_values(sides["base"]), process_values(sides["new"]))
        for _, sides in sorted(by_pair.items())
        if len(sides) == 2
    ]


def _in_order(key: tuple[str, str]) -> tuple[int, int, str]:
    """Steady measures first, each phase's measures in the order a process times them."""
    measure, style = key
    order = (*STEADY_MEASURES, *ONE_TIME_MEASURES)
    return (PHASE_OF[measure] != "steady", order.index(measure), style)


def _margin(measure: str, time_margin: float, one_time_margin: float) -> float:
    return time_margin if PHASE_OF[measure] == "steady" else one_time_margin


def ab_entries(
    records: Sequence[tuple[str, int, OneTimeRecord]], time_margin: float, one_time_margin: float
) -> list[Verdict]:
    """NEW over BASE for every (measure, style) both sides timed, in the comparison shape every
    report uses, with `phase`, `style` and both sides' medians in ms."""
    return pair_entries(pairs_of(records), time_margin, one_time_margin)


def pair_entries(
    pairs: Sequence[tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]],
    time_margin: float,
    one_time_margin: float,
) -> list[Verdict]:
    """`ab_entries` from (BASE's values, NEW's values) per pair, as `pairs_of` gives them, each
    (measure, style) over the pairs whose two sides timed it."""
    keys = dict.fromkeys(k for base, new in pairs for k in base if k in new)
    entries = []
    for measure, style in sorted(keys, key=_in_order):
        # over the pairs that timed it: later pairs time only what is still undecided
        timed = [(b, n) for b, n in pairs if (measure, style) in b and (measure, style) in n]
        logs = [math.log(new[measure, style] / base[measure, style]) for base, new in timed]
        found = compare_log_ratios(measure, logs, _margin(measure, time_margin, one_time_margin))
        entries.append(
            Verdict.of(
                found,
                phase=PHASE_OF[measure],
                style=style,
                base_ms=1000 * statistics.median(base[measure, style] for base, _ in timed),
                new_ms=1000 * statistics.median(new[measure, style] for _, new in timed),
            )
        )
    return entries


def style_effects(
    records: Sequence[tuple[str, int, OneTimeRecord]],
    reference: str,
    time_margin: float,
    one_time_margin: float,
) -> list[Verdict]:
    """Per (measure, style): (NEW style / NEW reference) over (BASE style / BASE reference); an
    upgrade that slows every style alike leaves these at 1."""
    pairs = pairs_of(records)
    if not pairs:
        return []
    found = []
    for measure, style in sorted(pairs[0][0], key=_in_order):
        if style == reference or not all(
            (measure, s) in side
            for base, new in pairs
            for side in (base, new)
            for s in (style, reference)
        ):
            continue
        logs = [
            math.log(new[measure, style] / new[measure, reference])
            - math.log(base[measure, style] / base[measure, reference])
            for base, new in pairs
        ]
        c = compare_log_ratios(measure, logs, _margin(measure, time_margin, one_time_margin))
        found.append(Verdict.of(c, phase=PHASE_OF[measure], style=style))
    return found


def smallest_detectable(entry: Verdict) -> float | None:
    """The smallest slowdown, in percent, whose 95 % interval this entry's spread would have
    kept clear of 1: its half-width on the log scale, as a ratio."""
    if entry.ci95_low is None:
        return None
    half = (math.log(entry.ci95_high) - math.log(entry.ci95_low)) / 2
    return 100 * math.expm1(half)


def accuracy_entry(
    runs: Sequence[tuple[str, RunRecord]], margin_points: float = ACCURACY_MARGIN_POINTS
) -> dict[str, Any] | None:
    """NEW − BASE test accuracy in points, paired by seed (exactly 0 for an unchanged install
    under op determinism); None when no seed finished on both sides."""
    by_seed: dict[int, dict[str, RunRecord]] = {}
    for side, record in runs:
        if record.status == "ok" and record.test_accuracy is not None:
            by_seed.setdefault(record.seed, {})[side] = record
    seeds = sorted(seed for seed, sides in by_seed.items() if len(sides) == 2)
    if not seeds:
        return None
    base = [by_seed[seed]["base"].test_accuracy for seed in seeds]
    new = [by_seed[seed]["new"].test_accuracy for seed in seeds]
    found = compare_points("test_accuracy", new, base, margin_points)
    return {
        "change": found,
        "seeds": seeds,
        "styles": [by_seed[s]["base"].style for s in seeds],
        "base": base,
        "new": new,
    }


def accuracy_dropped(entry: dict[str, Any] | None) -> bool:
    """Whether the gate fails on accuracy: a drop whose interval excludes 0 with its estimate
    past the margin, as for a slowdown."""
    c = entry and entry["change"]
    return bool(c) and c.direction == "lower" and c.estimate < -c.margin


def capability_changes(base: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Changed capability outcomes, checks NEW did not record, BASE workers that failed, and
    `.keras` files BASE saved that NEW cannot load; each regression marked."""
    changes = changed_checks(base, new)
    for model, styles in sorted(base.items()):
        for style, checks in sorted(styles.items()):
            recorded = new.get(model, {}).get(style, {})
            why = recorded.get("worker", {}).get("error") or "NEW recorded no outcome"
            changes += [
                _lost(model, style, check, YES, "not recorded", why)
                for check, found in sorted(checks.items())
                if check not in recorded and outcome_of(found) == YES
            ]
            # BASE's worker failed where NEW's did not: reported, though nothing was lost
            if "worker" in checks and "worker" not in recorded:
                failed = _lost(model, style, "worker", "failed", "ran", checks["worker"]["error"])
                changes.append({**failed, "regression": False})
    for model, styles in sorted(new.items()):
        for style, checks in sorted(styles.items()):
            loaded = checks.get(PREVIOUS_INSTALL)
            if loaded is not None and outcome_of(loaded) in LOST:
                changes.append(
                    _lost(
                        model,
                        style,
                        PREVIOUS_INSTALL,
                        "saved",
                        outcome_of(loaded),
                        loaded.get("error"),
                    )
                )
    return changes


def _lost(
    model: str, style: str, check: str, was: str, now: str, error: str | None
) -> dict[str, Any]:
    return {
        "model": model,
        "style": style,
        "check": check,
        "label": label_of(check),
        "base": was,
        "new": now,
        "error": error,
        "regression": True,
    }


def regressions(entries: Sequence[Verdict], family: int | None = None) -> list[Verdict]:
    """The entries the gate fails on: a slowdown beyond the margin, or one past it whose interval
    excludes 1 once widened for the `family` judged together (Bonferroni; `family=1`: alone),
    since among some thirty 95 % intervals one excludes 1 by chance in most A/A runs."""
    family = len(entries) if family is None else family
    found = []
    for e in entries:
        if e.direction != "higher" or e.estimate <= 1 + e.margin / 100:
            continue
        if verdict_kind(e.verdict) == BEYOND or _excludes_one(e, family):
            found.append(e)
    return found


def _excludes_one(entry: Verdict, family: int) -> bool:
    """Whether the entry's interval, at 95 % for the whole family (1 − 0.05 / family), lies
    above 1: its 95 % half-width on the log scale, rescaled by the two t quantiles."""
    centre, low = math.log(entry.estimate), math.log(entry.ci95_low)
    df = entry.n - 1
    widen = t_quantile(1 - (1 - CONFIDENCE) / family, df) / t_quantile(CONFIDENCE, df)
    return centre - (centre - low) * widen > 0


def side_count_changes(records: Sequence[tuple[str, int, OneTimeRecord]]) -> list[dict[str, Any]]:
    """Every Python call count that changed, BASE's processes against NEW's."""
    return count_changes(*([r for s, _, r in records if s == side] for side in SIDES))


def undecided_measures(
    entries: Sequence[Verdict], records: Sequence[tuple[str, int, OneTimeRecord]]
) -> tuple[str, ...]:
    """The measures a later pair still times: those with a verdict undecided, less those whose
    Python calls grew (a regression found exactly, whatever the timing says)."""
    grown = {c["measure"] for c in side_count_changes(records) if c["regression"]}
    open_ = {e.measure for e in entries if not decided(e)} - grown
    return tuple(m for m in (*ONE_TIME_MEASURES, *STEADY_MEASURES) if m in open_)


def gate_fails(found: dict[str, Any]) -> bool:
    """Whether `--fail-on-regression` exits 1 on a report (`ab.json`'s content): a slowdown,
    an accuracy drop or a lost capability."""
    return bool(
        found["regressions"]
        or found["accuracy_dropped"]
        or found["capabilities_lost"]
        or found.get("more_python_work")
    )
