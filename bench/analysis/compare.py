"""What changed between two sweeps (`python -m bench compare BASE NEW`), with intervals and
verdicts; `bench.render.compare` writes it down.

Reads each directory's `results.json` (never trains). Runs are matched on (backend, arch, style);
each metric is compared only where the settings it depends on are equal, and the settings that
differ are listed first. Two sweeps' runs are different runs even for one seed, so comparisons
are unpaired (Welch): times as ratios of geometric means, accuracy as a difference in points,
under the same verdict rules as the rest of the report (docs/methodology.md, "How verdicts are
made").
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.analysis.metrics import METRICS, Metric
from bench.analysis.stats import (
    BEYOND,
    compare_unpaired_points,
    compare_unpaired_ratios,
    verdict_words,
)
from bench.plan.backends import DEFAULT_BACKEND
from bench.plan.settings import ACCURACY_MARGIN_POINTS, DEFAULT_TIME_MARGIN
from bench.store.schema import READABLE_SCHEMAS, RESULTS_FILE, upgrade_results

# Compared between sweeps: the metrics that name the settings they depend on.
COMPARED = {name: metric for name, metric in METRICS.items() if metric.depends_on}
ENVIRONMENT_KEYS = (
    "python", "tensorflow", "keras", "numpy", "os", "cpu_model", "cpu_cores",
    "peak_matmul_gflops", "peak_matmul_gflops_best",
)  # fmt: skip
MACHINE_KEYS = ("cpu_model", "cpu_cores", "devices")


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
    paired: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    machines_differ: bool = False

    def regressions(self) -> list[dict[str, Any]]:
        """The rows of gating metrics that got worse beyond their margin."""
        return [r for r in self.rows if r.get("regression")]


def load_results(directory: Path) -> dict[str, Any]:
    """A sweep's results.json, checked for the schema this code reads.

    Raises:
        CompareError: no such directory, no results.json, or another schema version.
    """
    if not directory.is_dir():
        raise CompareError(f"{directory} is not a directory; pass two sweep output directories")
    path = directory / RESULTS_FILE
    if not path.is_file():
        raise CompareError(
            f"{path} is missing; run `python -m bench report --out {directory}` to build it"
        )
    try:
        results = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise CompareError(f"{path}: not JSON ({e.msg})") from None
    version = results.get("schema_version") if isinstance(results, dict) else None
    if version not in READABLE_SCHEMAS:
        raise CompareError(
            f"{path} has schema_version {version}; this version of the harness compares "
            f"schemas {', '.join(map(str, READABLE_SCHEMAS))}: rebuild it with "
            f"`python -m bench report --out {directory}` (runs recorded under an older schema "
            "cannot be compared)"
        )
    return upgrade_results(results)


def compare(base_dir: Path, new_dir: Path, time_margin: float = DEFAULT_TIME_MARGIN
            ) -> SweepComparison:  # fmt: skip
    """Compares NEW against BASE: environment, settings, every matched metric, paired verdicts."""
    base, new = load_results(base_dir), load_results(new_dir)
    found = SweepComparison(base_dir, new_dir)
    found.environment = _differences(_environment(base), _environment(new))
    found.machines_differ = any(d["key"] in MACHINE_KEYS for d in found.environment)
    base_settings, new_settings = _settings(base), _settings(new)
    found.settings = _differences(base_settings, new_settings)
    differing = {d["key"] for d in found.settings}
    base_groups, new_groups = _groups(base), _groups(new)
    for key in sorted(set(base_groups) | set(new_groups)):
        if key not in base_groups or key not in new_groups:
            side = "BASE" if key in base_groups else "NEW"
            found.notes.append(f"{'/'.join(key)} ran only in {side}: not compared")
            continue
        for metric, spec in COMPARED.items():
            row = _row(key, metric, spec, base_groups[key], new_groups[key], differing, time_margin)
            if row is not None:
                found.rows.append(row)
    found.paired = _paired_changes(base, new)
    if found.machines_differ:
        found.notes.append(
            "The machines differ: raw times compare machines as much as code. Efficiency (each "
            "run's share of its own machine's matmul peak) is compared beside them."
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


def _groups(results: dict[str, Any]) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for run in results["runs"]:
        if run.get("status") == "ok":
            backend = run.get("backend") or DEFAULT_BACKEND  # records before the backend axis
            groups[(backend, run["arch"], run["style"])].append(run)
    return groups


def _row(key, metric: str, spec: Metric, base_runs, new_runs, differing: set[str],
         margin: float) -> dict[str, Any] | None:  # fmt: skip
    backend, arch, style = key
    row = {"backend": backend, "arch": arch, "style": style, "metric": metric,
           "label": spec.label}  # fmt: skip
    blocking = sorted(differing & set(spec.depends_on))
    if blocking:
        return {**row, "verdict": f"not compared: {', '.join(blocking)} differ"}
    base = [r[metric] for r in base_runs if r.get(metric) is not None]
    new = [r[metric] for r in new_runs if r.get(metric) is not None]
    if not base or not new:
        return None
    if spec.points:
        c = compare_unpaired_points(metric, new, base, ACCURACY_MARGIN_POINTS)
    else:
        c = compare_unpaired_ratios(metric, new, base, margin)
    worse = "lower" if spec.higher_is_better else "higher"
    return {
        **row,
        **c.to_dict(),
        "n_base": len(base),
        "n_new": len(new),
        "verdict": verdict_words(c, *spec.words),
        "regression": spec.gates and c.verdict == BEYOND and c.direction == worse,
    }


def _paired_changes(base: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Each style's paired comparison with Sequential in both sweeps, and whether its verdict
    moved."""

    def by_key(results):
        return {(e["backend"], e["arch"], e["style"], e["measure"]): e for e in results["paired"]}

    old, now = by_key(base), by_key(new)
    return [
        {
            "backend": key[0],
            "arch": key[1],
            "style": key[2],
            "measure": key[3],
            "base": old[key],
            "new": now[key],
            "changed": old[key]["verdict"] != now[key]["verdict"],
        }
        for key in sorted(set(old) & set(now))
    ]
