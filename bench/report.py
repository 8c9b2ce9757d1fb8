"""Tables from records: results.json, summary.csv, summary.md and a README.md report.

The report never trains: it reads `runs.jsonl` and `sweep.json` and can be re-run at will
(`python -m bench report`).
"""

from __future__ import annotations

import datetime
import shlex
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from bench import plots
from bench.atomic import write_atomic
from bench.backends import BACKENDS, DEFAULT_BACKEND, model_name
from bench.capabilities import CHECKS
from bench.config import DEFAULT_TIME_MARGIN, PAIRED_PRECISION
from bench.environment import provenance_lines
from bench.records import (
    MEASURES,
    REFERENCE_STYLE,
    RUNS_FILE,
    SCHEMA_VERSION,
    SWEEP_FILE,
    PairedRecord,
    RunRecord,
    latest_by_run,
    read_json,
    read_paired,
    read_records,
    resolve_identity,
    write_json,
)
from bench.stats import (
    Comparison,
    Stats,
    compare_points,
    compare_ratios,
    describe,
    paired_comparisons,
    verdict_words,
)
from mnist_models import STYLES

# metric -> (label in tables, is a timing whose spread matters)
METRICS: dict[str, tuple[str, bool]] = {
    "test_accuracy": ("test accuracy", False),
    "test_loss": ("test loss", False),
    "build_seconds": ("build s", True),
    "compile_seconds": ("compile s", True),
    "first_epoch_seconds": ("first epoch s", True),
    "steady_epoch_seconds": ("steady epoch s", True),
    "steady_step_ms": ("steady step ms", True),
    "train_seconds": ("train s", True),
    "eval_seconds": ("eval s", True),
    "predict_images_per_second": ("predict img/s", True),
    "predict_latency_ms": ("latency ms", True),
    "time_to_target_seconds": ("time to target s", True),
    "achieved_gflops": ("GFLOP/s", True),
    "efficiency": ("efficiency (median)", True),
    "efficiency_best": ("efficiency (best)", True),
    "saved_model_bytes": (".keras bytes", False),
    "peak_rss_bytes": ("peak RSS bytes", False),
}
# What a higher value means, in words, for the metrics whose comparisons carry a direction.
HIGHER_MEANS = {
    "test_accuracy": ("higher", "lower"),
    "predict_images_per_second": ("faster", "slower"),
}
MEASURE_LABELS = {
    "train_step": "train step",
    "predict": "predict, 1,024 images",
    "latency": "latency, 1 image",
}
ACCURACY_MARGIN_POINTS = 0.2
COMPARED_TIMES = (
    "build_seconds",
    "compile_seconds",
    "first_epoch_seconds",
    "steady_step_ms",
    "train_seconds",
    "predict_images_per_second",
    "predict_latency_ms",
    "time_to_target_seconds",
)


# Compared across backends, each against TensorFlow: the compilation (first epoch), the
# steady step, and inference.
ACROSS_BACKENDS = (
    "test_accuracy",
    "first_epoch_seconds",
    "steady_step_ms",
    "predict_images_per_second",
    "predict_latency_ms",
)


class ReportError(RuntimeError):
    """There is nothing to report from."""


def latest_records(out: Path) -> list[RunRecord]:
    """The last record of each run in `out/runs.jsonl`, with identity resolved."""
    return resolve_identity(latest_by_run(read_records(out)))


