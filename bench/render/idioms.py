"""The named architectures' report (`python -m bench depth --arch cnn,mlp`): each one's styles and
both Sequential idioms against the Sequential the harness builds, in milliseconds. It writes
idioms.json and README.md from the study's raw records, like the depth report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.analysis.depth import MEASURES_BY_DEPTH, TOTAL, against_reference, footprint_of
from bench.render.depth import LABELS, difference, ms
from bench.store.environment import machine_words, provenance_lines
from bench.store.files import write_atomic, write_json
from bench.store.records import read_one_time
from bench.store.schema import DEPTH_RUN_FILE, SCHEMA_VERSION, read_versioned

IDIOM_WORDS = {"list": "a list passed to `keras.Sequential`", "add": "`model.add` after an `Input`"}


def idiom_of(style: str, styles: list[str]) -> str:
    """Which idiom of the Sequential guide `style` is: the built-in `sequential` is the one its
    architecture's other idiom is not."""
    if style.startswith("sequential_"):
        return style.removeprefix("sequential_")
    return "add" if "sequential_list" in styles else "list"


def label(style: str, styles: list[str]) -> str:
    """A style's name in the report, the Sequential idioms told apart."""
    if style.startswith("sequential"):
        return f"Sequential ({idiom_of(style, styles)})"
    return LABELS[style]


def analyse(out: Path) -> dict[str, Any]:
    """Everything the report says, from `out`'s raw records: idioms.json's content."""
    run = read_versioned(out / DEPTH_RUN_FILE)
    records = [r for r in read_one_time(out) if r.status == "ok"]
    if not records:
        raise ValueError(f"{out}/one_time.jsonl holds no finished architecture to report")
    entries = [e for r in records for e in against_reference(r, run["margin"])]
    return {
        "archs": [r.arch for r in records],
        "styles": {r.arch: list(r.styles) for r in records},
        "reference": {r.arch: r.reference for r in records},
        "machine": machine_words(run["environment"]),
        "margin": run["margin"],
        "entries": entries,
        "footprint": {r.arch: footprint_of(r) for r in records},
        "failures": {r.arch: r.failures for r in records if r.failures},
        "run": {k: v for k, v in run.items() if k != "environment"},
        "environment": run["environment"],
    }


def _judged(entry: dict[str, Any], styles: list[str]) -> str:
    return f"{label(entry.style, styles)} {difference(entry)} ({entry.verdict})"


def answer(found: dict[str, Any]) -> list[str]:
    """One line per architecture: the other Sequential idiom's build, and every style's whole
    one-time start, against the Sequential the harness builds, in milliseconds."""
    lines = []
    for arch in found["archs"]:
        styles, entries = found["styles"][arch], [e for e in found["entries"] if e.arch == arch]
        reference = label(found["reference"][arch], styles)
        build = [e for e in entries if e.measure == "build" and e.style.startswith("seq")]
        total = [e for e in entries if e.measure == TOTAL]
        builds = "".join(
            f"{label(e.style, styles)} builds {difference(e)} ({e.verdict}) "
            f"against {ms(e.reference_ms, False)}; "
            for e in build
        )
        whole = ms(total[0].reference_ms, False) if total else "–"
        lines.append(
            f"{arch} ({found['machine']}), against {reference}, once per model: {builds}"
            f"the whole one-time start ({whole}): "
            + "; ".join(_judged(e, styles) for e in total)
            + "."
        )
    return lines


def markdown(found: dict[str, Any], command: str) -> str:
    """README.md of a named architectures' directory."""
    run, environment = found["run"], found["environment"]
    walls = ", ".join(f"{a}: {s:.0f} s" for a, s in run["wall_seconds_by_arch"].items())
    lines = ["# What each Sequential idiom costs: the built-in models, style by style", ""]
    lines += [*answer(found), ""]
    lines += [
        *provenance_lines(environment.get("git")),
        f"Machine: {found['machine']}; TensorFlow {environment['tensorflow']}, Keras "
        f"{environment['keras']}. The study took {run['wall_seconds'] / 60:.1f} min ({walls}). "
        f"Reproduce: `{command}`.",
        "",
        "Each architecture is one process, measured as `python -m bench depth` measures a "
        "depth (docs/depth.md): cycles of build, compile, first train step, "
        "first predict, `.keras` save and load, every style in a balanced order; then "
        f"{run['steady_rounds']} rounds of the steady train step (batch 128) and predict "
        "(1,024 images). The reference is the Sequential model as the harness builds it; the "
        "other idiom of the Sequential guide is timed beside it. Each cell: the median "
        "difference in the same cycle (round), the ratio's 95 % interval in ms at the "
        f"reference's median, and the verdict under a ±{found['margin']:g} % margin.",
        "",
    ]
    for arch in found["archs"]:
        styles, reference = found["styles"][arch], found["reference"][arch]
        others = [s for s in styles if s != reference]
        words = IDIOM_WORDS[idiom_of(reference, styles)]
        lines += [
            f"## {arch}",
            "",
            f"The reference, {label(reference, styles)}: {words}.",
            "",
            f"| measure | {label(reference, styles)} | "
            + " | ".join(label(s, styles) for s in others)
            + " |",
            "|:--|--:|" + "--:|" * len(others),
        ]
        for measure in MEASURES_BY_DEPTH:
            cells = [
                next(
                    (
                        e
                        for e in found["entries"]
                        if (e.arch, e.measure, e.style) == (arch, measure, s)
                    ),
                    None,
                )
                for s in others
            ]
            ref = next((c.reference_ms for c in cells if c), None)
            lines.append(
                f"| {LABELS.get(measure, measure)} | {ms(ref, False)} | "
                + " | ".join(f"{difference(c)} {c.verdict}" if c else "–" for c in cells)
                + " |"
            )
        sizes = ", ".join(
            f"{label(r['style'], styles)} {r['keras_mb']:.2f}"
            for r in found["footprint"][arch]
            if "keras_mb" in r
        )
        lines += ["", f"`.keras` file, MB: {sizes}.", ""]
    return "\n".join(lines)


def write_idioms_report(out: Path, command: str) -> dict[str, Any]:
    """Writes idioms.json and README.md into `out` from its raw records."""
    found = analyse(out)
    write_json(out / "idioms.json", {"schema_version": SCHEMA_VERSION, **found})
    write_atomic(out / "README.md", markdown(found, command).encode())
    return found
