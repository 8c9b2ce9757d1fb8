"""The depth study's report: depth.json, README.md and depth.png, from a study's raw records."""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, ScalarFormatter

from bench.analysis.depth import (
    MEASURES_BY_DEPTH,
    SLOPE_MARGIN,
    STEADY_MEASURES,
    THRESHOLDS_MS,
    TOTAL,
    at_depth,
    count_growth,
    depth_of,
    differing_functions,
    footprint,
    growth,
    series,
)
from bench.analysis.stats import describe
from bench.plan.specs import ONE_TIME_MEASURES, REBUILD_ONCE
from bench.render.plots import save_figure
from bench.store.environment import machine_words, provenance_lines
from bench.store.files import write_atomic, write_json
from bench.store.records import OneTimeRecord, read_one_time
from bench.store.schema import DEPTH_RUN_FILE, SCHEMA_VERSION, read_versioned

LABELS = {
    "sequential": "Sequential (list)",
    "sequential_add": "Sequential (add)",
    "sequential_deferred": "Sequential (deferred)",
    "functional": "Functional",
    "subclassed": "subclassed",
    "functional_subclass": "Functional subclass",
    REBUILD_ONCE: "Sequential, rebuilt once",
    TOTAL: "whole one-time start",
    "train_step": "steady train step",
    "predict": "steady predict (1,024 images)",
    "first_train_step": "first train step",
    "first_predict": "first predict",
}
COLORS = {
    "sequential": "#4C72B0",
    "sequential_add": "#8172B3",
    "functional": "#DD8452",
    "subclassed": "#55A868",
    REBUILD_ONCE: "#937860",
}


def ms(value: float | None, signed: bool = True) -> str:
    """Milliseconds as a reader reads them: seconds from 1,000 ms up."""
    if value is None:
        return "–"
    sign = "+" if signed and value >= 0 else ""
    # under 0.1 ms two decimals, so that a bound just below zero does not read as zero
    digits = 0 if abs(value) >= 10 else 1 if abs(value) >= 0.1 else 2
    if abs(value) >= 1000:
        return f"{value / 1000:{sign}.2f} s"
    return f"{value:{sign}.{digits}f} ms"


def difference(entry: dict[str, Any] | None) -> str:
    """`+1.23 s [+1.10, +1.35 s]`: the median difference and the ratio's interval in ms."""
    if entry is None:
        return "–"
    ci = entry.difference_ms_ci95
    bounds = f" [{ms(ci[0])}, {ms(ci[1])}]" if ci else ""
    return f"{ms(entry.difference_ms)}{bounds}"


def _entry(entries, depth, measure, style):
    return next(
        (e for e in entries if (e.depth, e.measure, e.style) == (depth, measure, style)),
        None,
    )


def _judged(entry: dict[str, Any]) -> str:
    return f"{LABELS[entry.style]} {difference(entry)} ({entry.verdict})"


def answer(found: dict[str, Any]) -> list[str]:
    """The study's answer at its deepest depth, in milliseconds: the one-time steps where a
    style differs by a decided 100 ms or more, the whole one-time start, and the steady step."""
    entries, deepest = found["at_depth"], max(found["depths"])
    reference = LABELS[found["reference"]]
    deep = [e for e in entries if e.depth == deepest]
    large = sorted(
        (
            e
            for e in deep
            if e.measure in ONE_TIME_MEASURES
            and e.direction
            and abs(e.difference_ms) >= THRESHOLDS_MS[0]
        ),
        key=lambda e: -abs(e.difference_ms),
    )
    steps = [
        f"{LABELS.get(e.measure, e.measure)}: {_judged(e)} against {ms(e.reference_ms, False)}"
        for e in large
    ]
    total = [e for e in deep if e.measure == TOTAL]
    step = [e for e in deep if e.measure == "train_step"]
    return [
        f"At {deepest} layers ({found['machine']}), once per model, against {reference}: "
        + ("; ".join(steps) or "no one-time step differs by a decided 100 ms")
        + "; every other one-time step differs by less, or undecided.",
        f"The whole one-time start, build to load ({reference} "
        f"{ms(total[0].reference_ms, False) if total else '–'}): "
        + "; ".join(_judged(e) for e in total)
        + ".",
        f"Per steady training step ({reference} "
        f"{ms(step[0].reference_ms, False) if step else '–'}): "
        + ("; ".join(_judged(e) for e in step) or "not measured")
        + ".",
    ]


def finished(out: Path, what: str) -> tuple[dict[str, Any], list[OneTimeRecord]]:
    """A study's run.json and its finished records; ValueError where none finished."""
    records = [r for r in read_one_time(out) if r.status == "ok"]
    if not records:
        raise ValueError(f"{out}/one_time.jsonl holds no finished {what} to report")
    return read_versioned(out / DEPTH_RUN_FILE), records


