"""history.md, history.json and history.png: three or more sweeps, in order, side by side."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from bench.analysis.capabilities import change_line
from bench.analysis.history import History
from bench.analysis.metrics import MEASURE_LABELS
from bench.plan.backends import model_name
from bench.render.console import wrap
from bench.render.plots import COLORS, save_figure
from bench.render.tables import md, ms_pair, ratio_text
from bench.store.files import now_utc, write_atomic, write_json
from bench.store.schema import SCHEMA_VERSION


def markdown(found: History) -> str:
    """The trend: each style's ratio to its reference per sweep, each step's change, accuracy."""
    labels = [s["label"] for s in found.sweeps]
    ratio_rows = [
        {
            "model": model_name(backend, arch),
            "style": style,
            "measure": MEASURE_LABELS[measure].label,
            **{
                label: "–"
                if e is None
                else f"{ratio_text(e)} {e.verdict}" + (f" (ms: {ms_pair(e)})" if ms_pair(e) else "")
                for label, e in zip(labels, entries, strict=True)
            },
        }
        for (backend, arch, style, measure), entries in sorted(found.ratios.items(), key=_order)
    ]
    accuracy_rows = [
        {
            "model": model_name(backend, arch),
            "style": style,
            **{
                label: "–"
                if s is None
                else f"{100 * s['mean']:.2f} %"
                + (
                    ""
                    if s.get("ci95_low") is None
                    else f" [{100 * s['ci95_low']:.2f}, {100 * s['ci95_high']:.2f}]"
                )
                for label, s in zip(labels, stats, strict=True)
            },
        }
        for (backend, arch, style), stats in sorted(found.accuracy.items())
    ]
    parts = [
        "# Sweeps in order",
        "",
        *[
            f"{i + 1}. `{s['path']}`: TensorFlow {s['tensorflow']}, Keras {s['keras']}"
            for i, s in enumerate(found.sweeps)
        ],
        "",
        "## Each style against its reference, sweep by sweep",
        "",
        "The paired ratio of each style's time to the reference's in the same round or cycle "
        "(> 1: slower), its 95 % interval over processes, and its verdict.",
        "",
        md(pd.DataFrame(ratio_rows)) if ratio_rows else "No paired timing in these sweeps.\n",
    ]
    for step, changes in enumerate(found.steps):
        parts += [f"## From sweep {step + 1} to sweep {step + 2}: did a style's effect change?", ""]
        parts += [f"- {line}" for line in _moved(changes)] or [
            "No style's effect changed beyond what its interval allows (every change "
            "equivalent or inconclusive)."
        ]
        checks = _checks(found, step)
        parts += ["", "Capability checks that changed (a lost one is a regression):", ""]
        parts += [
            f"- {'**lost** ' if c['regression'] else ''}{change_line(c)}" for c in checks
        ] or ["- none"]
        parts.append("")
    parts += ["## Test accuracy, sweep by sweep", "", md(pd.DataFrame(accuracy_rows))]
    return "\n".join(parts) + "\n"


def _moved(changes: list[dict]) -> list[str]:
    """The style effects that changed from one sweep to the next, one line each."""
    return [
        f"{model_name(c['backend'], c['arch'])}/{c['style']} "
        f"{MEASURE_LABELS[c['measure']].label}: {ratio_text(c['change'])} ({c['verdict']})"
        for c in changes
        if "change" in c
        and c["change"].verdict not in ("equivalent", "inconclusive", "inconclusive (n too small)")
    ]


def _checks(found: History, step: int) -> list[dict]:
    return found.checks[step] if step < len(found.checks) else []


def console_lines(found: History, out: Path) -> list[str]:
    """What `compare` prints of three or more sweeps: what changed at each step, first."""
    lines = [
        f"history of {len(found.sweeps)} sweeps: " + " → ".join(s["label"] for s in found.sweeps)
    ]
    for step, changes in enumerate(found.steps):
        moved, checks = _moved(changes), _checks(found, step)
        lines.append(
            f"sweep {step + 1} → {step + 2}: "
            + (f"{len(moved)} style effect(s) changed" if moved else "no style's effect changed")
            + (f", {len(checks)} capability check(s) changed" if checks else "")
        )
        lines += [f"    {line}" for line in moved]
        lines += [f"    {'LOST ' if c['regression'] else ''}{change_line(c)}" for c in checks]
    lines.append(f"history: {out / 'history.md'} (data: history.json; chart: history.png)")
    return [part for line in lines for part in wrap(line)]


def _order(item):
    (backend, arch, style, measure), _ = item
    return backend, arch, style, list(MEASURE_LABELS).index(measure)


def chart(found: History):
    """Per model and steady measure, each style's ratio to its reference across the sweeps."""
    measures = ("train_step", "predict", "latency")
    models = sorted({(b, a) for b, a, _, m in found.ratios if m in measures})
    size = (4.2 * len(measures), 3.2 * max(len(models), 1))
    figure, axes = plt.subplots(len(models) or 1, len(measures), squeeze=False, figsize=size)
    x = list(range(len(found.sweeps)))
    for row, (backend, arch) in enumerate(models):
        for col, measure in enumerate(measures):
            ax = axes[row][col]
            ax.axhline(1.0, color="black", linewidth=0.8)
            for (b, a, style, m), entries in sorted(found.ratios.items()):
                if (b, a, m) != (backend, arch, measure):
                    continue
                shown = [(i, e) for i, e in zip(x, entries, strict=True) if e and e.ci95_low]
                low = [e.estimate - e.ci95_low for _, e in shown]
                high = [e.ci95_high - e.estimate for _, e in shown]
                ax.errorbar(
                    [i for i, _ in shown],
                    [e.estimate for _, e in shown],
                    yerr=[low, high],
                    marker="o",
                    capsize=4,
                    label=style,
                    color=COLORS.get(style),
                )
            ax.set_xticks(x, [f"TF {s['tensorflow']}" for s in found.sweeps], fontsize=8)
            ax.set_title(
                f"{model_name(backend, arch)}: {MEASURE_LABELS[measure].label}", fontsize=9
            )
            ax.set_ylabel("time ratio to the reference")
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7)
    figure.tight_layout()
    return figure


def write_history(found: History, out: Path) -> None:
    """Writes history.md, history.json and history.png into `out`."""
    text = markdown(found)
    write_atomic(out / "history.md", text.encode())
    write_json(
        out / "history.json",
        {
            "schema_version": SCHEMA_VERSION,
            "created_at": now_utc(),
            "sweeps": found.sweeps,
            "ratios": [{"key": list(k), "entries": v} for k, v in found.ratios.items()],
            "accuracy": [{"key": list(k), "stats": v} for k, v in found.accuracy.items()],
            "steps": found.steps,
            "checks": found.checks,
        },
    )
    save_figure(chart(found), out / "history.png")