def summarize(records: list[RunRecord], time_margin: float = DEFAULT_TIME_MARGIN
              ) -> dict[str, Any]:  # fmt: skip
    """Statistics per (backend, arch, style) and comparisons against the reference style."""
    ok = [r for r in records if r.status == "ok"]
    by_group: dict[tuple[str, str, str], list[RunRecord]] = defaultdict(list)
    for r in ok:
        by_group[(r.backend, r.arch, r.style)].append(r)

    stats_rows, warnings = [], []
    for (backend, arch, style), group in sorted(by_group.items(), key=_group_order):
        name = model_name(backend, arch)
        for metric, (label, is_timing) in METRICS.items():
            values = [getattr(r, metric) for r in group if getattr(r, metric) is not None]
            if not values:
                continue
            s = describe(values)
            stats_rows.append(
                {"backend": backend, "arch": arch, "style": style, "metric": metric,
                 **_stats_dict(s)}
            )  # fmt: skip
            if is_timing and s.unstable:
                warnings.append(
                    f"{name}/{style} {label}: unstable, standard deviation is "
                    f"{100 * s.cv:.0f} % of the mean (over 10 %); treat differences with care"
                )

    comparisons = []
    for (backend, arch, style), group in sorted(by_group.items(), key=_group_order):
        reference = {r.seed: r for r in by_group.get((backend, arch, REFERENCE_STYLE), [])}
        if style == REFERENCE_STYLE or not reference:
            continue
        for metric in ("test_accuracy", *COMPARED_TIMES):
            pairs = [
                (getattr(r, metric), getattr(reference[r.seed], metric))
                for r in group
                if r.seed in reference
                and getattr(r, metric) is not None
                and getattr(reference[r.seed], metric) is not None
            ]
            if not pairs:
                continue
            candidate, ref = [p[0] for p in pairs], [p[1] for p in pairs]
            if metric == "test_accuracy":
                c = compare_points(metric, candidate, ref, ACCURACY_MARGIN_POINTS)
            else:
                c = compare_ratios(metric, candidate, ref, time_margin)
            comparisons.append({"backend": backend, "arch": arch, "style": style, **c.to_dict()})

    warnings = identity_warnings(records) + node_warnings(ok) + warnings
    not_ok = [r for r in records if r.status != "ok"]
    for r in not_ok:
        first = (r.error or "").splitlines()[0] if r.error else ""
        warnings.append(
            f"{model_name(r.backend, r.arch)}/{r.style} seed={r.seed}: {r.status}. {first}".strip()
        )
    return {
        "stats": stats_rows,
        "comparisons": comparisons,
        "backend_comparisons": backend_comparisons(records, time_margin),
        "warnings": warnings,
    }


def backend_comparisons(records: list[RunRecord], time_margin: float = DEFAULT_TIME_MARGIN
                        ) -> list[dict[str, Any]]:  # fmt: skip
    """Each other backend against TensorFlow, per (arch, style), paired by seed.

    Fair only where the runs shared their start (`shared_start`: the same initial weights and
    batch order on every backend); without it the rows are left out.
    """
    ok = [r for r in records if r.status == "ok" and r.run_key]
    shared = {r.run_key for r in ok if '"shared_start": true' in r.run_key}
    by_seed = {(r.backend, r.arch, r.style, r.seed): r for r in ok if r.run_key in shared}
    found = []
    for backend in BACKENDS[1:]:
        for arch, style in sorted({(a, s) for b, a, s, _ in by_seed if b == backend},
                                  key=lambda k: (k[0], STYLES.index(k[1]))):  # fmt: skip
            for metric in ACROSS_BACKENDS:
                pairs = [
                    (getattr(r, metric), getattr(ref, metric))
                    for (b, a, st, seed), r in by_seed.items()
                    if (b, a, st) == (backend, arch, style)
                    and (ref := by_seed.get((DEFAULT_BACKEND, arch, style, seed))) is not None
                    and getattr(r, metric) is not None
                    and getattr(ref, metric) is not None
                ]
                if not pairs:
                    continue
                new, base = [p[0] for p in pairs], [p[1] for p in pairs]
                if metric == "test_accuracy":
                    c = compare_points(metric, new, base, ACCURACY_MARGIN_POINTS)
                else:
                    c = compare_ratios(metric, new, base, time_margin)
                found.append({"backend": backend, "reference_backend": DEFAULT_BACKEND,
                              "arch": arch, "style": style, **c.to_dict()})  # fmt: skip
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
    ]  # fmt: skip


def identity_warnings(records: list[RunRecord]) -> list[str]:
    """A line per run whose trained weights differ from the reference style's under determinism."""
    return [
        f"{model_name(r.backend, r.arch)}/{r.style} seed={r.seed}: trained weights DIFFER from "
        f"{REFERENCE_STYLE}'s under determinism; the styles did not compute the same thing"
        for r in records
        if r.status == "ok" and r.deterministic and r.identical_to_reference is False
    ]


