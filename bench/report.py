"""Tables from records: results.json, summary.csv, summary.md and a README.md report.

The report never trains: it reads `runs.jsonl` and `sweep.json` and can be re-run at will
(`python -m bench report`).
"""

from __future__ import annotations

import datetime
import shlex
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from bench import plots
from bench.capabilities import CHECKS
from bench.data import write_atomic
from bench.records import (
    REFERENCE_STYLE,
    RUNS_FILE,
    SCHEMA_VERSION,
    SWEEP_FILE,
    RunRecord,
    latest_by_run,
    read_json,
    read_records,
    resolve_identity,
    write_json,
)
from bench.stats import Comparison, Stats, compare, describe
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
    "efficiency": ("efficiency", True),
    "saved_model_bytes": (".keras bytes", False),
    "peak_rss_bytes": ("peak RSS bytes", False),
}
ACCURACY_MARGIN_POINTS = 0.2
TIME_MARGIN_PERCENT = 5.0
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


class ReportError(RuntimeError):
    """There is nothing to report from."""


def latest_records(out: Path) -> list[RunRecord]:
    """The last record of each run in `out/runs.jsonl`, with identity resolved."""
    return resolve_identity(latest_by_run(read_records(out)))


def summarize(records: list[RunRecord]) -> dict[str, Any]:
    """Statistics per (arch, style) and paired comparisons against the reference style."""
    ok = [r for r in records if r.status == "ok"]
    by_group: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for r in ok:
        by_group[(r.arch, r.style)].append(r)

    stats_rows, warnings = [], []
    for (arch, style), group in sorted(by_group.items(), key=_group_order):
        for metric, (label, is_timing) in METRICS.items():
            values = [getattr(r, metric) for r in group if getattr(r, metric) is not None]
            if not values:
                continue
            s = describe(values)
            stats_rows.append({"arch": arch, "style": style, "metric": metric, **_stats_dict(s)})
            if is_timing and s.unstable:
                warnings.append(
                    f"{arch}/{style} {label}: unstable, standard deviation is "
                    f"{100 * s.cv:.0f} % of the mean (over 10 %); treat differences with care"
                )

    comparisons = []
    for (arch, style), group in sorted(by_group.items(), key=_group_order):
        reference = {r.seed: r for r in by_group.get((arch, REFERENCE_STYLE), [])}
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
            relative = metric != "test_accuracy"
            c = compare(
                metric,
                [p[0] for p in pairs],
                [p[1] for p in pairs],
                margin=TIME_MARGIN_PERCENT if relative else ACCURACY_MARGIN_POINTS,
                relative=relative,
            )
            comparisons.append({"arch": arch, "style": style, **_comparison_dict(c, relative)})

    not_ok = [r for r in records if r.status != "ok"]
    for r in not_ok:
        first = (r.error or "").splitlines()[0] if r.error else ""
        warnings.append(f"{r.arch}/{r.style} seed={r.seed}: {r.status}. {first}".strip())
    return {"stats": stats_rows, "comparisons": comparisons, "warnings": warnings}


def _group_order(item):
    (arch, style), _ = item
    return arch, STYLES.index(style)


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


def _comparison_dict(c: Comparison, relative: bool) -> dict[str, Any]:
    return {
        "metric": c.metric,
        "unit": "% of reference" if relative else "accuracy points",
        "n": c.n,
        "diff": c.diff,
        "ci95_low": c.ci95_low,
        "ci95_high": c.ci95_high,
        "margin": c.margin,
        "verdict": c.verdict,
    }


def write_report(out: Path) -> dict[str, Any]:
    """Regenerates every table and chart in `out` from its records; returns results.json's data.

    Raises:
        ReportError: `out` holds no records or no sweep.json.
    """
    records = latest_records(out)
    if not records:
        raise ReportError(f"no runs recorded in {out / RUNS_FILE}; run `python -m bench` first")
    sweep_path = out / SWEEP_FILE
    if not sweep_path.exists():
        raise ReportError(f"{sweep_path} is missing; it is written when a sweep starts")
    sweep = read_json(sweep_path)
    summary = summarize(records)
    results = {
        "schema_version": SCHEMA_VERSION,
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "sweep_started_at": sweep.get("created_at"),
        "command": sweep.get("command"),
        "environment": sweep.get("environment"),
        "config": sweep.get("config"),
        "runs": [r.to_dict() for r in records],
        "summary": summary,
        "capabilities": sweep.get("capabilities", {}),
    }
    write_json(out / "results.json", results)
    write_atomic(out / "summary.csv", pd.DataFrame(summary["stats"]).to_csv(index=False).encode())
    charts = plots.write_plots(records, out)
    summary_md = summary_markdown(records, summary, results["capabilities"])
    write_atomic(out / "summary.md", summary_md.encode())
    write_atomic(out / "README.md", readme(results, summary_md, charts).encode())
    return results


