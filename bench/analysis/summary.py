"""What the records say: per-style statistics, comparisons, paired verdicts and warnings."""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.analysis.metrics import (
    BACKEND_COMPARED,
    MEASURE_LABELS,
    METRICS,
    STYLE_COMPARED,
    words_for,
)
from bench.analysis.programs import PROOFS
from bench.analysis.stats import (
    AT_MARGIN,
    BEYOND,
    EQUIVALENT,
    UNCLEAR,
    WITHIN,
    Comparison,
    Stats,
    Verdict,
    compare_points,
    compare_ratios,
    describe,
    paired_comparisons,
    process_log_ratios,
    variance_components,
)
from bench.plan import specs
from bench.plan.backends import BACKENDS, DEFAULT_BACKEND, model_name
from bench.plan.settings import (
    ACCURACY_MARGIN_POINTS,
    DEFAULT_TIME_MARGIN,
    PRECISION,
)
from bench.store.records import (
    OneTimeRecord,
    RunRecord,
    SteadyRecord,
    first_line,
    latest_by_run,
    read_records,
    references,
    resolve_identity,
)
from mnist_models import form_order


def latest_records(out: Path) -> list[RunRecord]:
    """The last record of each run in `out/runs.jsonl`, with identity resolved."""
    return resolve_identity(latest_by_run(read_records(out)))


def summarize(records: list[RunRecord], time_margin: float = DEFAULT_TIME_MARGIN) -> dict[str, Any]:
    """Statistics per (backend, arch, style) and comparisons against the reference style."""
    ok = [r for r in records if r.status == "ok"]
    by_group: dict[tuple[str, str, str], list[RunRecord]] = defaultdict(list)
    for r in ok:
        by_group[(r.backend, r.arch, r.style)].append(r)

    stats_rows, warnings = [], []
    for (backend, arch, style), group in sorted(by_group.items(), key=_group_order):
        name = model_name(backend, arch)
        for metric, spec in METRICS.items():
            values = [getattr(r, metric) for r in group if getattr(r, metric) is not None]
            if not values:
                continue
            s = describe(values)
            stats_rows.append(
                {
                    "backend": backend,
                    "arch": arch,
                    "style": style,
                    "metric": metric,
                    **_stats_dict(s),
                }
            )
            if spec.timing and s.unstable:
                warnings.append(
                    f"{name}/{style} {spec.label}: unstable, standard deviation is "
                    f"{100 * s.cv:.0f} % of the mean (over 10 %); treat differences with care"
                )

    comparisons = []
    reference_of = references(ok)
    for (backend, arch, style), group in sorted(by_group.items(), key=_group_order):
        reference_style = reference_of[(backend, arch)]
        reference = {r.seed: r for r in by_group.get((backend, arch, reference_style), [])}
        if style == reference_style or not reference:
            continue
        labels = dict(
            phase="run", backend=backend, arch=arch, style=style, reference=reference_style
        )
        comparisons += _by_seed(group, reference, STYLE_COMPARED, time_margin, labels)

    warnings = identity_warnings(records) + node_warnings(ok) + warnings
    not_ok = [r for r in records if r.status != "ok"]
    for r in not_ok:
        warnings.append(
            f"{model_name(r.backend, r.arch)}/{r.style} seed={r.seed}: {r.status}. "
            f"{first_line(r.error)}".strip()
        )
    return {
        "stats": stats_rows,
        "comparisons": comparisons,
        "backend_comparisons": backend_comparisons(records, time_margin),
        "warnings": warnings,
    }


def compare_pairs(metric: str, pairs: list[tuple[float, float]], time_margin: float) -> Comparison:
    """(candidate, reference) pairs of one metric judged: accuracy in points, the rest as ratios."""
    candidate, reference = [p[0] for p in pairs], [p[1] for p in pairs]
    if METRICS[metric].points:
        return compare_points(metric, candidate, reference, ACCURACY_MARGIN_POINTS)
    return compare_ratios(metric, candidate, reference, time_margin, words_for(metric))


def _by_seed(
    group: list[RunRecord],
    reference: dict[int, RunRecord],
    metrics: tuple[str, ...],
    time_margin: float,
    labels: dict[str, str],
) -> list[Verdict]:
    """Each metric of `group`'s runs against the same seed's `reference` run, judged."""
    found = []
    for metric in metrics:
        pairs = [
            (getattr(r, metric), getattr(reference[r.seed], metric))
            for r in group
            if r.seed in reference
            and getattr(r, metric) is not None
            and getattr(reference[r.seed], metric) is not None
        ]
        if pairs:
            found.append(
                Verdict.of(
                    compare_pairs(metric, pairs, time_margin), **labels, interval_over="pairs"
                )
            )
    return found


