"""compare.md, compare.csv, compare.json and compare.png: two sweeps side by side, written down."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from bench.analysis.capabilities import change_line
from bench.analysis.compare import SweepComparison
from bench.analysis.counts import count_line, program_line
from bench.analysis.metrics import MEASURE_LABELS
from bench.plan.backends import model_name
from bench.plan.settings import ACCURACY_MARGIN_POINTS
from bench.render import plots
from bench.render.console import wrap
from bench.render.tables import estimate_text, interval_text, md, ms_pair, ratio_text
from bench.store.files import now_utc, write_atomic, write_json
from bench.store.schema import SCHEMA_VERSION


def regression_lines(found: SweepComparison) -> list[str]:
    """One line per gating metric that got worse beyond its margin, and per capability check
    that BASE passed and NEW fails."""
    return (
        [
            f"{r['backend']}/{r['arch']}/{r['style']} {r['label']}: "
            + (f"{ratio_text(r['change'])} " if r.get("change") else "")
            + f"({r['verdict']})"
            for r in found.regressions()
        ]
        + [f"capability lost: {change_line(c)}" for c in found.checks if c["regression"]]
        + [f"more Python work: {count_line(c)}" for c in found.counts if c["regression"]]
    )


def console_lines(found: SweepComparison, out: Path, gate: bool = False) -> list[str]:
    """What `compare` prints: the answer first (each regression, or none; under a `gate` each is
    on stderr instead), then what bounds it, what differs besides the code, the files."""
    regressions = regression_lines(found)
    if regressions:
        lines = [
            f"REGRESSION: {len(regressions)} found, NEW worse than BASE beyond the margin"
            + (" (each on stderr)" if gate else ":")
        ]
        lines += [] if gate else [f"    {line}" for line in regressions]
    else:
        lines = ["no regression: NEW is nowhere worse than BASE beyond the margin"]
    lines += headline_lines(found)
    if found.environment:
        changes = [f"{e['key']} {e['base']} → {e['new']}" for e in found.environment]
        lines.append("besides the code: " + "; ".join(changes))
    lines.append(
        f"comparison: {out / 'compare.md'} (table: compare.csv; data: compare.json; chart: "
        "compare.png)"
    )
    return [part for line in lines for part in wrap(line)]


def _metric_rows(found: SweepComparison) -> pd.DataFrame:
    rows = [
        {
            **r,
            "new_vs_base": estimate_text(c.estimate, c.unit) if (c := r.get("change")) else "–",
            "ci95": interval_text(c, units=False) if c else "–",
            "n_base": r.get("reached_base") or r.get("n_base", "–"),
            "n_new": r.get("reached_new") or r.get("n_new", "–"),
        }
        for r in found.rows
    ]
    columns = [
        "backend",
        "arch",
        "style",
        "label",
        "new_vs_base",
        "ci95",
        "n_base",
        "n_new",
        "pairing",
        "verdict",
    ]
    table = pd.DataFrame(rows).reindex(columns=columns).astype(object).fillna("–")
    return table.rename(
        columns={"label": "metric", "new_vs_base": "NEW vs BASE", "ci95": "95 % CI"}
    )


def _paired_rows(found: SweepComparison) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                **{k: p[k] for k in ("backend", "arch", "style")},
                "measure": MEASURE_LABELS[p["measure"]].label,
                "BASE vs reference": ratio_text(p["base"]),
                "NEW vs reference": ratio_text(p["new"]),
                "change (NEW / BASE) [95 % CI]": ratio_text(p["change"]) if "change" in p else "–",
                "verdict on the change": p["verdict"],
                "ms: reference, difference (BASE; NEW)": (
                    f"{ms_pair(p['base'])}; {ms_pair(p['new'])}" if ms_pair(p["base"]) else "–"
                ),
            }
            for p in found.paired
        ]
    )


def _flat(row: dict) -> dict:
    """A metric row as one CSV line: its comparison's fields after the five that name it."""
    change = row["change"].to_dict() if row.get("change") else {}
    change.pop("measure", None)
    head = dict(list(row.items())[:5])  # backend, arch, style, metric, label
    return {**head, **change, **{k: v for k, v in row.items() if k != "change"}}