def paired_summary(paired: list[PairedRecord], margin: float) -> tuple[list[dict], list[dict]]:
    """The paired phase's verdicts (results.json's `paired`) and per-style medians beside them.

    An architecture's processes are judged together, the process being the unit (see
    `stats.paired_comparisons`). Everything is derived from the raw burst times in
    `paired.jsonl`.
    """
    by_arch: dict[tuple[str, str], list[PairedRecord]] = defaultdict(list)
    for record in sorted(paired, key=lambda r: (BACKENDS.index(r.backend), r.arch, r.process)):
        if record.status == "ok":
            by_arch[(record.backend, record.arch)].append(record)
    entries, medians = [], []
    for (backend, arch), records in by_arch.items():
        first = records[0]
        processes = [r.ordered_seconds() for r in records]
        for measure, style, c in paired_comparisons(processes, first.reference, margin):
            calls = [r.steps_per_burst[measure] for r in records]
            entries.append(
                {
                    "backend": backend,
                    "arch": arch,
                    "style": style,
                    "reference": first.reference,
                    "measure": measure,
                    "ratio": c.estimate,
                    "ci_low": c.ci95_low,
                    "ci_high": c.ci95_high,
                    "ci90_low": c.ci90_low,
                    "ci90_high": c.ci90_high,
                    "margin_percent": margin,
                    "verdict": c.verdict,
                    "direction": c.direction,
                    "processes": len(records),
                    "rounds": sum(len(p[measure][style]) for p in processes),
                    # the interval is over processes when there are several, else over rounds
                    "interval_over": "processes" if len(records) > 1 else "rounds",
                    "steps_per_burst": round(statistics.median(calls)),
                    "steps_per_burst_by_process": calls,
                }
            )
        for measure in MEASURES:
            for style in first.styles:
                per_call = [
                    t / r.steps_per_burst[measure] for r in records for t in
                    r.seconds[measure][style]
                ]  # fmt: skip
                medians.append(
                    {
                        "backend": backend,
                        "arch": arch,
                        "style": style,
                        "measure": measure,
                        "median_ms_per_call": 1000 * statistics.median(per_call),
                        "rounds": len(per_call),
                    }
                )
    return entries, medians


def half_width_percent(entry: dict[str, Any]) -> float:
    """Half the 95 % interval of a paired ratio, in percent of the ratio."""
    return 50 * (entry["ci_high"] - entry["ci_low"]) / entry["ratio"]


def paired_precision_warnings(paired: list[dict[str, Any]]) -> list[str]:
    """A line per paired interval wider than its target: too noisy for the rounds given."""
    return [
        f"{model_name(e.get('backend'), e['arch'])}/{e['style']} paired "
        f"{MEASURE_LABELS[e['measure']]}: 95 % interval "
        f"±{half_width_percent(e):.1f} %, wider than the ±{PAIRED_PRECISION[e['measure']]:g} % "
        f"aimed for over {e['processes']} process(es); more --paired-processes narrow it "
        "(more rounds only narrow the part that varies within a process), as does a quieter "
        "machine"
        for e in paired
        if half_width_percent(e) > PAIRED_PRECISION[e["measure"]]
    ]


def paired_words(entry: dict[str, Any]) -> str:
    """A paired entry's verdict with its direction as time reads it: slower or faster."""
    c = Comparison(
        entry["measure"], entry["rounds"], "ratio", entry["ratio"], entry["ci_low"],
        entry["ci_high"], entry["ci90_low"], entry["ci90_high"], entry["margin_percent"],
        entry["verdict"], entry["direction"],
    )  # fmt: skip
    return verdict_words(c, "slower", "faster")


def _group_order(item):
    (backend, arch, style), _ = item
    return BACKENDS.index(backend), arch, STYLES.index(style)


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


