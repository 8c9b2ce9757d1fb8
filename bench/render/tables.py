"""Tables as DataFrames, and the words and numbers every table and page writes a comparison in."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.analysis.counts import calls_text
from bench.analysis.metrics import MEASURE_LABELS, METRICS
from bench.analysis.programs import step_words
from bench.analysis.stats import Verdict
from bench.analysis.summary import half_width_percent
from bench.plan.backends import BACKENDS, DEFAULT_BACKEND
from bench.plan.specs import PROGRAM_STEPS
from bench.store.records import RunRecord, references
from mnist_models import form_order


def ms_pair(entry: dict) -> str | None:
    """A one-time entry's milliseconds, "reference, difference" ("150.0, +30.0"): what its
    ratio means at this model's size; None for an entry without them."""
    if entry.reference_ms is None:
        return None
    return f"{entry.reference_ms:.1f}, {entry.difference_ms:+.1f}"


def verdict_text(entry: Verdict) -> str:
    """A verdict, with the timing's beside a proof's."""
    timed = entry.timing_verdict
    return entry.verdict + (f" (timed: {timed})" if timed else "")


def md(frame: pd.DataFrame) -> str:
    """A table as GitHub Markdown."""
    return frame.to_markdown(index=False, disable_numparse=True) + "\n"


def program_table(programs: dict[str, Any]) -> pd.DataFrame:
    """One row per (backend, arch, style other than the reference): each step's program against
    the reference's, or why it was not compared."""
    rows = []
    for backend, by_arch in programs.items():
        for arch, found in by_arch.items():
            why = found.get("error") or found.get("eager")
            # a sweep of the reference alone has nothing to compare
            for style in found.get("differences") or ({"–": None} if why else {}):
                rows.append(
                    {"backend": backend, "arch": arch, "style": style}
                    | {
                        f"{step} step": why or step_words(found, style, step)
                        for step in PROGRAM_STEPS
                    }
                )
    return pd.DataFrame(rows)