def headline_lines(found: SweepComparison) -> list[str]:
    """What a reader must know before the tables: the machines, and what a pass can mean."""
    lines = []
    if found.machines:
        lines.append(
            f"**The machines differ** ({'; '.join(found.machines)}): raw times compare "
            "machines as much as code."
        )
    else:
        lines.append("Same kind of machine (CPU fingerprint, cores, devices).")
    slow, drop = (
        found.detectable.get("slowdown_percent"),
        found.detectable.get("accuracy_drop_points"),
    )
    if slow or drop:
        sizes = []
        if slow:
            sizes.append(
                f"a slowdown of {slow['median']:.0f} % (median over {slow['n']} gating "
                f"times; {slow['worst']:.0f} % for the least precise)"
            )
        if drop:
            sizes.append(
                f"an accuracy drop of {drop['median']:.2f} points (worst {drop['worst']:.2f})"
            )
        lines.append(
            "The smallest regressions this comparison could have found: "
            + " and ".join(sizes)
            + "; anything smaller passes unseen."
        )
    lines.append(f"Accuracy is compared {found.accuracy_pairing}.")
    return lines


def markdown(found: SweepComparison, margin: float) -> str:
    """compare.md: environment and settings first, then every metric, then the paired verdicts."""
    parts = [
        "# Two sweeps compared",
        "",
        f"BASE `{found.base}` against NEW `{found.new}`. Times are NEW / BASE (geometric means "
        "of independent runs, Welch 95 % interval); accuracy differences are in points, paired "
        "by seed where both sweeps ran the same seeds, data and settings under determinism; a "
        "style's effect is its paired ratio to the reference, compared as NEW / BASE over the "
        "processes of both. Verdicts follow the project's rules with a "
        f"±{margin:g} % margin for times and ±{ACCURACY_MARGIN_POINTS} points for accuracy.",
        "",
        *headline_lines(found),
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
            "## Did any style's effect change? (its paired ratio to the reference, BASE and NEW)",
            "",
            md(_paired_rows(found)),
        ]
    parts += ["## Python calls that changed (outside what an A/A gives)", ""]
    parts += [f"- {count_line(c)}" for c in found.counts] if found.counts else ["None.", ""]
    parts += ["", "## Compiled programs that changed", ""]
    parts += [f"- {program_line(p)}" for p in found.programs] or ["None.", ""]
    parts += ["", "## Capability checks that changed", ""]
    parts += [f"- {change_line(c)}" for c in found.checks] if found.checks else ["None.", ""]
    regressions = regression_lines(found)
    parts += ["", "## Regressions", ""]
    parts += [f"- {line}" for line in regressions] if regressions else ["None."]
    return "\n".join(parts) + "\n"


def write_comparison(found: SweepComparison, out: Path, margin: float) -> None:
    """Writes compare.md, compare.csv, compare.json and compare.png into `out`."""
    text = markdown(found, margin)
    write_atomic(out / "compare.md", text.encode())
    buffer = io.StringIO()
    pd.DataFrame([_flat(r) for r in found.rows]).to_csv(buffer, index=False)
    write_atomic(out / "compare.csv", buffer.getvalue().encode())
    write_json(
        out / "compare.json",
        {
            "schema_version": SCHEMA_VERSION,
            "created_at": now_utc(),
            "base": str(found.base),
            "new": str(found.new),
            "time_margin_percent": margin,
            "environment_differences": found.environment,
            "settings_differences": found.settings,
            "machines_differ": found.machines_differ,
            "machines": found.machines,
            "accuracy_pairing": found.accuracy_pairing,
            "detectable": found.detectable,
            "thin_cells": found.thin,
            "notes": found.notes,
            "rows": found.rows,
            "paired": found.paired,
            "checks": found.checks,
            "python_calls": found.counts,
            "programs": found.programs,
            "regressions": regression_lines(found),
        },
    )
    rows = [
        (f"{model_name(r['backend'], r['arch'])}/{r['style']}", r["label"], r["style"], c)
        for r in found.rows
        if (c := r.get("change"))
    ]
    plots.write_comparison_chart(rows, out / "compare.png", margin)
