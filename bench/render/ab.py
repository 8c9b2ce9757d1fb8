"""An A/B run's report: `ab.json`, `ab.md` and `ab.png` in its directory, and the console's
lines, the verdicts first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tabulate import tabulate

from bench.analysis.ab import (
    ab_entries,
    accuracy_dropped,
    accuracy_entry,
    capability_changes,
    regressions,
    side_count_changes,
    smallest_detectable,
    style_effects,
)
from bench.analysis.capabilities import change_line
from bench.analysis.counts import count_line, program_changes, program_line
from bench.analysis.metrics import MEASURE_LABELS
from bench.analysis.stats import Verdict
from bench.plan.settings import MNIST_TEST_IMAGES, MNIST_TRAIN_IMAGES
from bench.render.plots import COLORS, forest_panel, plt, save_figure
from bench.store.ab import AbRun
from bench.store.capabilities import PREVIOUS_INSTALL, YES, outcome_of
from bench.store.environment import machine_words
from bench.store.files import write_atomic, write_json
from bench.store.schema import SCHEMA_VERSION


def ab_results(run: AbRun) -> dict[str, Any]:
    """Everything `ab.json` holds: the sides, their libraries and machine, every comparison."""
    c = run.config
    entries = ab_entries(run.records, c.time_margin, c.one_time_margin)
    steps = [e for e in entries if e.measure == "train_step"]
    accuracy = accuracy_entry(run.runs)
    calls = side_count_changes(run.records)
    changes = (
        capability_changes(run.capabilities["base"], run.capabilities["new"])
        if run.capabilities
        else []
    )
    return {
        "schema_version": SCHEMA_VERSION,
        "command": list(c.command),
        "sides": {
            name: {
                "python": c.side(name).python,
                "env": dict(c.side(name).env),
                "environment": run.environments.get(name, {}),
            }
            for name in ("base", "new")
        },
        "arch": c.arch,
        "styles": list(c.styles),
        "reference": c.reference,
        "one_time_cycles": c.one_time_cycles,
        "steady_rounds": c.steady_rounds,
        "pairs": len({p for _, p, _ in run.records}),
        "failed_processes": sum(r.status != "ok" for _, _, r in run.records),
        "failed_runs": sum(r.status != "ok" for _, r in run.runs),
        "stopped": run.stopped,
        "wall_seconds": run.wall_seconds,
        "time_margin_percent": c.time_margin,
        "one_time_margin_percent": c.one_time_margin,
        "entries": entries,
        "style_effects": style_effects(run.records, c.reference, c.time_margin, c.one_time_margin),
        "regressions": regressions(entries),
        "training": (
            f"{c.settings.epochs} epoch(s) on {c.settings.train_images or MNIST_TRAIN_IMAGES:,} "
            f"training images, tested on {c.settings.test_images or MNIST_TEST_IMAGES:,} test "
            f"images, the quick profile's; op determinism "
            f"{'on' if c.settings.deterministic else 'off'}"
        ),
        "python_calls": calls,
        "program_changes": program_changes(
            run.programs.get("base") or {}, run.programs.get("new") or {}
        ),
        "more_python_work": [change for change in calls if change["regression"]],
        "accuracy": accuracy,
        "accuracy_dropped": accuracy_dropped(accuracy),
        "capabilities": run.capabilities,
        "capability_changes": changes,
        "capabilities_lost": [change for change in changes if change["regression"]],
        "smallest_detectable_train_step_percent": max(
            (smallest_detectable(e) or 0 for e in steps), default=None
        ),
    }


def _side_line(name: str, side: dict[str, Any]) -> str:
    env = side["environment"]
    settings = " ".join(f"{k}={v}" for k, v in side["env"].items())
    return (
        f"{name.upper()}: {side['python']}{f' with {settings}' if settings else ''}: "
        f"TensorFlow {env.get('tensorflow')}, Keras {env.get('keras')}, Python "
        f"{env.get('python')}, on {machine_words(env) if env.get('cpu_model') else '?'}"
    )


def _bounds(e: Verdict) -> str:
    return "" if e.ci95_low is None else f"[{e.ci95_low:.3f}, {e.ci95_high:.3f}] "


def _row(e: Verdict) -> list[str]:
    return [
        e.style,
        MEASURE_LABELS[e.measure].label,
        f"{e.base_ms or 0:.2f}",
        f"{e.new_ms or 0:.2f}",
        f"{e.estimate:.3f} {_bounds(e)}",
        e.verdict,
    ]


def ab_markdown(found: dict[str, Any]) -> str:
    """The report: the sides, the gate's answer, then every ratio with its interval."""
    headers = ["style", "measure", "BASE ms", "NEW ms", "NEW / BASE [95 % CI]", "verdict"]
    lines = [
        "# An upgrade judged in pairs",
        "",
        *[f"- {_side_line(n, found['sides'][n])}" for n in ("base", "new")],
        f"- {found['arch']}, {', '.join(found['styles'])}; {found['pairs']} pairs of "
        f"processes in ABBA order, each {found['one_time_cycles']} one-time cycles and "
        f"{found['steady_rounds']} steady rounds; stopped: {found['stopped']}; "
        f"{found['wall_seconds'] / 60:.1f} min",
        "",
    ]
    if found["failed_processes"] or found["failed_runs"]:
        lines += [
            f"**{found['failed_processes']} process(es) and {found['failed_runs']} run(s) "
            "failed**; their pairs and seeds are left out (ab.jsonl holds each error).",
            "",
        ]
    lines += [*regression_lines(found), ""]
    detect = found["smallest_detectable_train_step_percent"]
    if detect is not None:
        lines += [
            f"The smallest training-step slowdown this run could have told from none: "
            f"{detect:.1f} % (its widest 95 % half-width).",
            "",
        ]
    for phase, margin, title in (
        ("steady", found["time_margin_percent"], "Steady"),
        ("one_time", found["one_time_margin_percent"], "One-time"),
    ):
        rows = [_row(e) for e in found["entries"] if e.phase == phase]
        if rows:
            lines += [
                f"## {title} costs, margin ±{margin:g} %",
                "",
                tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True),
                "",
            ]
    lines += accuracy_section(found) + capability_section(found) + program_section(found)
    if found["style_effects"]:
        rows = [
            [
                e.style,
                MEASURE_LABELS[e.measure].label,
                f"{e.estimate:.3f} {_bounds(e)}",
                e.verdict,
            ]
            for e in found["style_effects"]
        ]
        lines += [
            f"## Did the upgrade change a style's effect? Against {found['reference']}: "
            "(NEW style / NEW reference) over (BASE style / BASE reference)",
            "",
            tabulate(
                rows,
                headers=["style", "measure", "ratio of ratios [95 % CI]", "verdict"],
                tablefmt="github",
                disable_numparse=True,
            ),
            "",
        ]
    lines += [
        "## Reproduce",
        "",
        "```",
        "python -m bench ab " + " ".join(found["command"]),
        "```",
        "",
    ]
    return "\n".join(lines)


