"""What changed between two sweeps (`python -m bench compare`), from their raw records."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.analysis.capabilities import changed_checks
from bench.analysis.counts import count_changes, program_changes
from bench.analysis.machines import machine_differences
from bench.analysis.metrics import METRICS, TRAINING, Metric
from bench.analysis.results import ReportError, sweep_results
from bench.analysis.stats import (
    BEYOND,
    compare_points,
    compare_unpaired_log_ratios,
    compare_unpaired_points,
)
from bench.plan.backends import DEFAULT_BACKEND
from bench.plan.settings import ACCURACY_MARGIN_POINTS, DEFAULT_TIME_MARGIN
from bench.plan.specs import ONE_TIME_MEASURES
from bench.store.files import RecordsFileError
from bench.store.records import read_one_time, read_steady

# Compared between sweeps: the metrics that name the settings they depend on.
COMPARED = {name: metric for name, metric in METRICS.items() if metric.depends_on}
ENVIRONMENT_KEYS = (
    "python",
    "tensorflow",
    "keras",
    "numpy",
    "os",
    "cpu_model",
    "cpu_cores",
)
# What must be equal for each seed's accuracy to be the same experiment in both sweeps.
SEED_PAIRING = (*TRAINING, "test_images", "shared_start")
GATE_MIN_RUNS = 2


class CompareError(ValueError):
    """A directory cannot be compared: missing, without results, or of another schema."""


@dataclass
class SweepComparison:
    """Everything `compare` found; `rows` and `paired` are what the files hold."""

    base: Path
    new: Path
    environment: list[dict[str, Any]] = field(default_factory=list)
    settings: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    paired: list[dict[str, Any]] = field(default_factory=list)  # style effects, BASE vs NEW
    notes: list[str] = field(default_factory=list)
    machines: list[str] = field(default_factory=list)  # why the machines differ; [] when alike
    accuracy_pairing: str = "unpaired (Welch)"
    thin: list[str] = field(default_factory=list)  # cells with too few runs for the gate
    checks: list[dict[str, Any]] = field(default_factory=list)  # capability checks that changed
    detectable: dict[str, Any] = field(default_factory=dict)
    counts: list[dict[str, Any]] = field(default_factory=list)  # Python calls that changed
    programs: list[dict[str, Any]] = field(default_factory=list)  # compiled steps that changed

    @property
    def machines_differ(self) -> bool:
        return bool(self.machines)

    def regressions(self) -> list[dict[str, Any]]:
        """The rows of gating metrics that got worse beyond their margin."""
        return [r for r in self.rows if r.get("regression")]


def load_results(directory: Path) -> dict[str, Any]:
    """A sweep's results from its raw records; raises CompareError where it has none."""
    if not directory.is_dir():
        raise CompareError(f"{directory} is not a directory; pass two sweep output directories")
    try:
        return sweep_results(directory)
    except (ReportError, RecordsFileError) as e:
        raise CompareError(str(e)) from None


def compare(
    base_dir: Path, new_dir: Path, time_margin: float = DEFAULT_TIME_MARGIN
) -> SweepComparison:
    """Compares NEW against BASE: environment, settings, every matched metric, paired verdicts."""
    base, new = load_results(base_dir), load_results(new_dir)
    found = SweepComparison(base_dir, new_dir)
    base_env, new_env = _environment(base), _environment(new)
    found.environment = _differences(base_env, new_env)
    found.machines = machine_differences(
        base.get("environment") or {}, new.get("environment") or {}
    )
    if base_env["devices"] != new_env["devices"]:
        found.machines.append(f"devices: {base_env['devices']} → {new_env['devices']}")
    base_settings, new_settings = _settings(base), _settings(new)
    found.settings = _differences(base_settings, new_settings)
    differing = {d["key"] for d in found.settings}
    base_groups, new_groups = _groups(base), _groups(new)
    by_seed = _pairs_by_seed(base, new, differing)
    if by_seed:
        found.accuracy_pairing = "paired by seed"
    for key in sorted(set(base_groups) | set(new_groups)):
        if key not in base_groups or key not in new_groups:
            side = "BASE" if key in base_groups else "NEW"
            found.notes.append(f"{'/'.join(key)} ran only in {side}: not compared")
            continue
        b, n = base_groups[key], new_groups[key]
        if min(len(b), len(n)) < GATE_MIN_RUNS:
            found.thin.append(f"{'/'.join(key)} (BASE seeds {_seeds(b)}; NEW seeds {_seeds(n)})")
        for metric, spec in COMPARED.items():
            row = _row(key, metric, spec, b, n, differing, time_margin, by_seed)
            if row is not None:
                found.rows.append(row)
    found.paired = style_effects(base_dir, new_dir, base, new, time_margin)
    found.checks = changed_checks(base.get("capabilities") or {}, new.get("capabilities") or {})
    found.detectable = detectable_sizes(found.rows)
    found.counts = count_changes(read_one_time(base_dir), read_one_time(new_dir))
    found.programs = program_changes(base.get("programs") or {}, new.get("programs") or {})
    if found.machines_differ:
        found.notes.append(
            "The machines differ: raw times compare machines as much as code. Each style's "
            "effect (a ratio within each sweep) is compared beside them."
        )
    return found


