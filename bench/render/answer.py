"""answer.png: for the sweep's first model, each style against its reference, measure by
measure, each cell coloured by its verdict."""

from __future__ import annotations

import statistics
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.patches import Patch, Rectangle

from bench.analysis.metrics import MEASURE_LABELS
from bench.analysis.programs import PROOFS
from bench.analysis.stats import AT_MARGIN, BEYOND, verdict_kind
from bench.plan.backends import model_name
from bench.store.capabilities import NO, label_of, outcome_of
from mnist_models import FORMS, reference_of

# what a verdict's words mean to a reader choosing a style: grey the same, green faster, red
# slower or unable, the pale shades where the size is within the margin or unclear
COLORS = {
    "same": "#d9d9d9",
    "faster": "#1a9850",
    "faster, small": "#a6d96a",
    "slower": "#d73027",
    "slower, small": "#fdae61",
    "undecided": "#ffffff",
}
LEGEND = {
    "same": "equivalent, same model or able",
    "faster": "faster, beyond or at the margin",
    "faster, small": "faster, within margin or size unclear",
    "slower": "slower beyond or at the margin, differs or unable",
    "slower, small": "slower, within margin or size unclear",
    "undecided": "inconclusive",
}

Cell = tuple[str, str]  # (text, colour key)


def shade(verdict: str) -> str:
    """The colour key of a verdict's words."""
    if verdict in ("equivalent", *PROOFS):
        return "same"
    for direction in ("faster", "slower"):
        if verdict.startswith(direction):
            strong = verdict_kind(verdict) in (BEYOND, AT_MARGIN)
            return direction if strong else f"{direction}, small"
    return "undecided"


def _ms(value: float, signed: bool = False) -> str:
    sign = "+" if signed else ""
    return f"{value:{sign}.1f}" if abs(value) < 10 else f"{value:{sign},.0f}"


def _timed(entry: dict[str, Any]) -> Cell:
    text = f"{entry.estimate:.3f}×" + (
        f" [{entry.ci95_low:.3f}, {entry.ci95_high:.3f}]" if entry.ci95_low is not None else ""
    )
    if entry.reference_ms is not None:
        text += f"\n{_ms(entry.difference_ms, True)} ms of {_ms(entry.reference_ms)} ms"
    return f"{text}\n{entry.verdict}", shade(entry.verdict)


def _one_model(runs: list[dict[str, Any]], style: str) -> Cell | None:
    mine = [r for r in runs if r["style"] == style and r.get("status") == "ok"]
    if not mine:
        return None
    if all(r.get("identical_to_reference") for r in mine):
        same = f"same weights in {len(mine)} of {len(mine)} runs"
        if any(r["test_accuracy"] is None for r in mine):  # synthetic data: no accuracy
            return same, "same"
        accuracy = 100 * statistics.fmean(r["test_accuracy"] for r in mine)
        return f"{same}\naccuracy {accuracy:.2f} %", "same"
    return "DIFFERENT weights", "slower"


def _able(checks: dict[str, Any] | None) -> Cell | None:
    if not checks:
        return None
    unable = [
        label_of(c).replace("`", "") for c, found in checks.items() if outcome_of(found) == NO
    ]
    if not unable:
        return f"every one of {len(checks)} checks", "same"
    shown = "\n".join(unable[:3]) + (f"\n+{len(unable) - 3} more" if len(unable) > 3 else "")
    return f"cannot ({len(unable)} of {len(checks)}):\n{shown}", "slower"


def answer_rows(results: dict[str, Any], model: str) -> tuple[str, list[str], list[tuple]]:
    """One model's grid: its reference, the styles compared with it, and (label, cells) rows,
    a cell None where nothing was measured."""
    paired = [e for e in results.get("paired", []) if model_name(e.backend, e.arch) == model]
    runs = [r for r in results.get("runs", []) if model_name(r.get("backend"), r["arch"]) == model]
    present = {e.style for e in paired} | {r["style"] for r in runs}
    reference = paired[0].reference if paired else reference_of(present)
    styles = [s for s in FORMS if s in present and s != reference]
    rows: list[tuple[str, list[Cell | None]]] = [
        ("one model?", [_one_model(runs, s) for s in styles])
    ]
    for phase in ("steady", "one_time"):
        for measure in MEASURE_LABELS:
            found = {e.style: e for e in paired if (e.phase, e.measure) == (phase, measure)}
            if found:
                label = MEASURE_LABELS[measure].label + (
                    " (each call)" if phase == "steady" else ""
                )
                rows.append((label, [_timed(found[s]) if s in found else None for s in styles]))
    capabilities = (results.get("capabilities") or {}).get(model) or {}
    if capabilities:
        rows.append(("what it can do", [_able(capabilities.get(s)) for s in styles]))
    return reference, styles, rows


def first_model(results: dict[str, Any]) -> str | None:
    """The model the picture shows: the sweep's first architecture on its first backend that
    has runs."""
    config = results.get("config") or {}
    made = [model_name(r.get("backend"), r["arch"]) for r in results.get("runs", [])]
    wanted = [
        model_name(b, a)
        for a in config.get("archs") or []
        for b in config.get("backends") or [None]
    ]
    return next((m for m in wanted if m in made), made[0] if made else None)


def answer_chart(results: dict[str, Any]):
    """The figure: the first model's grid, styles across, measures down; None where no style
    was compared with a reference (a sweep of one style)."""
    model = first_model(results)
    if model is None:
        return None
    reference, styles, rows = answer_rows(results, model)
    if not styles or not rows:
        return None
    figure, ax = plt.subplots(figsize=(9, 0.55 * (len(rows) + 1.5) + 0.8))
    for y, (_, cells) in enumerate(rows):
        for x, cell in enumerate(cells):
            text, key = cell or ("not measured", "undecided")
            ax.add_patch(Rectangle((x, y), 1, 1, facecolor=COLORS[key], edgecolor="white"))
            ax.text(x + 0.5, y + 0.5, text, ha="center", va="center", fontsize=7)
    ax.set_xlim(0, len(styles))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks([x + 0.5 for x in range(len(styles))], styles)
    ax.xaxis.tick_top()
    ax.set_yticks([y + 0.5 for y in range(len(rows))], [label for label, _ in rows])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(
        f"{model}: each style against {reference} (time ratios, > 1 is slower)", loc="left", pad=18
    )
    figure.legend(
        handles=[
            Patch(facecolor=COLORS[k], edgecolor="#999999", label=v) for k, v in LEGEND.items()
        ],
        loc="lower center",
        ncol=3,
        fontsize=7,
        frameon=False,
    )
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    return figure