def accuracy_section(found: dict[str, Any]) -> list[str]:
    """Each seed's accuracy on both sides, and their paired difference."""
    e = found["accuracy"]
    if e is None:
        return []
    rows = [
        [seed, style, f"{100 * base:.2f}", f"{100 * new:.2f}", f"{100 * (new - base):+.2f}"]
        for seed, style, base, new in zip(e["seeds"], e["styles"], e["base"], e["new"], strict=True)
    ]
    return [
        f"## Accuracy, paired by seed, margin ±{e['change'].margin:g} points",
        "",
        f"One short run per side and seed ({found['training']}); {accuracy_words(e)}.",
        "",
        tabulate(
            rows,
            headers=["seed", "style", "BASE %", "NEW %", "NEW − BASE"],
            tablefmt="github",
            disable_numparse=True,
        ),
        "",
    ]


def program_section(found: dict[str, Any]) -> list[str]:
    """The compiled steps that changed, BASE to NEW: listed, never a regression."""
    changes = found.get("program_changes") or []
    return [
        "## Compiled programs that changed",
        "",
        *(f"- {program_line(p)}" for p in changes),
        *([] if changes else ["None: both sides trace the same programs."]),
        "",
    ]


def capability_section(found: dict[str, Any]) -> list[str]:
    """Which capability checks changed, and NEW's loads of BASE's `.keras` files."""
    lines = capability_lines(found)
    if not lines:
        return []
    return ["## Capabilities", "", *(f"- {line}" for line in lines), ""]


def regression_lines(found: dict[str, Any]) -> list[str]:
    """The gate's answer in words: each regression (a slowdown, an accuracy drop, a lost
    capability), or that there is none."""
    lines = [
        f"REGRESSION: {e.style} {MEASURE_LABELS[e.measure].label} {e.estimate:.3f}× "
        f"[{e.ci95_low:.3f}, {e.ci95_high:.3f}], {e.verdict}"
        for e in found["regressions"]
    ]
    if found["accuracy_dropped"]:
        lines.append(f"REGRESSION: {accuracy_words(found['accuracy'])}")
    lines += [f"REGRESSION: lost {change_line(c)}" for c in found["capabilities_lost"]]
    lines += [f"REGRESSION: more Python work: {count_line(c)}" for c in found["more_python_work"]]
    return lines or [
        "No regression: no slowdown or accuracy drop past its margin whose interval excludes "
        "no change, no capability lost, and no Python call count grown."
    ]