def _environment(results: dict[str, Any]) -> dict[str, Any]:
    env = results.get("environment") or {}
    values = {key: env.get(key) for key in ENVIRONMENT_KEYS}
    values["devices"] = ", ".join(sorted({r.get("device") or "?" for r in results["runs"]}))
    values["commit"] = (env.get("git") or {}).get("commit")
    return values


def _settings(results: dict[str, Any]) -> dict[str, Any]:
    return dict((results.get("config") or {}).get("settings") or {})


def _differences(base: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"key": key, "base": base.get(key), "new": new.get(key)}
        for key in sorted(set(base) | set(new))
        if base.get(key) != new.get(key)
    ]


def _seeds(runs: list[dict[str, Any]]) -> str:
    return ",".join(str(r["seed"]) for r in sorted(runs, key=lambda r: r["seed"])) or "none"


def _pairs_by_seed(base: dict[str, Any], new: dict[str, Any], differing: set[str]) -> bool:
    """Whether each seed's accuracy is the same experiment in both sweeps: op determinism on in
    both, the same seeds, data and settings (the code and the libraries may differ)."""
    settings = _settings(base), _settings(new)
    seeds = [{run["seed"] for run in r["runs"] if run.get("status") == "ok"} for r in (base, new)]
    sources = [(r.get("environment") or {}).get("data_source") for r in (base, new)]
    return (
        all(s.get("deterministic") for s in settings)
        and not differing & set(SEED_PAIRING)
        and seeds[0] == seeds[1]
        and len(seeds[0]) >= 2
        and sources[0] == sources[1]
    )


def _groups(results: dict[str, Any]) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for run in results["runs"]:
        if run.get("status") == "ok":
            backend = run.get("backend") or DEFAULT_BACKEND  # records before the backend axis
            groups[(backend, run["arch"], run["style"])].append(run)
    return groups


def _row(
    key,
    metric: str,
    spec: Metric,
    base_runs,
    new_runs,
    differing: set[str],
    margin: float,
    by_seed: bool,
) -> dict[str, Any] | None:
    backend, arch, style = key
    row = {"backend": backend, "arch": arch, "style": style, "metric": metric, "label": spec.label}
    blocking = sorted(differing & set(spec.depends_on))
    if blocking:
        return {**row, "verdict": f"not compared: {', '.join(blocking)} differ"}
    base = [r[metric] for r in base_runs if r.get(metric) is not None]
    new = [r[metric] for r in new_runs if r.get(metric) is not None]
    reached = {}
    if metric == "time_to_target_seconds":  # a run that never reached the target counts too
        reached = {
            "reached_base": f"{len(base)} of {len(base_runs)}",
            "reached_new": f"{len(new)} of {len(new_runs)}",
        }
        fewer = len(new) / len(new_runs) < len(base) / len(base_runs)
        if fewer:
            return {
                **row,
                **reached,
                "verdict": "fewer runs reached the target",
                "regression": spec.gates,
            }
    if not base or not new:
        return {**row, **reached, "verdict": "not compared: no values"} if reached else None
    pairing = "unpaired (Welch)"
    if spec.points and by_seed:
        seeds = {r["seed"]: r[metric] for r in base_runs if r.get(metric) is not None}
        pairs = [
            (r[metric], seeds[r["seed"]])
            for r in new_runs
            if r["seed"] in seeds and r.get(metric) is not None
        ]
        c = compare_points(
            metric, [p[0] for p in pairs], [p[1] for p in pairs], ACCURACY_MARGIN_POINTS, spec.words
        )
        pairing = "paired by seed"
    elif spec.points:
        c = compare_unpaired_points(metric, new, base, ACCURACY_MARGIN_POINTS, spec.words)
    else:
        logs = [[math.log(v) for v in values] for values in (new, base)]
        c = compare_unpaired_log_ratios(metric, *logs, margin, spec.words)
    worse = "lower" if spec.higher_is_better else "higher"
    return {
        **row,
        "change": c,
        "verdict": c.verdict,
        **reached,
        "n_base": len(base),
        "n_new": len(new),
        "pairing": pairing,
        "regression": spec.gates and c.kind == BEYOND and c.direction == worse,
    }