def write_report(out: Path, time_margin: float | None = None) -> dict[str, Any]:
    """Regenerates every table and chart in `out` from its records; returns results.json's data.

    Args:
        out: a sweep's output directory.
        time_margin: the timing verdicts' margin in percent; None takes the sweep's own.

    Raises:
        ReportError: `out` holds no records or no sweep.json.
        RecordsFileError: a records file has a malformed line.
    """
    records = latest_records(out)
    if not records:
        raise ReportError(f"no runs recorded in {out / RUNS_FILE}; run `python -m bench` first")
    sweep_path = out / SWEEP_FILE
    if not sweep_path.exists():
        raise ReportError(f"{sweep_path} is missing; it is written when a sweep starts")
    sweep = read_json(sweep_path)
    config = sweep.get("config") or {}
    margin = time_margin or config.get("time_margin") or DEFAULT_TIME_MARGIN
    summary = summarize(records, margin)
    paired_records = read_paired(out)
    paired, paired_medians = paired_summary(paired_records, margin)
    summary["warnings"] += [
        f"{r.arch} paired timing: failed. {(r.error or '').splitlines()[0] if r.error else ''}"
        for r in paired_records
        if r.status != "ok"
    ] + paired_precision_warnings(paired)
    results = {
        "schema_version": SCHEMA_VERSION,
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "sweep_started_at": sweep.get("created_at"),
        "command": sweep.get("command"),
        "environment": sweep.get("environment"),
        "config": config,
        "time_margin_percent": margin,
        "paired": paired,
        "paired_medians": paired_medians,
        "runs": [r.to_dict() for r in records],
        "summary": summary,
        "capabilities": sweep.get("capabilities", {}),
    }
    write_json(out / "results.json", results)
    write_atomic(out / "summary.csv", pd.DataFrame(summary["stats"]).to_csv(index=False).encode())
    labelled = [{**e, "label": paired_words(e)} for e in paired]
    charts = plots.write_plots(records, out, labelled, margin)
    if summary["backend_comparisons"]:
        rows = [
            {**c, "label": METRICS[c["metric"]][0], "verdict": _verdict_words(c)}
            for c in summary["backend_comparisons"]
            if c["scale"] == "ratio"
        ]
        plots.write_comparison_chart(rows, out / "backends.png", margin, "backend / tensorflow")
        charts.append(out / "backends.png")
    summary_md = summary_markdown(records, summary, results["capabilities"], paired, margin)
    write_atomic(out / "summary.md", summary_md.encode())
    write_atomic(out / "README.md", readme(results, summary_md, charts).encode())
    return results