def accuracy_words(e: dict[str, Any]) -> str:
    """Accuracy, NEW − BASE, with its interval, seeds and verdict."""
    c = e["change"]
    bounds = "" if c.ci95_low is None else f" [{c.ci95_low:+.2f}, {c.ci95_high:+.2f}]"
    return (
        f"test accuracy, NEW − BASE: {c.estimate:+.2f} points{bounds} over seeds "
        f"{', '.join(map(str, e['seeds']))}, {c.verdict}"
    )


def capability_lines(found: dict[str, Any], lost: bool = True) -> list[str]:
    """What changed in what the styles can do (with the checks lost, unless `lost` is false,
    as where the gate's lines name them), and whether NEW loaded what BASE saved."""
    if not found["capabilities"]:
        return []
    new = found["capabilities"]["new"]
    loaded = sum(
        outcome_of(checks[PREVIOUS_INSTALL]) == YES
        for styles in new.values()
        for checks in styles.values()
        if PREVIOUS_INSTALL in checks
    )
    styles = sum(len(by_style) for by_style in new.values())
    changed = len(found["capability_changes"])
    return [
        *(
            f"changed: {change_line(c)}"
            for c in found["capability_changes"]
            if lost or not c["regression"]
        ),
        f"capabilities: {changed or 'no'} check{'' if changed == 1 else 's'} changed; NEW "
        f"loaded the .keras file BASE saved for {loaded} of {styles} style(s)",
    ]


def ab_chart(found: dict[str, Any]):
    """Every NEW-over-BASE ratio with its interval, steady and one-time apart, each with its
    margin band."""
    phases = [
        p
        for p in ("steady", "one_time")
        if any(e.phase == p and e.ci95_low is not None for e in found["entries"])
    ]
    figure, axes = plt.subplots(
        len(phases) or 1, 1, squeeze=False, figsize=(8.5, 1.6 + 0.4 * len(found["entries"]))
    )
    for ax, phase in zip(axes[:, 0], phases, strict=False):
        margin = found["time_margin_percent" if phase == "steady" else "one_time_margin_percent"]
        rows = [
            (
                f"{e.style} · {MEASURE_LABELS[e.measure].short}",
                e.estimate,
                e.ci95_low,
                e.ci95_high,
                COLORS.get(e.style, "black"),
                e.verdict,
            )
            for e in found["entries"]
            if e.phase == phase and e.ci95_low is not None
        ]
        forest_panel(ax, rows, margin)
        ax.set_title(f"{phase.replace('_', '-')}: NEW / BASE (> 1 is slower; grey: ±{margin:g} %)")
    axes[-1, 0].set_xlabel("NEW time over BASE time: geometric mean over pairs, 95 % interval")
    figure.tight_layout()
    return figure


def write_ab_report(run: AbRun) -> dict[str, Any]:
    """Writes ab.json, ab.md and ab.png into the run's directory; returns what ab.json holds."""
    out: Path = run.config.out
    found = ab_results(run)
    write_json(out / "ab.json", found)
    write_atomic(out / "ab.md", ab_markdown(found).encode())
    if found["entries"]:
        save_figure(ab_chart(found), out / "ab.png")
    return found


def console_lines(found: dict[str, Any]) -> list[str]:
    """What the console prints: the gate's answer, then each ratio that is not equivalent."""
    lines = regression_lines(found)
    others = [
        e for e in found["entries"] if e.verdict != "equivalent" and e not in found["regressions"]
    ]
    lines += [
        f"  {e.style} {MEASURE_LABELS[e.measure].label}: {e.estimate:.3f}× {_bounds(e)}{e.verdict}"
        for e in others
    ]
    if found["accuracy"] and not found["accuracy_dropped"]:
        lines.append(f"  {accuracy_words(found['accuracy'])}")
    lines += [f"  {line}" for line in capability_lines(found, lost=False)]
    changed = found.get("program_changes") or []
    lines += [f"  program changed: {program_line(p)}" for p in changed] or [
        "  programs: both sides trace the same"
    ]
    equivalent = sum(e.verdict == "equivalent" for e in found["entries"])
    lines.append(
        f"{equivalent} of {len(found['entries'])} NEW/BASE ratios equivalent; "
        f"{found['pairs']} pairs, stopped: {found['stopped']}"
    )
    return lines
