"""`python -m bench compare BASE NEW`: what changed between two sweeps, with intervals and verdicts.

Reads each directory's `results.json` (never trains). Runs are matched on (backend, arch, style);
each metric is compared only where the settings it depends on are equal, and the settings that
differ are listed first. Two sweeps' runs are different runs even for one seed, so comparisons
are unpaired (Welch): times as ratios of geometric means, accuracy as a difference in points,
under the same verdict rules as the rest of the report (README "How verdicts are made").
"""

from __future__ import annotations

import datetime
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from bench.atomic import write_atomic
from bench.config import DEFAULT_TIME_MARGIN
from bench.records import SCHEMA_VERSION, write_json
from bench.report import paired_words
from bench.stats import (
    BEYOND,
    Comparison,
    compare_unpaired_points,
    compare_unpaired_ratios,
    verdict_words,
)

RESULTS_FILE = "results.json"
ACCURACY_MARGIN_POINTS = 0.2

# The settings that change what a training run computes.
TRAINING = (
    "epochs", "batch_size", "learning_rate", "validation_split", "train_images", "precision",
    "deterministic", "jit_compile", "steps_per_execution",
)  # fmt: skip
STEP = ("batch_size", "precision", "deterministic", "jit_compile", "steps_per_execution")
INFERENCE = ("precision", "jit_compile", "steps_per_execution")


@dataclass(frozen=True)
class Metric:
    """A compared metric: its label, the settings it depends on, and which way is worse."""

    label: str
    depends_on: tuple[str, ...]
    words: tuple[str, str] = ("slower", "faster")  # what a higher and a lower value mean
    higher_is_better: bool = False
    points: bool = False  # accuracy: a difference in points rather than a ratio
    gates: bool = True  # a regression here fails --fail-on-regression


METRICS: dict[str, Metric] = {
    "test_accuracy": Metric(
        "test accuracy", (*TRAINING, "test_images"), ("higher", "lower"), True, points=True
    ),
    "steady_step_ms": Metric("steady step ms", STEP),
    "first_epoch_seconds": Metric("first epoch s", (*STEP, "train_images", "validation_split")),
    "train_seconds": Metric("train s", TRAINING),
    "predict_images_per_second": Metric(
        "predict img/s", INFERENCE, ("faster", "slower"), higher_is_better=True
    ),
    "predict_latency_ms": Metric("latency ms", INFERENCE),
    "time_to_target_seconds": Metric("time to target s", (*TRAINING, "target_accuracy")),
    "efficiency": Metric(
        "efficiency (median)", STEP, ("higher", "lower"), higher_is_better=True, gates=False
    ),
    "peak_rss_bytes": Metric("peak RSS", TRAINING, ("larger", "smaller"), gates=False),
}
ENVIRONMENT_KEYS = (
    "python", "tensorflow", "keras", "numpy", "os", "cpu_model", "cpu_cores",
    "peak_matmul_gflops", "peak_matmul_gflops_best",
)  # fmt: skip
MACHINE_KEYS = ("cpu_model", "cpu_cores", "devices")


# Schema 3 only added fields (the backend axis: absent means TensorFlow), so 2 still compares.
COMPARABLE_SCHEMAS = (2, SCHEMA_VERSION)


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

    def regressions(self) -> list[str]:
        """One line per gating metric that got worse beyond its margin."""
        return [
            f"{r['backend']}/{r['arch']}/{r['style']} {r['label']}: {r['new_vs_base']} "
            f"{r['ci95']} ({r['verdict']})"
            for r in self.rows
            if r.get("regression")
        ]


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
    if version not in COMPARABLE_SCHEMAS:
        raise CompareError(
            f"{path} has schema_version {version}; this version of the harness compares "
            f"schemas {', '.join(map(str, COMPARABLE_SCHEMAS))}: rebuild it with "
            f"`python -m bench report --out {directory}` (runs recorded under an older schema "
            "cannot be compared)"
        )
    return results


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
        for metric, spec in METRICS.items():
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
            backend = run.get("backend") or "tensorflow"  # records before the backend axis
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
        "new_vs_base": _estimate(c),
        "ci95": _interval(c),
        "verdict": verdict_words(c, *spec.words),
        "regression": spec.gates and c.verdict == BEYOND and c.direction == worse,
    }


def _estimate(c: Comparison) -> str:
    return f"{c.estimate:+.2f} pt" if c.scale == "points" else f"{c.estimate:.3f}×"