def detectable_sizes(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The smallest slowdown and accuracy drop this comparison could call a regression: the
    margin plus the interval's half-width (median over the gating rows, and the worst)."""
    found = {}
    for unit, key in (("ratio", "slowdown_percent"), ("points", "accuracy_drop_points")):
        sizes = []
        for r in rows:
            c = r.get("change")
            if c is None or c.unit != unit or c.ci95_low is None or not METRICS[r["metric"]].gates:
                continue
            if unit == "ratio":
                half = (math.log(c.ci95_high) - math.log(c.ci95_low)) / 2
                sizes.append(100 * ((1 + c.margin / 100) * math.exp(half) - 1))
            else:
                sizes.append(c.margin + (c.ci95_high - c.ci95_low) / 2)
        if sizes:
            found[key] = {"median": statistics.median(sizes), "worst": max(sizes), "n": len(sizes)}
    return found


def process_log_ratios(directory: Path) -> dict[tuple[str, str, str, str], list[float]]:
    """Each process's mean log ratio of a style to its reference, per (backend, arch, style,
    measure), from a sweep's raw paired and one-time records."""
    found: dict[tuple[str, str, str, str], list[float]] = defaultdict(list)
    steady = [(r, r.seconds) for r in read_steady(directory) if r.status == "ok"]
    once = [
        (r, {m: r.seconds[m] for m in ONE_TIME_MEASURES if m in r.seconds})
        for r in read_one_time(directory)
        if r.status == "ok"
    ]
    for record, seconds in steady + once:
        for measure, by_style in seconds.items():
            reference = by_style.get(record.reference) or []
            for style, times in by_style.items():
                if style != record.reference and times and reference:
                    logs = [math.log(t / r) for t, r in zip(times, reference, strict=True)]
                    found[(record.backend, record.arch, style, measure)].append(
                        statistics.fmean(logs)
                    )
    return found


def style_effects(
    base_dir: Path, new_dir: Path, base: dict[str, Any], new: dict[str, Any], margin: float
) -> list[dict[str, Any]]:
    """Each style's ratio to its reference in BASE and NEW, and NEW's over BASE's with a Welch
    interval: did the style's effect change? (A changed verdict word alone is no test.)"""

    def entries(results):
        return {(e.backend, e.arch, e.style, e.measure): e for e in results["paired"]}

    old, now = entries(base), entries(new)
    old_units, new_units = process_log_ratios(base_dir), process_log_ratios(new_dir)
    found = []
    for key in sorted(set(old) & set(now)):
        row = dict(zip(("backend", "arch", "style", "measure"), key, strict=True))
        row.update(base=old[key], new=now[key])
        entry_margin = old[key].margin if old[key].phase == "one_time" else margin
        if len(old_units.get(key, [])) >= 2 and len(new_units.get(key, [])) >= 2:
            c = compare_unpaired_log_ratios(key[3], new_units[key], old_units[key], entry_margin)
            row.update(change=c, verdict=c.verdict)
        else:
            row["verdict"] = "not compared: fewer than 2 processes on a side"
        found.append(row)
    return found
