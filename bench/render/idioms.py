"""The named architectures' report (`depth --arch cnn,mlp`): each style and idiom in ms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.analysis.depth import MEASURES_BY_DEPTH, TOTAL, against_reference, footprint_of
from bench.render.depth import LABELS, difference, finished, ms
from bench.store.environment import machine_words, provenance_lines
from bench.store.files import write_atomic, write_json
from bench.store.schema import SCHEMA_VERSION

# How each form is written, for the report's words on the reference and the idioms
FORM_WORDS = {
    "sequential": "a list passed to `keras.Sequential`, `keras.Input` first",
    "sequential_add": "`model.add` after a `keras.Input`",
    "sequential_deferred": "a list with no `keras.Input`, built by its first call",
    "functional": "a graph of layers from `keras.Input`",
    "subclassed": "a `keras.Model` subclass whose `call` applies its layers",
    "functional_subclass": "a `keras.Model` subclass that builds its graph in `__init__`",
}


def label(style: str) -> str:
    """A style's name in the report."""
    return LABELS.get(style, style)


def analyse(out: Path) -> dict[str, Any]:
    """Everything the report says, from `out`'s raw records: idioms.json's content."""
    run, records = finished(out, "architecture")
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


def _judged(entry: dict[str, Any]) -> str:
    return f"{label(entry.style)} {difference(entry)} ({entry.verdict})"


def answer(found: dict[str, Any]) -> list[str]:
    """One line per architecture: every form's build and whole one-time start against the
    reference's, in milliseconds."""
    lines = []
    for arch in found["archs"]:
        entries = [e for e in found["entries"] if e.arch == arch]
        reference = label(found["reference"][arch])
        build = [e for e in entries if e.measure == "build"]
        total = [e for e in entries if e.measure == TOTAL]
        builds = (
            f"the build ({ms(build[0].reference_ms, False)}): "
            + "; ".join(_judged(e) for e in build)
            + "; "
            if build
            else ""
        )
        whole = ms(total[0].reference_ms, False) if total else "–"
        lines.append(
            f"{arch} ({found['machine']}), against {reference}, once per model: {builds}"
            f"the whole one-time start ({whole}): " + "; ".join(_judged(e) for e in total) + "."
        )
    return lines


def markdown(found: dict[str, Any], command: str) -> str:
    """README.md of a named architectures' directory."""
    run, environment = found["run"], found["environment"]
    walls = ", ".join(f"{a}: {s:.0f} s" for a, s in run["wall_seconds_by_arch"].items())
    archs = " and ".join(run["archs"])
    lines = [f"# What does each style and idiom of the {archs} models cost once, and per step?", ""]
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
        "(1,024 images). Every style and idiom of the model is timed against its reference "
        "(Sequential from a list, where Sequential can write it). Each cell: the median "
        "difference in the same cycle (round), the ratio's 95 % interval in ms at the "
        f"reference's median, and the verdict under a ±{found['margin']:g} % margin.",
        "",
    ]
    for arch in found["archs"]:
        styles, reference = found["styles"][arch], found["reference"][arch]
        others = [s for s in styles if s != reference]
        lines += [
            f"## {arch}",
            "",
            *(f"- {label(s)}: {FORM_WORDS[s]}" for s in styles if s in FORM_WORDS),
            "",
            f"| measure | {label(reference)} | " + " | ".join(label(s) for s in others) + " |",
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
            f"{label(r['style'])} {r['keras_mb']:.2f}"
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