def _interval(c: Comparison) -> str:
    if c.ci95_low is None:
        return "–"
    if c.scale == "points":
        return f"[{c.ci95_low:+.2f}, {c.ci95_high:+.2f}]"
    return f"[{c.ci95_low:.3f}, {c.ci95_high:.3f}]"


def _paired_changes(base: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Each style's paired ratio to Sequential in both sweeps, and whether its verdict moved."""

    def by_key(results):
        return {
            (e.get("backend") or "tensorflow", e["arch"], e["style"], e["measure"]): e
            for e in results.get("paired") or []
        }

    old, now = by_key(base), by_key(new)
    return [
        {
            "backend": key[0],
            "arch": key[1],
            "style": key[2],
            "measure": key[3],
            "base": _ratio_text(old[key]),
            "base_verdict": paired_words(old[key]),
            "new": _ratio_text(now[key]),
            "new_verdict": paired_words(now[key]),
            "changed": old[key]["verdict"] != now[key]["verdict"],
        }
        for key in sorted(set(old) & set(now))
    ]


def _ratio_text(entry: dict[str, Any]) -> str:
    return f"{entry['ratio']:.3f}× [{entry['ci_low']:.3f}, {entry['ci_high']:.3f}]"


def markdown(found: SweepComparison, margin: float) -> str:
    """compare.md: environment and settings first, then every metric, then the paired verdicts."""
    parts = [
        "# Two sweeps compared",
        "",
        f"BASE `{found.base}` against NEW `{found.new}`. Ratios are NEW / BASE (geometric means "
        "of independent runs, Welch 95 % interval), accuracy differences in points; verdicts "
        f"follow the project's rules with a ±{margin:g} % margin for times and "
        f"±{ACCURACY_MARGIN_POINTS} points for accuracy.",
        "",
        "## What differs besides the code",
        "",
    ]
    if found.environment:
        parts += [_md(pd.DataFrame(found.environment))]
    else:
        parts += ["Nothing: same versions, same machine.", ""]
    parts += ["## Settings that differ", ""]
    if found.settings:
        parts += [
            _md(pd.DataFrame(found.settings)),
            "Metrics that depend on a differing setting are listed as not compared.",
            "",
        ]
    else:
        parts += ["None.", ""]
    if found.notes:
        parts += ["\n".join(f"- {note}" for note in found.notes), ""]
    columns = ["backend", "arch", "style", "label", "new_vs_base", "ci95", "n_base", "n_new",
               "verdict"]  # fmt: skip
    table = pd.DataFrame(found.rows).reindex(columns=columns).astype(object).fillna("–")
    table = table.rename(columns={"label": "metric", "new_vs_base": "NEW vs BASE",
                                  "ci95": "95 % CI"})  # fmt: skip
    parts += ["## Every metric, NEW against BASE", "", _md(table)]
    if found.paired:
        parts += [
            "## Did any style's speed relative to Sequential change? (paired timing)",
            "",
            _md(pd.DataFrame(found.paired)),
        ]
    regressions = found.regressions()
    parts += ["## Regressions", ""]
    parts += [f"- {line}" for line in regressions] if regressions else ["None."]
    return "\n".join(parts) + "\n"


def _md(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False, disable_numparse=True) + "\n"


def write_comparison(found: SweepComparison, out: Path, margin: float) -> str:
    """Writes compare.md, compare.csv, compare.json and compare.png into `out`; returns the md."""
    from bench import plots

    text = markdown(found, margin)
    write_atomic(out / "compare.md", text.encode())
    buffer = io.StringIO()
    pd.DataFrame(found.rows).to_csv(buffer, index=False)
    write_atomic(out / "compare.csv", buffer.getvalue().encode())
    write_json(
        out / "compare.json",
        {
            "schema_version": SCHEMA_VERSION,
            "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"
            ),
            "base": str(found.base),
            "new": str(found.new),
            "time_margin_percent": margin,
            "environment_differences": found.environment,
            "settings_differences": found.settings,
            "machines_differ": found.machines_differ,
            "notes": found.notes,
            "rows": found.rows,
            "paired": found.paired,
            "regressions": found.regressions(),
        },
    )
    plots.write_comparison_chart(
        [r for r in found.rows if r.get("scale") == "ratio"], out / "compare.png", margin
    )
    return text
