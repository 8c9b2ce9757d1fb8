"""Charts from records, as PNG files (matplotlib's Agg backend: no display needed)."""

from __future__ import annotations

import io
import statistics
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from bench.analysis.metrics import MEASURE_LABELS, METRICS
from bench.analysis.stats import Comparison, describe
from bench.plan.backends import model_name
from bench.store.files import write_atomic
from bench.store.records import RunRecord
from mnist_models import FORMS, form_order

COLORS = {
    "sequential": "#4C72B0",
    "functional": "#DD8452",
    "subclassed": "#55A868",
    "functional_subclass": "#C44E52",
    # the idioms of Sequential in lighter blues
    "sequential_add": "#8DA9D4",
    "sequential_deferred": "#B9CBE6",
}
TIME_PARTS = (
    ("build", lambda r: r.build_seconds),
    ("compile", lambda r: r.compile_seconds),
    ("first epoch", lambda r: r.first_epoch_seconds),
    ("later epochs", lambda r: sum(r.epoch_seconds[1:])),
    ("validation", lambda r: r.train_seconds - sum(r.epoch_seconds)),
    ("evaluate", lambda r: r.eval_seconds),
)


def write_plots(
    records: list[RunRecord],
    out: Path,
    paired: list[dict] | None = None,
    margin: float = 3.0,
    one_time_margin: float = 10.0,
) -> list[Path]:
    """Writes every chart for the ok runs in `records` (and the paired phases' verdicts, when
    there are some: paired.png steady, one_time.png one-time) into `out`; returns their paths."""
    ok = [r for r in records if r.status == "ok"]
    archs = sorted({model_name(r.backend, r.arch) for r in ok})
    if not archs:
        return []
    charts = {}
    steady = [e for e in paired or [] if e.phase == "steady"]
    once = [e for e in paired or [] if e.phase == "one_time" and e.ci95_low is not None]
    if steady:
        charts["paired.png"] = _forest(steady, margin)
    if once:
        charts["one_time.png"] = _forest(once, one_time_margin, "what each style costs once: ")
    charts |= {
        "accuracy.png": _bars(
            ok,
            archs,
            "test accuracy (%)",
            lambda r: None if r.test_accuracy is None else 100 * r.test_accuracy,
        ),
        "step_time.png": _bars(
            ok, archs, "steady-state step time (ms)", lambda r: r.steady_step_ms
        ),
        "val_accuracy.png": _learning_curves(ok, archs),
        "time_breakdown.png": _time_breakdown(ok, archs),
        "params.png": _bars(ok, archs, "parameters", lambda r: r.params_total, error_bars=False),
    }
    for name, figure in charts.items():
        save_figure(figure, out / name)
    return [out / name for name in charts]


def _by_style(records: list[RunRecord], arch: str) -> dict[str, list[RunRecord]]:
    groups: dict[str, list[RunRecord]] = defaultdict(list)
    for r in records:
        if model_name(r.backend, r.arch) == arch:
            groups[r.style].append(r)
    return {style: groups[style] for style in FORMS if groups[style]}


def _axes(archs: list[str]):
    figure, axes = plt.subplots(1, len(archs), figsize=(5 * len(archs), 3.8), squeeze=False)
    return figure, axes[0]


def _bars(
    records: list[RunRecord],
    archs: list[str],
    label: str,
    value: Callable[[RunRecord], float | None],
    error_bars: bool = True,
):
    """One bar per style and its 95 % CI as an error bar, a panel per architecture."""
    figure, axes = _axes(archs)
    for ax, arch in zip(axes, archs, strict=True):
        styles, means, errors = [], [], [[], []]
        for style, group in _by_style(records, arch).items():
            values = [v for v in map(value, group) if v is not None]
            if not values:
                continue
            s = describe(values)
            styles.append(style)
            means.append(s.mean)
            errors[0].append(s.mean - s.ci95_low if s.ci95_low is not None else 0)
            errors[1].append(s.ci95_high - s.mean if s.ci95_high is not None else 0)
        if not styles:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        else:
            ax.bar(
                styles,
                means,
                yerr=errors if error_bars else None,
                capsize=6,
                color=[COLORS[s] for s in styles],
            )
            if error_bars:
                low = min(m - e for m, e in zip(means, errors[0], strict=True))
                high = max(m + e for m, e in zip(means, errors[1], strict=True))
                pad = max(high - low, abs(high) * 0.01, 1e-9)
                ax.set_ylim(low - pad, high + pad)  # zoomed: the differences are the point
            for i, m in enumerate(means):
                ax.annotate(f"{m:,.4g}", (i, m), ha="center", va="bottom", fontsize=8)
        ax.set_title(arch)
        ax.set_ylabel(label)
    figure.suptitle(f"{label} per style" + (" (mean, 95 % CI)" if error_bars else ""))
    return figure


def _learning_curves(records: list[RunRecord], archs: list[str]):
    figure, axes = _axes(archs)
    for ax, arch in zip(axes, archs, strict=True):
        for style, group in _by_style(records, arch).items():
            curves = [r.history.get("val_accuracy", []) for r in group]
            epochs = min(len(c) for c in curves)
            means = [
                100 * statistics.fmean(c[e] for c in curves if c[e] is not None)
                for e in range(epochs)
            ]
            ax.plot(range(1, epochs + 1), means, marker="o", label=style, color=COLORS[style])
        ax.set_title(arch)
        ax.set_xlabel("epoch")
        ax.set_ylabel("validation accuracy (%, mean over seeds)")
        ax.legend()
    figure.suptitle("validation accuracy per epoch")
    return figure


