"""What the console shows after a sweep: the answer first, in a table that fits 100 columns,
then where the full report is, then the warnings, each kind in one line."""

from __future__ import annotations

import textwrap
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.analysis.metrics import MEASURE_LABELS
from bench.analysis.programs import SAME_PROGRAM, SAME_WORK, program_words
from bench.analysis.stats import (
    AT_MARGIN,
    BEYOND,
    EQUIVALENT,
    INCONCLUSIVE,
    NO_SPREAD,
    TOO_FEW,
    UNCLEAR,
    WITHIN,
    verdict_kind,
)
from bench.analysis.stopping import BUDGET, MAXIMUM
from bench.analysis.summary import decided, undecided_warnings
from bench.plan.backends import BACKENDS, model_name
from bench.render.headline import answer
from bench.render.markdown import forms_left_out
from bench.store.capabilities import NO, NOT_SUPPORTED, outcome_of
from bench.store.records import references
from mnist_models import form_order

WIDTH = 100  # no console line is longer: longer ones wrap, their continuations indented
# The console's columns: the steady measures, then the one-time costs a user feels most.
COLUMNS = (
    ("train", "train_step"),
    ("predict", "predict"),
    ("latency", "latency"),
    ("build", "build"),
    ("1st step", "first_train_step"),
    ("load", "load"),
)
LEGEND = (
    "same prog / same work: one compiled program, and what the Python calls that differ can "
    "cost inside the margin, proven (its timing beside it in summary.md); same: equivalent "
    "within the margin; slower <m / faster <m: a real "
    "difference inside it; "
    "SLOWER / FASTER: beyond it; slower ~m / faster ~m: about its size; slower? / faster?: "
    "size unclear; unclear: the interval is "
    "too wide to say"
)


def short_verdict(entry: dict[str, Any]) -> str:
    """A paired entry's verdict in the console's few letters (LEGEND says what they mean)."""
    word = {"higher": "slower", "lower": "faster"}.get(entry.direction, "")
    short = {
        EQUIVALENT: "same",
        SAME_PROGRAM: "same prog",
        SAME_WORK: "same work",
        WITHIN: f"{word} <m",
        BEYOND: word.upper(),
        AT_MARGIN: f"{word} ~m",
        UNCLEAR: f"{word}?",
        INCONCLUSIVE: "unclear",
        TOO_FEW: "n<2",
        NO_SPREAD: "no spread",
    }
    return short.get(verdict_kind(entry.verdict), entry.verdict)


def answer_table(results: dict[str, Any]) -> list[str]:
    """Per model, one row per style: accuracy, identical weights, the paired phase's median
    training step (the runs' own step times vary by more than the styles do), each verdict."""
    stats = {
        (s["backend"], s["arch"], s["style"], s["metric"]): s for s in results["summary"]["stats"]
    }
    verdicts = {(e.backend, e.arch, e.style, e.measure): e for e in results["paired"]}
    medians = results.get("paired_medians") or []
    steps = {
        (m["backend"], m["arch"], m["style"]): m["median_ms_per_call"]
        for m in medians
        if m["measure"] == "train_step"
    }
    runs = defaultdict(list)
    order = sorted(
        results["runs"],
        key=lambda r: (BACKENDS.index(r["backend"]), r["arch"], form_order(r["style"])),
    )
    for run in order:
        runs[(run["backend"], run["arch"], run["style"])].append(run)
    reference_of = references([_Run(r) for r in results["runs"]])
    # "2/3 DIFFER" and "slower <m" fill their columns: the spaces before them are written, not
    # left to the widths
    header = f"{'style':11s}{'acc %':>7s} {'identical':>11s}{'step ms':>8s} " + " ".join(
        f"{label:>9s}" for label, _ in COLUMNS
    )
    lines = []
    for backend, arch in dict.fromkeys((b, a) for b, a, _ in runs):
        reference = reference_of[(backend, arch)]
        lines += ["", f"{model_name(backend, arch)} (each style against {reference})", header]
        for (b, a, style), group in runs.items():
            if (b, a) != (backend, arch):
                continue
            accuracy = stats.get((b, a, style, "test_accuracy"))
            step = steps.get((b, a, style))
            same = [
                r["identical_to_reference"]
                for r in group
                if r.get("identical_to_reference") is not None
            ]
            identical = (
                "reference"
                if style == reference
                else (
                    f"{sum(same)}/{len(same)}" + ("" if all(same) else " DIFFER") if same else "–"
                )
            )
            cells = [
                "–"
                if style == reference or (b, a, style, m) not in verdicts
                else short_verdict(verdicts[(b, a, style, m)])
                for _, m in COLUMNS
            ]
            if len(style) > 10:  # a long form's name gets its own line: the row fits 100
                lines.append(style)
            lines.append(
                f"{'' if len(style) > 10 else style:11s}{_mean(accuracy, 100, 2):>7s} "
                f"{identical:>11s}"
                f"{'–' if step is None else f'{step:.1f}':>8s} "
                + " ".join(f"{cell:>9s}" for cell in cells)
            )
        lines += _milliseconds_line(verdicts, backend, arch, reference)
        lines += _calls_line(results.get("python_calls") or [], backend, arch, reference)
        program = (results.get("programs") or {}).get(backend, {}).get(arch)
        if program:
            lines += wrap(f"  program: {program_words(program)}")
    return lines


