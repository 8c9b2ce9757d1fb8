"""compare.md, compare.csv, compare.json and compare.png: two sweeps side by side, written down."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pandas as pd

from bench.analysis.compare import SweepComparison
from bench.plan.settings import ACCURACY_MARGIN_POINTS
from bench.render import plots
from bench.render.tables import estimate_text, interval_text, md, ratio_text, verdict_text
from bench.store.files import write_atomic, write_json
from bench.store.schema import SCHEMA_VERSION


def regression_lines(found: SweepComparison) -> list[str]:
    """One line per gating metric that got worse beyond its margin."""
    return [
        f"{r['backend']}/{r['arch']}/{r['style']} {r['label']}: "
        f"{estimate_text(r['estimate'], r['unit'])} {interval_text(r, units=False)} "
        f"({r['verdict']})"
        for r in found.regressions()
    ]


def _metric_rows(found: SweepComparison) -> pd.DataFrame:
    rows = [
        {**r, "new_vs_base": estimate_text(r["estimate"], r["unit"]) if "unit" in r else "–",
         "ci95": interval_text(r, units=False) if "unit" in r else "–"}
        for r in found.rows
    ]  # fmt: skip
    columns = ["backend", "arch", "style", "label", "new_vs_base", "ci95", "n_base", "n_new",
               "verdict"]  # fmt: skip
    table = pd.DataFrame(rows).reindex(columns=columns).astype(object).fillna("–")
    return table.rename(columns={"label": "metric", "new_vs_base": "NEW vs BASE",
                                 "ci95": "95 % CI"})  # fmt: skip


def _paired_rows(found: SweepComparison) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                **{k: p[k] for k in ("backend", "arch", "style", "measure")},
                "base": ratio_text(p["base"]),
                "base_verdict": verdict_text(p["base"]),
                "new": ratio_text(p["new"]),
                "new_verdict": verdict_text(p["new"]),
                "changed": p["changed"],
            }
            for p in found.paired
        ]
    )


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
        parts += [md(pd.DataFrame(found.environment))]
    else:
        parts += ["Nothing: same versions, same machine.", ""]
    parts += ["## Settings that differ", ""]
    if found.settings:
        parts += [
            md(pd.DataFrame(found.settings)),
            "Metrics that depend on a differing setting are listed as not compared.",
            "",
        ]
    else:
        parts += ["None.", ""]
    if found.notes:
        parts += ["\n".join(f"- {note}" for note in found.notes), ""]
    parts += ["## Every metric, NEW against BASE", "", md(_metric_rows(found))]
    if found.paired:
        parts += [
            "## Did any style's speed relative to Sequential change? (paired timing)",
            "",
            md(_paired_rows(found)),
        ]
    regressions = regression_lines(found)
    parts += ["## Regressions", ""]
    parts += [f"- {line}" for line in regressions] if regressions else ["None."]
    return "\n".join(parts) + "\n"


def write_comparison(found: SweepComparison, out: Path, margin: float) -> str:
    """Writes compare.md, compare.csv, compare.json and compare.png into `out`; returns the md."""
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
            "regressions": regression_lines(found),
        },
    )
    plots.write_comparison_chart(
        [r for r in found.rows if r.get("unit") == "ratio"], out / "compare.png", margin
    )
    return text