def _time_breakdown(records: list[RunRecord], archs: list[str]):
    figure, axes = _axes(archs)
    for ax, arch in zip(axes, archs, strict=True):
        groups = _by_style(records, arch)
        bottoms = [0.0] * len(groups)
        for part, value in TIME_PARTS:
            heights = [statistics.fmean(value(r) for r in group) for group in groups.values()]
            ax.bar(list(groups), heights, bottom=bottoms, label=part)
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        ax.set_title(arch)
        ax.set_ylabel("seconds (mean over seeds)")
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.suptitle("where a run's time goes")
    return figure


def forest_panel(ax, rows: list[tuple[str, float, float, float, str, str]], margin: float):
    """Ratios with their intervals on one axis: (label, ratio, low, high, color, verdict) rows,
    the ±margin band shaded and each verdict written beside its row."""
    ax.axvspan(1 / (1 + margin / 100), 1 + margin / 100, color="#dddddd")
    ax.axvline(1.0, color="black", linewidth=0.8)
    for y, (_, ratio, low, high, color, _) in enumerate(rows):
        ax.errorbar(ratio, y, xerr=[[ratio - low], [high - ratio]], fmt="o", color=color, capsize=4)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([row[0] for row in rows])
    ax.invert_yaxis()
    low, high = min(row[2] for row in rows), max(row[3] for row in rows)
    if high / low > 2:  # ratios from a third to tenfold: only a log axis shows them alike
        ax.set_xscale("log")
        ax.set_xlim(min(low, 1) / 1.3, max(high, 1) * 1.3)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}×"))
        for y, row in enumerate(rows):  # beside the axes, so that the axis spans the data alone
            ax.annotate(
                row[5],
                (1.02, y),
                xycoords=("axes fraction", "data"),
                va="center",
                fontsize=8,
                annotation_clip=False,
            )
        return
    span = max([abs(high - 1), abs(1 - low), margin / 100])
    ax.set_xlim(1 - 1.6 * span, 1 + 2.8 * span)  # room on the right for the verdicts
    for y, row in enumerate(rows):
        ax.annotate(row[5], (1 + 1.7 * span, y), va="center", fontsize=8)


def _forest(paired: list[dict], margin: float, title: str = ""):
    """Per arch, each style's time ratio to Sequential with its 95 % interval, one row per
    measure, the ±margin band shaded and the verdict beside each row."""
    archs = sorted({model_name(e.backend, e.arch) for e in paired})
    figure, axes = plt.subplots(
        len(archs), 1, figsize=(8.5, 0.45 * len(paired) / len(archs) + 1.6), squeeze=False
    )
    for ax, arch in zip(axes[:, 0], archs, strict=True):
        entries = sorted(
            (e for e in paired if model_name(e.backend, e.arch) == arch),
            key=lambda e: (list(MEASURE_LABELS).index(e.measure), form_order(e.style)),
        )
        rows = [
            (
                f"{e.style} · {MEASURE_LABELS[e.measure].short}",
                e.estimate,
                e.ci95_low,
                e.ci95_high,
                COLORS[e.style],
                e.verdict,
            )
            for e in entries
        ]
        forest_panel(ax, rows, margin)
        ax.set_title(
            f"{title}{arch}: time relative to {entries[0].reference} (> 1 is slower; grey: "
            f"±{margin:g} % margin)"
        )
    axes[-1, 0].set_xlabel(
        "time ratio to the reference: geometric mean over processes, 95 % interval over processes"
    )
    figure.tight_layout()
    return figure


def _time_ratio(where: str, label: str, style: str, c: Comparison) -> tuple:
    """A forest row; a ratio of a rate where higher is faster (predict img/s) is turned into
    the ratio of the time per item, so that every speed ratio on an axis reads alike."""
    low, estimate, high = c.ci95_low, c.estimate, c.ci95_high
    if METRICS[c.measure].words == ("faster", "slower"):
        low, estimate, high = 1 / high, 1 / estimate, 1 / low
        label = f"time per item ({label})"
    return f"{where} · {label}", estimate, low, high, COLORS.get(style, "black"), c.verdict


def write_comparison_chart(
    rows: list[tuple[str, str, str, Comparison]],
    path: Path,
    margin: float,
    ratio: str = "NEW / BASE",
) -> None:
    """compare.png, backends.png: each compared metric's ratio with its interval and verdict;
    rates shown as times per item, so > 1 is slower on every row."""
    rows = [_time_ratio(*row) for row in rows if row[3].unit == "ratio" and row[3].ci95_low]
    figure, ax = plt.subplots(figsize=(9, 0.32 * max(len(rows), 1) + 1.6))
    if rows:
        forest_panel(
            ax,
            rows,
            margin,
        )
    else:
        ax.text(
            0.5,
            0.5,
            "nothing comparable with an interval (each side needs n >= 2)",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    ax.set_title(f"{ratio} (95 % CI; geometric means of runs; grey: ±{margin:g} % margin)")
    ax.set_xlabel(f"ratio {ratio} (> 1: larger; for times and times per item, slower)")
    figure.tight_layout()
    save_figure(figure, path)


def save_figure(figure, path: Path) -> None:
    """Writes `figure` as a PNG, whole or not at all, and closes it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    write_atomic(path, buffer.getvalue())