def backend_comparisons(
    records: list[RunRecord], time_margin: float = DEFAULT_TIME_MARGIN
) -> list[dict[str, Any]]:
    """Each other backend against TensorFlow per (arch, style), by seed, under a shared start."""
    ok = [r for r in records if r.status == "ok" and r.run_key]
    shared = {r.run_key for r in ok if json.loads(r.settings_key).get("shared_start")}
    by_seed = {(r.backend, r.arch, r.style, r.seed): r for r in ok if r.run_key in shared}
    found = []
    for backend in BACKENDS[1:]:
        for arch, style in sorted(
            {(a, s) for b, a, s, _ in by_seed if b == backend},
            key=lambda k: (k[0], form_order(k[1])),
        ):
            group = [r for k, r in by_seed.items() if k[:3] == (backend, arch, style)]
            reference = {
                k[3]: r for k, r in by_seed.items() if k[:3] == (DEFAULT_BACKEND, arch, style)
            }
            labels = dict(
                phase="backend", backend=backend, arch=arch, style=style, reference=DEFAULT_BACKEND
            )
            found += _by_seed(group, reference, BACKEND_COMPARED, time_margin, labels)
    return found


def node_warnings(records: list[RunRecord]) -> list[str]:
    """A line per model whose runs, compared with each other, ran on different kinds of node."""
    kinds: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if r.node:
            kinds[model_name(r.backend, r.arch)].add(
                f"{r.node.get('cpu_model')} ({r.node.get('cpu_cores')} cores)"
            )
    return [
        f"{name}: its runs ran on different kinds of node ({'; '.join(sorted(found))}); the "
        "timing comparisons between its styles mix machines, so read them with care"
        for name, found in kinds.items()
        if len(found) > 1
    ]


def identity_warnings(records: list[RunRecord]) -> list[str]:
    """A line per run whose trained weights differ from the reference style's under determinism."""
    reference_of = references(records)
    return [
        f"{model_name(r.backend, r.arch)}/{r.style} seed={r.seed}: trained weights DIFFER from "
        f"{reference_of[(r.backend, r.arch)]}'s under determinism; the styles did not compute "
        "the same thing"
        for r in records
        if r.status == "ok" and r.deterministic and r.identical_to_reference is False
    ]


def paired_summary(paired: list[SteadyRecord], margin: float) -> tuple[list[Verdict], list[dict]]:
    """The paired verdicts (process as the unit) and per-style medians, from `steady.jsonl`."""
    by_arch: dict[tuple[str, str], list[SteadyRecord]] = defaultdict(list)
    for record in sorted(paired, key=lambda r: (BACKENDS.index(r.backend), r.arch, r.process)):
        if record.status == "ok":
            by_arch[(record.backend, record.arch)].append(record)
    entries, medians = [], []
    for (backend, arch), model_records in by_arch.items():
        # each measure over the processes that timed it: an adaptive phase stops timing a
        # measure once its intervals meet their aims
        for measure in specs.STEADY_MEASURES:
            records = [r for r in model_records if measure in r.seconds]
            if records:
                found, per_style = _paired_measure(backend, arch, measure, records, margin)
                entries += found
                medians += per_style
    return entries, medians


def _paired_measure(
    backend: str, arch: str, measure: str, records: list[SteadyRecord], margin: float
) -> tuple[list[dict], list[dict]]:
    """`paired_summary`'s entries and medians of one measure of one model."""
    first = records[0]
    processes = [{measure: r.ordered_seconds()[measure]} for r in records]
    logs = process_log_ratios(processes, first.reference)
    calls = [r.steps_per_burst[measure] for r in records]
    per_call = {
        style: [t / _calls(r, measure) for r in records for t in r.seconds[measure][style]]
        for style in first.styles
    }
    entries = [
        Verdict.of(
            c,
            phase="steady",
            backend=backend,
            arch=arch,
            style=style,
            reference=first.reference,
            processes=len(records),
            rounds=sum(len(p[measure][style]) for p in processes),
            # the interval is over processes when there are several, else over rounds
            interval_over="processes" if len(records) > 1 else "rounds",
            steps_per_burst=round(statistics.median(calls)),
            steps_per_burst_by_process=calls,
            instances=first.instances,
            reference_ms=1000 * statistics.median(per_call[first.reference]),
            difference_ms=1000 * statistics.median(_round_differences(records, measure, style)),
            **variance_components(logs[(measure, style)]),
        )
        for _, style, c in paired_comparisons(processes, first.reference, margin)
    ]
    medians = [
        {
            "backend": backend,
            "arch": arch,
            "style": style,
            "measure": measure,
            "median_ms_per_call": 1000 * statistics.median(times),
            "rounds": len(times),
        }
        for style, times in per_call.items()
    ]
    return entries, medians