def count_table(entries: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per (model, style, measure): its Python calls against the reference's, and the
    functions whose calls differ most (the style's, then the reference's)."""
    return pd.DataFrame(
        [
            {
                "backend": e["backend"],
                "arch": e["arch"],
                "style": e["style"],
                "measure": MEASURE_LABELS[e["measure"]].label,
                "calls / reference's": calls_text(e),
                "exact": "yes" if e["exact"] else f"no ({e['counts']} counts)",
                "differing most": "; ".join(f"{f} {a:,} vs {b:,}" for f, a, b in e["functions"])
                or "–",
            }
            for e in entries
        ]
    )


def estimate_text(value: float, unit: str) -> str:
    """A ratio as 1.023×, a difference in points as +0.12 pt."""
    return f"{value:.3f}×" if unit == "ratio" else f"{value:+.2f} pt"


def interval_text(c: dict[str, Any], units: bool = True) -> str:
    """A comparison's 95 % interval: "[0.990×, 1.010×]", or bare "[0.990, 1.010]"."""
    if c.ci95_low is None:
        return "–"
    if units:
        bounds = (estimate_text(v, c.unit) for v in (c.ci95_low, c.ci95_high))
    else:
        spec = ".3f" if c.unit == "ratio" else "+.2f"
        bounds = (format(v, spec) for v in (c.ci95_low, c.ci95_high))
    return "[{}, {}]".format(*bounds)


def ratio_text(c: dict[str, Any]) -> str:
    """A ratio with its interval, as the console and `compare` show it: 1.004× [0.998, 1.010]."""
    return f"{estimate_text(c.estimate, c.unit)} {interval_text(c, units=False)}"


def paired_table(paired: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per (arch, style, measure): the ratio to the reference, its interval, verdict."""
    rows = [
        {
            "backend": e.backend,
            "arch": e.arch,
            "style": e.style,
            "measure": MEASURE_LABELS[e.measure].label,
            "time ratio to reference [95 % CI]": (
                f"{e.estimate:.3f} {interval_text(e, units=False)}"
            ),
            "half-width": f"±{half_width_percent(e):.1f} %",
            "verdict": verdict_text(e),
            "processes × rounds, calls/burst": (
                f"{e.processes} × {e.rounds // e.processes}, {e.steps_per_burst}"
            ),
        }
        for e in paired
    ]
    return pd.DataFrame(rows)


def stopping_table(stopping: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per paired phase and model: processes, time, why it stopped, verdicts undecided,
    its widest interval against that measure's aim."""
    rows = []
    for s in stopping:
        share = s.get("widest_share_of_aim")
        widest = (
            "–"
            if share is None or share == float("inf")
            else (f"{s['widest_style']} {MEASURE_LABELS[s['widest_measure']].label}: {share:.2f}")
        )
        rows.append(
            {
                "phase": "one-time" if s["phase"] == "one_time" else "steady",
                "backend": s["backend"],
                "arch": s["arch"],
                "processes": f"{s['processes']} of {s['most_processes']}",
                "worker time": f"{s['worker_seconds'] / 60:.1f} min",
                "stopped": s["stopped"],
                "widest interval / its aim": widest,
                "undecided": (f"{s['undecided']} of {s['verdicts']}" if "undecided" in s else "–"),
            }
        )
    return pd.DataFrame(rows)


def one_time_table(
    entries: list[Verdict], counts: list[dict[str, Any]] | None = None
) -> pd.DataFrame:
    """One row per (arch, style, one-time measure): ratio and verdict, the reference's median ms
    and the style's difference, and the calls' ratio."""
    ratios = {(c["backend"], c["arch"], c["style"], c["measure"]): c["ratio"] for c in counts or []}
    return pd.DataFrame(
        [
            {
                "backend": e.backend,
                "arch": e.arch,
                "style": e.style,
                "measure": MEASURE_LABELS[e.measure].label,
                "time ratio to reference [95 % CI]": ratio_text(e).replace("×", "", 1),
                "half-width": "–" if e.ci95_low is None else f"±{half_width_percent(e):.1f} %",
                "verdict": verdict_text(e),
                "ms: reference, difference": ms_pair(e) or "–",
                "calls ×": calls_cell(e, ratios.get((e.backend, e.arch, e.style, e.measure))),
                "processes × cycles": f"{e.processes} × {e.cycles // e.processes}",
            }
            for e in entries
        ]
    )


def calls_cell(entry: Verdict, ratio: float | None) -> str:
    """The calls' ratio to the reference's, said to disagree where a decided time points the
    other way by more than 1 %."""
    if ratio is None:
        return "–"
    time_way = {"higher": 1, "lower": -1}.get(entry.direction or "", 0)
    calls_way = 1 if ratio > 1.01 else -1 if ratio < 0.99 else 0
    disagree = time_way and calls_way and time_way != calls_way
    return f"{ratio:.2f}" + (" (the other way)" if disagree else "")


def drift_table(drift: list[dict[str, Any]]) -> pd.DataFrame:
    """The one-time phase's slope over cycles, per model, measure and style."""

    def interval(d):
        if d["ci95_low"] is None:
            return "–"
        return f"[{d['ci95_low']:+.2f}, {d['ci95_high']:+.2f}]"

    return pd.DataFrame(
        [
            {
                "arch": d["arch"]
                if d["backend"] == DEFAULT_BACKEND
                else f"{d['backend']}/{d['arch']}",
                "measure": MEASURE_LABELS[d["measure"]].label,
                "style": d["style"],
                "of": d["of"],
                "% per cycle [95 % CI]": f"{d['percent_per_cycle']:+.2f} {interval(d)}",
            }
            for d in drift
        ]
    )


def headline_table(records: list[RunRecord], summary: dict[str, Any]) -> pd.DataFrame:
    """One row per (backend, arch, style): the means a reader looks at first."""
    stats = {
        (s.get("backend", DEFAULT_BACKEND), s["arch"], s["style"], s["metric"]): s
        for s in summary["stats"]
    }
    reference_of = references(records)
    rows = []
    for key in sorted(
        {(r.backend, r.arch, r.style) for r in records},
        key=lambda k: (BACKENDS.index(k[0]), k[1], form_order(k[2])),
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
                ".keras KiB": mean("saved_model_bytes", 1 / 1024, 0),
                "peak RSS MiB": mean("peak_rss_bytes", 1 / 2**20, 0),
                "identical to reference": _identity_cell(
                    style == reference_of[(backend, arch)], identical
                ),
            }
        )
    return pd.DataFrame(rows)


def _jit_cell(ok: list[RunRecord]) -> str:
    used = {r.jit_compile for r in ok}
    return "–" if not used or None in used else "/".join("on" if u else "off" for u in used)


def _identity_cell(is_reference: bool, identical: list[bool]) -> str:
    if is_reference:
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
                "backend": c.backend,
                "arch": c.arch,
                "style": c.style,
                "metric": METRICS[c.measure].label,
                "vs reference": estimate_text(c.estimate, c.unit),
                "95 % CI": interval_text(c),
                "margin": f"±{c.margin:g} {'%' if c.unit == 'ratio' else 'pt'}",
                "verdict": c.verdict,
            }
        )
    return pd.DataFrame(rows)


def backend_table(summary: dict[str, Any]) -> pd.DataFrame:
    """Each other backend against TensorFlow, per (arch, style), paired by seed."""
    rows = []
    for c in summary.get("backend_comparisons", []):
        rows.append(
            {
                "backend": c.backend,
                "arch": c.arch,
                "style": c.style,
                "metric": METRICS[c.measure].label,
                "vs tensorflow": estimate_text(c.estimate, c.unit),
                "95 % CI": interval_text(c),
                "verdict": c.verdict,
            }
        )
    return pd.DataFrame(rows)