def analyse(out: Path) -> dict[str, Any]:
    """Everything the report says, from `out`'s raw records: depth.json's content."""
    run, records = finished(out, "depth")
    entries = at_depth(records, run["margin"])
    return {
        "depths": sorted(depth_of(r.arch) for r in records),
        "styles": list(records[0].styles),
        "reference": records[0].reference,
        "machine": machine_words(run["environment"]),
        "margin": run["margin"],
        "slope_margin": SLOPE_MARGIN,
        "at_depth": entries,
        "growth": growth(records, entries),
        "footprint": footprint(records),
        "count_growth": count_growth(records),
        "differing_functions": differing_functions(records),
        "failures": {r.arch: r.failures for r in records if r.failures},
        "run": {k: v for k, v in run.items() if k != "environment"},
        "environment": run["environment"],
    }


def _growth_cell(fit: dict[str, Any] | None, scale: float = 1.0, digits: int = 2) -> str:
    if fit is None:
        return "–"
    low, high = (scale * v for v in fit["ci95"])
    return f"{scale * fit['slope']:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def markdown(found: dict[str, Any], command: str) -> str:
    """README.md of a depth study's directory."""
    entries, styles, reference = found["at_depth"], found["styles"], found["reference"]
    others = [s for s in styles if s != reference]
    run, lines = found["run"], ["# Does the style matter for my model? Costs by depth", ""]
    lines += [*answer(found), ""]
    by_depth = sorted(run["wall_seconds_by_depth"].items(), key=lambda item: int(item[0]))
    walls = ", ".join(f"{d}: {s:.0f} s" for d, s in by_depth)
    lines += [
        *provenance_lines(found["environment"].get("git")),
        f"Machine: {found['machine']}; TensorFlow {found['environment']['tensorflow']}, "
        f"Keras {found['environment']['keras']}. The study took "
        f"{run['wall_seconds'] / 60:.1f} min (by depth, {walls}"
        f"). Reproduce: `{command}`.",
        "",
        "The model: Flatten, N Dense(64, ReLU) layers, a softmax classifier "
        "(`mnist_models/dense`), in each style and in both idioms of the Sequential guide "
        "(a list passed to `keras.Sequential`, the reference; `model.add` after an "
        "`Input`). Each depth is one process: cycles of build, compile, first train step, "
        "first predict, `.keras` save and load, every style in a balanced order; then "
        f"{run['steady_rounds']} rounds of the steady train step (batch 128) and predict "
        "(1,024 images) on the last cycle's models. Ratios to the reference are taken "
        f"within a cycle or round, under a ±{found['margin']:g} % margin; the millisecond "
        "interval is the ratio's, at the reference's median time. Steady intervals are "
        "over the rounds of one process (docs/depth.md says what that leaves out).",
        "",
    ]
    lines += [
        "## Difference from the reference, by depth",
        "",
        "Each cell: the median difference in the same cycle (round), its 95 % interval, "
        "and the verdict.",
        "",
    ]
    for measure in MEASURES_BY_DEPTH:
        lines += [
            f"**{LABELS.get(measure, measure)}**",
            "",
            f"| layers | {LABELS[reference]} | " + " | ".join(LABELS[s] for s in others) + " |",
            "|--:|--:|" + "--:|" * len(others),
        ]
        for depth in found["depths"]:
            cells = [_entry(entries, depth, measure, s) for s in others]
            ref = next((c.reference_ms for c in cells if c), None)
            lines.append(
                f"| {depth} | {ms(ref, False)} | "
                + " | ".join(f"{difference(c)} {c.verdict}" if c else "–" for c in cells)
                + " |"
            )
        lines.append("")
    lines += [
        "## How each cost grows",
        "",
        f"Fitted over {', '.join(map(str, found['growth'][0]['fit_depths']))} layers "
        "(the smallest models are mostly fixed cost). Slope: of log time on log depth, 1 "
        "is linear, 2 quadratic. Per layer: of time on depth. Slope difference: the "
        f"style's slope less {LABELS[reference]}'s, from pairs within cycles, judged "
        f"under ±{SLOPE_MARGIN:g}. Reaches: the depth where the style's difference "
        "reaches 100 ms and 1 s (interpolated between measured depths; past them only "
        "along the per-layer fit, marked extrapolated).",
        "",
        "| measure | style | slope [95 %] | ms per layer [95 %] | slope difference | "
        "100 ms at | 1 s at |",
        "|:--|:--|--:|--:|:--|--:|--:|",
    ]
    for row in found["growth"]:
        diff = row.get("slope_difference")
        reaches = row.get("reaches", {})
        lines.append(
            f"| {LABELS.get(row['measure'], row['measure'])} | {LABELS[row['style']]} | "
            f"{_growth_cell(row['log_log'])} | {_growth_cell(row['ms_per_layer'], 1, 3)} | "
            + (
                f"{diff['slope']:+.3f} [{diff['ci95'][0]:+.3f}, {diff['ci95'][1]:+.3f}] "
                f"{diff['verdict']}"
                if diff
                else "reference"
            )
            + " | "
            + " | ".join(_reach(reaches.get(k)) for k in ("100 ms", "1000 ms"))
            + " |"
        )
    lines += [
        "",
        "## Memory and file size",
        "",
        "Peak growth: how far the process's peak resident size rose during the style's "
        "six steps (Linux `VmHWM`, reset before each style), median over cycles, and its "
        "mean difference from the reference's in the same cycle.",
        "",
        "| layers | style | peak growth MB | difference MB [95 %] | .keras MB |",
        "|--:|:--|--:|--:|--:|",
    ]
    for row in found["footprint"]:
        ci = row.get("peak_growth_difference_mb_ci95")
        diff = (
            f"{row['peak_growth_difference_mb']:+.1f} [{ci[0]:+.1f}, {ci[1]:+.1f}]"
            if ci and ci[0] is not None
            else "–"
        )
        lines.append(
            f"| {row['depth']} | {LABELS[row['style']]} | "
            f"{row.get('peak_growth_mb', float('nan')):.1f} | {diff} | "
            f"{row.get('keras_mb', float('nan')):.2f} |"
        )
    lines += ["", *count_lines(found), "![costs by depth](depth.png)", ""]
    return "\n".join(lines)