def paired_table(paired: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per (arch, style, measure): the ratio to the reference, its interval, verdict."""
    rows = [
        {
            "backend": e.get("backend", DEFAULT_BACKEND),
            "arch": e["arch"],
            "style": e["style"],
            "measure": MEASURE_LABELS[e["measure"]],
            "time ratio to sequential [95 % CI]": (
                f"{e['ratio']:.3f} [{e['ci_low']:.3f}, {e['ci_high']:.3f}]"
            ),
            "half-width": f"±{half_width_percent(e):.1f} %",
            "verdict": paired_words(e),
            "processes × rounds, calls/burst": (
                f"{e['processes']} × {e['rounds'] // e['processes']}, {e['steps_per_burst']}"
            ),
        }
        for e in paired
    ]
    return pd.DataFrame(rows)


def paired_medians_table(medians: list[dict[str, Any]]) -> pd.DataFrame:
    """Per style and measure, the median milliseconds per call in the paired phase."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for m in medians:
        backend = m.get("backend", DEFAULT_BACKEND)
        row = rows.setdefault(
            (backend, m["arch"], m["style"]),
            {"backend": backend, "arch": m["arch"], "style": m["style"]},
        )
        row[f"{MEASURE_LABELS[m['measure']]} ms"] = f"{m['median_ms_per_call']:.3f}"
    return pd.DataFrame(list(rows.values()))


def paired_console_lines(results: dict[str, Any]) -> list[str]:
    """The paired verdicts as the console shows them after a sweep."""
    if not results.get("paired"):
        return []
    lines = [
        "",
        "Does the style change speed? Each style against sequential, interleaved in each of "
        "several processes (time ratio, 95 % CI over processes; margin "
        f"±{results['time_margin_percent']:g} %):",
    ]
    for e in results["paired"]:
        lines.append(
            f"  {model_name(e.get('backend'), e['arch'])}/{e['style']:10s} "
            f"{MEASURE_LABELS[e['measure']]:22s} "
            f"{e['ratio']:.3f}× [{e['ci_low']:.3f}, {e['ci_high']:.3f}]  {paired_words(e)}"
        )
    return lines


def headline_table(records: list[RunRecord], summary: dict[str, Any]) -> pd.DataFrame:
    """One row per (backend, arch, style): the means a reader looks at first."""
    stats = {
        (s.get("backend", DEFAULT_BACKEND), s["arch"], s["style"], s["metric"]): s
        for s in summary["stats"]
    }
    rows = []
    for key in sorted(
        {(r.backend, r.arch, r.style) for r in records},
        key=lambda k: (BACKENDS.index(k[0]), k[1], STYLES.index(k[2])),
    ):
        backend, arch, style = key
        group = [r for r in records if (r.backend, r.arch, r.style) == key]
        ok = [r for r in group if r.status == "ok"]

        def mean(metric, scale=1.0, digits=2, key=key):
            s = stats.get((*key, metric))
            return "–" if s is None else f"{s['mean'] * scale:,.{digits}f}"

        acc = stats.get((*key, "test_accuracy"))
        if acc and acc["ci95_low"] is not None:
            low, high = 100 * acc["ci95_low"], 100 * acc["ci95_high"]
            acc_text = f"{100 * acc['mean']:.2f} [{low:.2f}, {high:.2f}]"
        else:
            acc_text = mean("test_accuracy", 100)
        identical = [r.identical_to_reference for r in ok if r.identical_to_reference is not None]
        rows.append(
            {
                "backend": backend,
                "arch": arch,
                "style": style,
                "params": f"{ok[0].params_total:,}" if ok else "–",
                "jit": _jit_cell(ok),
                "runs ok": f"{len(ok)}/{len(group)}",
                "test acc % [95 % CI]": acc_text,
                "first epoch s": mean("first_epoch_seconds"),
                "steady epoch s": mean("steady_epoch_seconds"),
                "step ms": mean("steady_step_ms"),
                "train s": mean("train_seconds", digits=1),
                "predict img/s": mean("predict_images_per_second", digits=0),
                "latency ms": mean("predict_latency_ms"),
                "time to target s": mean("time_to_target_seconds", digits=1),
                "GFLOP/s": mean("achieved_gflops", digits=1),
                "efficiency % (median)": mean("efficiency", 100, 1),
                "efficiency % (best)": mean("efficiency_best", 100, 1),
                ".keras KiB": mean("saved_model_bytes", 1 / 1024, 0),
                "peak RSS MiB": mean("peak_rss_bytes", 1 / 2**20, 0),
                "identical to sequential": _identity_cell(style, identical),
            }
        )
    return pd.DataFrame(rows)


def _jit_setting(setting: Any) -> str:
    """The sweep's --jit-compile; schema 2 sweeps stored a bool."""
    if isinstance(setting, bool):
        return "on" if setting else "off"
    if setting == "auto":
        return "auto (each backend's default; the jit column says what was used)"
    return str(setting)


def _jit_cell(ok: list[RunRecord]) -> str:
    used = {r.jit_compile for r in ok}
    return "–" if not used or None in used else "/".join("on" if u else "off" for u in used)


def _identity_cell(style: str, identical: list[bool]) -> str:
    if style == REFERENCE_STYLE:
        return "reference"
    if not identical:
        return "–"
    same = sum(identical)
    return f"{same}/{len(identical)}" + ("" if same == len(identical) else " **DIFFER**")


def comparison_table(summary: dict[str, Any]) -> pd.DataFrame:
    """Per-run comparisons against the reference style, paired by seed."""
    rows = []
    for c in summary["comparisons"]:
        rows.append(
            {
                "backend": c.get("backend", DEFAULT_BACKEND),
                "arch": c["arch"],
                "style": c["style"],
                "metric": METRICS[c["metric"]][0],
                "vs sequential": _estimate(c["estimate"], c["scale"]),
                "95 % CI": _interval(c),
                "margin": f"±{c['margin']:g} {'%' if c['scale'] == 'ratio' else 'pt'}",
                "verdict": _verdict_words(c),
            }
        )
    return pd.DataFrame(rows)


def backend_table(summary: dict[str, Any]) -> pd.DataFrame:
    """Each other backend against TensorFlow, per (arch, style), paired by seed."""
    rows = []
    for c in summary.get("backend_comparisons", []):
        rows.append(
            {
                "backend": c["backend"],
                "arch": c["arch"],
                "style": c["style"],
                "metric": METRICS[c["metric"]][0],
                "vs tensorflow": _estimate(c["estimate"], c["scale"]),
                "95 % CI": _interval(c),
                "verdict": _verdict_words(c),
            }
        )
    return pd.DataFrame(rows)


def _verdict_words(c: dict[str, Any]) -> str:
    """A stored comparison's verdict in the words its metric reads in (slower, more accurate)."""
    comparison = Comparison(**{k: c[k] for k in Comparison.__dataclass_fields__})
    return verdict_words(comparison, *HIGHER_MEANS.get(c["metric"], ("slower", "faster")))


def _interval(c: dict[str, Any]) -> str:
    if c["ci95_low"] is None:
        return "–"
    return f"[{_estimate(c['ci95_low'], c['scale'])}, {_estimate(c['ci95_high'], c['scale'])}]"


def _estimate(value: float, scale: str) -> str:
    return f"{value:.3f}×" if scale == "ratio" else f"{value:+.2f} pt"


def capability_table(capabilities: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """Yes/no per (arch, style) and check, in the order of STYLES and CHECKS; notes say why no."""
    order = [*CHECKS, *(f"keras_loads_on_{b}" for b in BACKENDS)]
    rows, notes = [], []
    for arch, styles in capabilities.items():
        for style in sorted(styles, key=STYLES.index):
            checks = styles[style]
            row = {"arch": arch, "style": style}
            for check in sorted(checks, key=lambda c: order.index(c) if c in order else 99):
                result = checks[check]
                row[check] = "yes" if result["ok"] else "**no**"
                if not result["ok"]:
                    error = " ".join(str(result["error"]).split())  # one line per note
                    notes.append(f"{arch}/{style} {check}: {error[:400]}")
            rows.append(row)
    frame = pd.DataFrame(rows)
    columns = ["arch", "style", *sorted(frame.columns[2:], key=lambda c: order.index(c)
                                         if c in order else 99)]  # fmt: skip
    # "–": a file is not loaded on the backend it was saved on (keras_save_load covers that)
    return frame[columns].fillna("–") if rows else frame, notes


def summary_markdown(records: list[RunRecord], summary: dict[str, Any],
                     capabilities: dict[str, Any], paired: list[dict[str, Any]] | None = None,
                     margin: float = DEFAULT_TIME_MARGIN) -> str:  # fmt: skip
    """The tables as GitHub Markdown: the paired speed verdicts first, then the runs."""
    parts = []
    differ = identity_warnings(records)
    if differ:
        parts += [
            "## ⚠ WARNING: styles trained to different weights\n",
            "Under op determinism every style of a seed should train to bitwise the same "
            "weights as Sequential. These did not:\n",
            "\n".join(f"- {line}" for line in differ) + "\n",
        ]
    if paired:
        parts += [
            "## Does the style change speed? (paired timing)\n",
            "Every style of an architecture built from one seed in one process and timed in "
            "interleaved rounds, a fresh style order each round, each style a ~50 ms burst of "
            "identical calls (warmed up, never tracing). The ratio is the geometric mean over "
            "rounds of the style's burst time over Sequential's in the same round (> 1: slower), "
            f"with its 95 % interval; the equivalence margin is ±{margin:g} %. Verdict rules: "
            'README, "How verdicts are made".\n',
            _md(paired_table(paired)),
        ]
    parts += [
        "## Results per style (means over seeds; each run in its own process)\n",
        "Accuracy, sizes and the end-to-end timings a user sees: each run is a whole `fit` in its "
        "own process, minutes apart from the others, so these timings are the noisier measure "
        "of speed; the paired timing above is the precise one.\n",
        _md(headline_table(records, summary)),
    ]
    across = backend_table(summary)
    if not across.empty:
        parts += [
            "\n## Across backends: each against TensorFlow, run by run (paired by seed)\n",
            "Every backend started from the same initial weights and saw the batches in the same "
            "order (a shared start); dropout masks come from each backend's own generator. "
            "Accuracy: the difference in points, margin ±"
            f"{ACCURACY_MARGIN_POINTS:g}. Times: the geometric mean ratio over seeds (> 1: "
            f"larger), margin ±{margin:g} %. The first epoch includes each backend's "
            "compilation.\n",
            _md(across),
        ]
    comparisons = comparison_table(summary)
    if not comparisons.empty:
        parts += [
            "\n## Each style against Sequential, run by run (paired by seed)\n",
            f"Accuracy: the difference in points, margin ±{ACCURACY_MARGIN_POINTS}. Times: the "
            f"geometric mean ratio over seeds (> 1: larger), margin ±{margin:g} %. Same "
            "verdict rules as above.\n",
            _md(comparisons),
        ]
    if capabilities:
        table, notes = capability_table(capabilities)
        parts += ["\n## What each style can do\n", _md(table)]
        if notes:
            parts += ["\n" + "\n".join(f"- {note}" for note in notes) + "\n"]
    if summary["warnings"]:
        parts += ["\n## Warnings\n", "\n".join(f"- {w}" for w in summary["warnings"]) + "\n"]
    return "\n".join(parts)


def _md(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False, disable_numparse=True) + "\n"


def readme(results: dict[str, Any], summary_md: str, charts: list[Path]) -> str:
    """The report a person reads: what ran, the tables, the charts, where, and how to redo it."""
    config = results.get("config") or {}
    settings = config.get("settings", {})
    env = results.get("environment") or {}
    command = results.get("command") or []
    git = env.get("git") or {}
    ok = sum(r["status"] == "ok" for r in results["runs"])
    lines = [
        "# mnist-styles-bench results",
        "",
        *provenance_lines(env.get("git")),
        "Generated by `python -m bench`; do not edit by hand. Regenerate the tables and charts "
        "from `runs.jsonl` and `paired.jsonl` with "
        "`python -m bench report --out <this directory>`.",
        "",
        "## What was run",
        "",
        f"- Profile `{config.get('profile')}`: backends "
        f"{', '.join(config.get('backends') or [settings.get('backend', 'tensorflow')])}; "
        f"architectures {', '.join(config.get('archs', []))}; "
        f"styles {', '.join(config.get('styles', []))}; seeds "
        f"{', '.join(map(str, config.get('seeds', [])))}.",
        f"- {settings.get('epochs')} epoch(s), batch size {settings.get('batch_size')}, Adam with "
        f"learning rate {settings.get('learning_rate')} decayed to 0 on a cosine, validation split "
        f"{settings.get('validation_split')}, training images "
        f"{settings.get('train_images') or 60000}, test images "
        f"{settings.get('test_images') or 10000}.",
        f"- Device {settings.get('device')}; op determinism "
        f"{'on' if settings.get('deterministic') else 'off'}; jit_compile "
        f"{_jit_setting(settings.get('jit_compile'))}; shared start "
        f"{'on' if settings.get('shared_start') else 'off'}; precision "
        f"{settings.get('precision', 'float32')}; steps per execution "
        f"{settings.get('steps_per_execution', 1)}; target accuracy "
        f"{settings.get('target_accuracy') or 'none'}.",
        f"- {ok} of {len(results['runs'])} runs finished ok. Data: {env.get('data_source', '?')}.",
        "",
        summary_md,
        "## Charts",
        "",
        *[f"![{path.stem}]({path.name})\n" for path in charts],
        "## Environment",
        "",
        f"- Python {env.get('python')}, TensorFlow {env.get('tensorflow')}, Keras "
        f"{env.get('keras')}, NumPy {env.get('numpy')}"
        + "".join(f", {name} {env[name]}" for name in ("jax", "jaxlib", "torch") if env.get(name)),
        f"- CPU: {env.get('cpu_model')}, {env.get('cpu_cores')} cores; device used: "
        f"{', '.join(sorted({r.get('device') or '?' for r in results['runs']}))}; float32 "
        f"matmul peak {_gflops(env.get('peak_matmul_gflops'))} GFLOP/s median, "
        f"{_gflops(env.get('peak_matmul_gflops_best'))} best",
        f"- OS: {env.get('os')}",
        f"- Code: commit {git.get('commit', 'unknown')}"
        + (" with uncommitted changes" if git.get("dirty") else ""),
        *_paired_code_line(env.get("paired_git"), git),
        "",
        "## Reproduce",
        "",
        "```",
        "python -m bench" + (" " + shlex.join(command) if command else ""),
        "```",
        "",
    ]
    return "\n".join(lines)


def _gflops(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _paired_code_line(paired_git: dict[str, Any] | None, git: dict[str, Any]) -> list[str]:
    """Where a resumed sweep redid its paired phase with other code than its runs'."""
    if not paired_git or paired_git.get("commit") == git.get("commit"):
        return []
    return [
        f"- Paired timing phase redone with `--resume` at commit {paired_git.get('commit')}"
        + (" with uncommitted changes" if paired_git.get("dirty") else "")
        + "; the runs are from the commit above"
    ]