def _milliseconds_line(verdicts: dict, backend: str, arch: str, reference: str) -> list[str]:
    """The one-time columns in milliseconds: the reference's median, each style's difference."""
    parts = []
    for label, measure in COLUMNS:
        found = [
            e
            for (b, a, _, m), e in verdicts.items()
            if (b, a, m) == (backend, arch, measure) and e.phase == "one_time"
        ]
        if found:
            others = ", ".join(f"{e.style} {e.difference_ms:+.0f}" for e in found)
            parts.append(f"{label} {found[0].reference_ms:.0f} ({others})")
    return (
        wrap(f"  once, ms ({reference}, and each style's difference): " + "; ".join(parts))
        if parts
        else []
    )


def _calls_line(entries: list, backend: str, arch: str, reference: str) -> list[str]:
    """Each style's Python calls as a multiple of the reference's, per counted measure (~: the
    counts varied)."""
    mine = [e for e in entries if (e["backend"], e["arch"]) == (backend, arch)]
    styles = list(dict.fromkeys(e["style"] for e in mine))
    parts = [
        f"{MEASURE_LABELS[measure].short} "
        + ", ".join(
            f"{e['ratio']:.2f}{'' if e['exact'] else '~'}" for e in mine if e["measure"] == measure
        )
        for measure in dict.fromkeys(e["measure"] for e in mine)
    ]
    if not parts:
        return []
    return wrap(f"  Python calls, × {reference}'s ({', '.join(styles)}): " + "; ".join(parts))


def warning_lines(results: dict[str, Any]) -> list[str]:
    """The report's warnings for the console: runs that vary become one line with a count,
    undecided verdicts one line per model, every other warning as it is."""
    paired = results.get("paired") or []
    per_interval = set(undecided_warnings(paired))  # one line per model instead
    unstable, other = [], []
    for warning in results["summary"]["warnings"]:
        if "unstable, standard deviation" in warning:
            unstable.append(warning)
        elif warning not in per_interval:
            other.append(warning)
    lines = [f"warning: {w}" for w in other]
    if unstable:
        lines.append(
            f"note: {len(unstable)} per-run timings vary by over 10 % from run to run "
            "(summary.md); the verdicts above are paired"
        )
    open_, total, phases = defaultdict(int), defaultdict(int), defaultdict(list)
    for entry in paired:
        model = model_name(entry.backend, entry.arch)
        total[model] += 1
        open_[model] += not decided(entry)
    for phase in results.get("paired_stopping") or []:
        phases[model_name(phase["backend"], phase["arch"])].append(phase)
    for model, count in open_.items():
        if count:
            lines.append(
                f"note: {model}: {count} of {total[model]} paired verdicts undecided "
                f"(summary.md says why); {_what_decides(phases[model])}"
            )
    return [part for line in lines for part in wrap(line)]


def _what_decides(phases: list[dict[str, Any]]) -> str:
    """What could decide a model's open verdicts: more time, or nothing the options give."""
    if any(p["stopped"] == BUDGET for p in phases):
        return "a larger --budget may decide them"
    capped = [p for p in phases if p["stopped"] == MAXIMUM]
    if capped:
        names = ", ".join(
            f"{'one-time' if p['phase'] == 'one_time' else 'steady'} ({p['most_processes']})"
            for p in capped
        )
        return f"their phase ran its most processes: {names}"
    return "more --max-processes may decide them"


def report_lines(results: dict[str, Any], out: Path) -> list[str]:
    """Everything the console prints once a sweep's report is written."""
    return [
        "",
        *wrap(answer(results), indent=""),
        *answer_table(results),
        *_not_run_lines(results.get("config") or {}),
        *capability_lines(results.get("capabilities") or {}),
        "",
        *wrap(LEGEND, indent=""),
        "every verdict with its interval: summary.md; the data: results.json; both beside",
        f"full report: {out / 'README.md'}",
        *warning_lines(results),
    ]


def _not_run_lines(config: dict[str, Any]) -> list[str]:
    left = forms_left_out(config)
    return wrap(f"not run: {', '.join(left)} (--styles all runs them)", indent="") if left else []


def capability_lines(capabilities: dict[str, Any]) -> list[str]:
    """One line per model and style that fails a capability check: which ones (the report's
    "What each style can do" says why, and the remedy)."""
    lines = []
    for model, styles in capabilities.items():
        for style, checks in styles.items():
            failed = [c for c, found in checks.items() if outcome_of(found) in (NO, NOT_SUPPORTED)]
            if failed:
                lines += wrap(
                    f"cannot: {model}/{style}, {len(failed)} of {len(checks)} "
                    f"capability checks: {', '.join(failed)}",
                    indent="",
                )
    return ([""] if lines else []) + lines


class _Run:
    """The fields of a run dict that `references` reads."""

    def __init__(self, run: dict[str, Any]):
        self.backend, self.arch, self.style = run["backend"], run["arch"], run["style"]


def _mean(stat: dict[str, Any] | None, scale: float, digits: int) -> str:
    return "–" if stat is None else f"{stat['mean'] * scale:.{digits}f}"


def echo(line: str) -> None:
    """Prints console lines at once, each wrapped to the console's width (`wrap`)."""
    print("\n".join(part for each in line.split("\n") for part in wrap(each)), flush=True)


def wrap(line: str, width: int = WIDTH, indent: str = "    ") -> list[str]:
    """A console line as lines of at most `width` columns, each continuation indented by
    `indent` beyond the line's own indentation; words are never split."""
    if len(line) <= width:
        return [line]
    lead = line[: len(line) - len(line.lstrip())]
    return textwrap.wrap(
        line, width, subsequent_indent=lead + indent, break_long_words=False, break_on_hyphens=False
    )