def _reach(found: dict[str, Any] | None) -> str:
    if not found:
        return "–"
    if found["depth"] is None:
        return found["how"]
    saves = " (saves)" if found["sign"] < 0 else ""
    return f"{found['depth']}{saves}{'' if found['how'] == 'measured' else ', ' + found['how']}"


def count_lines(found: dict[str, Any]) -> list[str]:
    """Python calls by depth, beside the time slopes, and where they differ at the deepest."""
    depths, time_slopes = (
        found["depths"],
        {(row["measure"], row["style"]): row["log_log"] for row in found["growth"]},
    )
    lines = [
        "## Python calls by depth",
        "",
        "Every step counted once per style with `cProfile` after the timed cycles; a count is "
        "the same in every process (docs/methodology.md). Slopes of log calls and of log time "
        "on log depth, over the same depths as above.",
        "",
        "| measure | style | " + " | ".join(f"{d} layers" for d in depths) + " | calls slope | "
        "time slope |",
        "|:--|:--|" + "--:|" * (len(depths) + 2),
    ]
    for row in found["count_growth"]:
        cells = [_calls(row["calls"].get(d)) for d in depths]
        lines.append(
            f"| {LABELS.get(row['measure'], row['measure'])} | {LABELS[row['style']]} | "
            + " | ".join(cells)
            + f" | {_growth_cell(row['log_log'])} | "
            + f"{_growth_cell(time_slopes.get((row['measure'], row['style'])))} |"
        )
    for d in found["differing_functions"]:
        mine, theirs = d["calls"]
        lines += [
            "",
            f"**{LABELS.get(d['measure'], d['measure'])} at {d['depth']} layers**: "
            f"{LABELS[d['style']]} {mine:,} calls against {LABELS[found['reference']]}'s "
            f"{theirs:,} ({mine / theirs:.2f}×). The functions whose calls differ most:",
            "",
            f"| function | {LABELS[d['style']]} | {LABELS[found['reference']]} |",
            "|:--|--:|--:|",
            *(f"| `{f}` | {a:,} | {b:,} |" for f, a, b in d["functions"]),
        ]
    return [*lines, ""]


def _calls(span: list[int] | None) -> str:
    if not span:
        return "–"
    low, high = span
    return f"{low:,}" if low == high else f"{low:,}–{high:,}"


def chart(out: Path, records) -> Path:
    """depth.png: every measure's time against depth, log–log, a line per style with the 95 %
    interval of its mean log time as a band."""
    figure, axes = plt.subplots(3, 3, figsize=(14, 11), layout="constrained")
    by_depth = sorted(records, key=lambda r: depth_of(r.arch))
    for ax, measure in zip(axes.flat, MEASURES_BY_DEPTH, strict=True):
        for style in by_depth[0].styles:
            points = []
            for r in by_depth:
                times = series(r, measure).get(style)
                if times:
                    d = describe([math.log(1000 * t) for t in times])
                    low, high = (
                        (d.ci95_low, d.ci95_high) if d.ci95_low is not None else (d.mean, d.mean)
                    )
                    points.append(
                        (
                            depth_of(r.arch),
                            statistics.median(times) * 1000,
                            math.exp(low),
                            math.exp(high),
                        )
                    )
            if points:
                x, mid, low, high = zip(*points, strict=True)
                ax.plot(x, mid, marker="o", ms=3, label=LABELS[style], color=COLORS.get(style))
                ax.fill_between(x, low, high, alpha=0.2, color=COLORS.get(style))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        unit = "ms per call" if measure in STEADY_MEASURES else "ms"
        ax.set_title(LABELS.get(measure, measure))
        ax.set_xlabel("hidden layers")
        ax.set_ylabel(unit)
        ax.grid(True, which="both", alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    figure.suptitle("What each style costs by depth (median, 95 % band)")
    save_figure(figure, out / "depth.png")
    return out / "depth.png"


def write_depth_report(out: Path, command: str) -> dict[str, Any]:
    """Writes depth.json, README.md and depth.png into `out` from its raw records."""
    found = analyse(out)
    write_json(out / "depth.json", {"schema_version": SCHEMA_VERSION, **found})
    chart(out, [r for r in read_one_time(out) if r.status == "ok"])
    write_atomic(out / "README.md", markdown(found, command).encode())
    return found