def headline_table(records: list[RunRecord], summary: dict[str, Any]) -> pd.DataFrame:
    """One row per (arch, style): the means a reader looks at first."""
    stats = {(s["arch"], s["style"], s["metric"]): s for s in summary["stats"]}
    rows = []
    for arch, style in sorted(
        {(r.arch, r.style) for r in records}, key=lambda k: (k[0], STYLES.index(k[1]))
    ):
        group = [r for r in records if (r.arch, r.style) == (arch, style)]
        ok = [r for r in group if r.status == "ok"]

        def mean(metric, scale=1.0, digits=2, arch=arch, style=style):
            s = stats.get((arch, style, metric))
            return "–" if s is None else f"{s['mean'] * scale:,.{digits}f}"

        acc = stats.get((arch, style, "test_accuracy"))
        if acc and acc["ci95_low"] is not None:
            low, high = 100 * acc["ci95_low"], 100 * acc["ci95_high"]
            acc_text = f"{100 * acc['mean']:.2f} [{low:.2f}, {high:.2f}]"
        else:
            acc_text = mean("test_accuracy", 100)
        identical = [r.identical_to_reference for r in ok if r.identical_to_reference is not None]
        rows.append(
            {
                "arch": arch,
                "style": style,
                "params": f"{ok[0].params_total:,}" if ok else "–",
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
                "efficiency %": mean("efficiency", 100, 1),
                ".keras KiB": mean("saved_model_bytes", 1 / 1024, 0),
                "peak RSS MiB": mean("peak_rss_bytes", 1 / 2**20, 0),
                "identical to sequential": f"{sum(identical)}/{len(identical)}"
                if identical
                else "–",
            }
        )
    return pd.DataFrame(rows)


def comparison_table(summary: dict[str, Any]) -> pd.DataFrame:
    rows = [
        {
            "arch": c["arch"],
            "style": c["style"],
            "metric": METRICS[c["metric"]][0],
            "difference": _signed(c["diff"], c["unit"]),
            "95 % CI": (
                "–"
                if c["ci95_low"] is None
                else f"[{_signed(c['ci95_low'], c['unit'])}, {_signed(c['ci95_high'], c['unit'])}]"
            ),
            "margin": f"±{c['margin']:g} {'%' if c['unit'].startswith('%') else 'pt'}",
            "verdict": c["verdict"],
        }
        for c in summary["comparisons"]
    ]
    return pd.DataFrame(rows)


def _signed(value: float, unit: str) -> str:
    suffix = " %" if unit.startswith("%") else " pt"
    return f"{value:+.2f}{suffix}"


def capability_table(capabilities: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """Yes/no per (arch, style) and check, in the order of STYLES and CHECKS; notes say why no."""
    rows, notes = [], []
    for arch, styles in capabilities.items():
        for style in sorted(styles, key=STYLES.index):
            checks = styles[style]
            row = {"arch": arch, "style": style}
            for check in sorted(checks, key=lambda c: CHECKS.index(c) if c in CHECKS else 99):
                result = checks[check]
                row[check] = "yes" if result["ok"] else "**no**"
                if not result["ok"]:
                    notes.append(f"{arch}/{style} {check}: {result['error']}")
            rows.append(row)
    return pd.DataFrame(rows), notes


def summary_markdown(
    records: list[RunRecord], summary: dict[str, Any], capabilities: dict[str, Any]
) -> str:
    """The tables as GitHub Markdown."""
    parts = ["## Results per style (means over seeds)\n", _md(headline_table(records, summary))]
    comparisons = comparison_table(summary)
    if not comparisons.empty:
        parts += [
            "\n## Each style against Sequential (paired by seed)\n",
            f"Equivalent: the 95 % CI of the difference lies within ±{ACCURACY_MARGIN_POINTS} "
            f"accuracy points, or ±{TIME_MARGIN_PERCENT:g} % of the Sequential time. Different: "
            "the CI excludes zero and leaves the margin. Otherwise inconclusive.\n",
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
        "Generated by `python -m bench`; do not edit by hand. Regenerate the tables and charts "
        "from `runs.jsonl` with `python -m bench report --out <this directory>`.",
        "",
        "## What was run",
        "",
        f"- Profile `{config.get('profile')}`: architectures {', '.join(config.get('archs', []))}; "
        f"styles {', '.join(config.get('styles', []))}; seeds "
        f"{', '.join(map(str, config.get('seeds', [])))}.",
        f"- {settings.get('epochs')} epoch(s), batch size {settings.get('batch_size')}, Adam with "
        f"learning rate {settings.get('learning_rate')} decayed to 0 on a cosine, validation split "
        f"{settings.get('validation_split')}, training images "
        f"{settings.get('train_images') or 60000}, test images "
        f"{settings.get('test_images') or 10000}.",
        f"- Device {settings.get('device')}; op determinism "
        f"{'on' if settings.get('deterministic') else 'off'}; XLA jit_compile "
        f"{'on' if settings.get('jit_compile') else 'off'}; precision "
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
        f"{env.get('keras')}, NumPy {env.get('numpy')}",
        f"- CPU: {env.get('cpu_model')}, {env.get('cpu_cores')} cores; GPU: "
        f"{', '.join(env.get('gpus') or []) or 'none'}",
        f"- OS: {env.get('os')}",
        f"- Code: commit {git.get('commit', 'unknown')}"
        + (" with uncommitted changes" if git.get("dirty") else ""),
        "",
        "## Reproduce",
        "",
        "```",
        "python -m bench" + (" " + shlex.join(command) if command else ""),
        "```",
        "",
    ]
    return "\n".join(lines)