def _calls(record: SteadyRecord, measure: str) -> int:
    """The calls a round's time of one style holds: a burst on each of its instances."""
    return record.steps_per_burst[measure] * record.instances


def _round_differences(records: list[SteadyRecord], measure: str, style: str) -> list[float]:
    """A style's time per call less the reference's in the same round, over every round."""
    return [
        (mine - theirs) / _calls(r, measure)
        for r in records
        for mine, theirs in zip(
            r.seconds[measure][style], r.seconds[measure][r.reference], strict=True
        )
    ]


def half_width_percent(entry: Verdict) -> float:
    """Half the 95 % interval of a paired ratio, in percent of the ratio."""
    return 50 * (entry.ci95_high - entry.ci95_low) / entry.estimate


def share_of_aim(entry: Verdict) -> float:
    """An entry's 95 % half-width over its aim (≤ 1 meets it); infinite without an interval."""
    if entry.ci95_low is None:
        return math.inf
    return half_width_percent(entry) / PRECISION[entry.measure]


TIMED_DECIDED = (EQUIVALENT, WITHIN, BEYOND, AT_MARGIN)  # a timing's verdicts a reader can act on
DECIDED = (*TIMED_DECIDED, *PROOFS)


def decided(entry: Verdict) -> bool:
    """Whether a paired entry's verdict is decided: equivalent, or a difference within, beyond
    or at the margin. "Size unclear" and "inconclusive" are not."""
    return entry.kind in DECIDED


def undecided_reason(entry: Verdict) -> str:
    """Why an entry's verdict is not decided, in numbers."""
    low, high, margin = entry.ci95_low, entry.ci95_high, entry.margin
    if low is None:
        return "too few processes for an interval"
    interval = f"[{low:.3f}, {high:.3f}]"
    if entry.kind == UNCLEAR:
        return f"{interval} excludes 1 but straddles the ±{margin:g} % margin"
    return f"{interval} holds 1 and reaches past the ±{margin:g} % margin"


def undecided_warnings(paired: list[Verdict]) -> list[str]:
    """A line per paired verdict left undecided, with why in numbers."""
    return [
        f"{model_name(e.backend, e.arch)}/{e.style} paired "
        f"{MEASURE_LABELS[e.measure].label}: undecided after {e.processes} process(es): "
        f"{undecided_reason(e)}"
        for e in paired
        if not decided(e)
    ]


def mixed_records_warnings(records: list[Any]) -> list[str]:
    """A line per paired phase whose processes ran under different `OPTIONS` (a --resume under
    other options), since the report pools what a phase holds."""
    ways: dict[tuple[str, str, str], dict[str, set]] = {}
    for r in records:
        if r.status != "ok":
            continue
        phase = "one-time costs" if isinstance(r, OneTimeRecord) else "paired timing"
        found = ways.setdefault((r.backend, r.arch, phase), {})
        for name in r.OPTIONS:
            value = getattr(r, name)
            found.setdefault(name, set()).add(",".join(value) if isinstance(value, list) else value)
    lines = []
    for (backend, arch, phase), found in ways.items():
        mixed = [
            f"{name} {' and '.join(map(str, sorted(values)))}"
            for name, values in found.items()
            if len(values) > 1
        ]
        if mixed:
            lines.append(
                f"{model_name(backend, arch)} {phase}: its processes were recorded with "
                f"different options ({'; '.join(mixed)}) and are pooled here; run the sweep "
                "again without --resume, or resume it with its first options"
            )
    return lines


def _group_order(item):
    (backend, arch, style), _ = item
    return BACKENDS.index(backend), arch, form_order(style)


def _stats_dict(s: Stats) -> dict[str, Any]:
    return {
        "n": s.n,
        "mean": s.mean,
        "stdev": s.stdev,
        "min": s.min,
        "max": s.max,
        "ci95_low": s.ci95_low,
        "ci95_high": s.ci95_high,
        "cv": s.cv,
    }
