"""The program comparison in words: whether each style compiles to its reference's program, as
the sweep's console, the report's table and its answer say it (`bench.worker.program` traces)."""

from __future__ import annotations

import dataclasses
from typing import Any

from bench.analysis.stats import BEYOND, Verdict, verdict_kind
from bench.plan.backends import model_name
from bench.plan.specs import PROGRAM_STEPS

SAME_PROGRAM = "same program"  # a steady verdict proven, not timed: see `proven`
SAME_WORK = "same work"  # a one-time verdict proven so
PROOFS = (SAME_PROGRAM, SAME_WORK)
STEP_OF = {"train_step": "train", "predict": "predict", "latency": "predict"}


def differing(found: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The styles whose program differs from the reference's: {style: {step: where}}."""
    return {
        style: {step: where for step, where in steps.items() if where}
        for style, steps in (found.get("differences") or {}).items()
        if any(steps.values())
    }


def step_words(found: dict[str, Any], style: str, step: str) -> str:
    """One style's step against the reference: "same program (445 operations)" or where it
    departs from it."""
    if "steps" not in found:
        return "–"
    where = (found["differences"].get(style) or {}).get(step)
    if where:
        return f"differs at {where}"
    return f"same program ({found['steps'][step][style]['operations']} operations)"


def program_words(found: dict[str, Any]) -> str:
    """A model's program comparison in one line."""
    if "error" in found:
        return f"not compared: {found['error']}"
    if "eager" in found:
        return "no compiled program (Keras runs PyTorch eagerly)"
    reference, steps = found["reference"], found["steps"]
    sizes = ", ".join(f"{s} {steps[s][reference]['operations']} ops" for s in PROGRAM_STEPS)
    other = differing(found)
    same = [style for style in found["differences"] if style not in other]
    verb = "compiles" if len(same) == 1 else "compile"
    parts = [f"{', '.join(same)} {verb} to {reference}'s program ({sizes})"] if same else []
    for style, where in other.items():
        steps_that_differ = [f"{s} step, {where[s]}" for s in PROGRAM_STEPS if s in where]
        parts.append(f"{style} does not ({'; '.join(steps_that_differ)})")
    return "; ".join(parts) or f"only {reference}"


def proven(entry: Verdict, programs: dict[str, Any], counts: list[dict[str, Any]]) -> bool:
    """Whether a verdict is decided without timing: one program, and the differing Python calls'
    most cost is inside the margin; what no count sees (caches) the timing still shows."""
    found = (programs.get(entry.backend) or {}).get(entry.arch) or {}
    where = (found.get("differences") or {}).get(entry.style)
    if "steps" not in found or where is None:
        return False
    steady = entry.phase == "steady"
    if where.get(STEP_OF.get(entry.measure, "")) if steady else any(where.values()):
        return False
    key = (entry.backend, entry.arch, entry.style, entry.measure)
    count = next(
        (c for c in counts if (c["backend"], c["arch"], c["style"], c["measure"]) == key), None
    )
    if not count:
        return False
    if count.get("bound_ms") is not None and entry.reference_ms:
        return count["bound_ms"] <= entry.margin / 100 * entry.reference_ms
    return count["exact"] and count["calls"] == count["reference_calls"] and not count["functions"]


def with_proofs(
    entries: list[Verdict], programs: dict[str, Any], counts: list[dict[str, Any]]
) -> list[Verdict]:
    """`entries` with each proven verdict said as `SAME_PROGRAM` (a steady step) or `SAME_WORK`
    (a one-time step), its timing's verdict kept beside it."""
    return [
        dataclasses.replace(
            e,
            verdict=SAME_PROGRAM if e.phase == "steady" else SAME_WORK,
            direction=None,
            timing_verdict=e.verdict,
        )
        if proven(e, programs, counts)
        else e
        for e in entries
    ]


def proof_warnings(entries: list[Verdict]) -> list[str]:
    """A line per proven verdict whose timing found a difference beyond the margin: what the
    proof cannot see (memory layout, caches) may have, or the machine's noise did."""
    return [
        f"{model_name(e.backend, e.arch)}/{e.style} {e.measure}: {e.verdict} as {e.reference} "
        f"(proven by program and calls), but timed {e.timing_verdict} ({e.estimate:.3f}×)"
        for e in entries
        if e.verdict in PROOFS and verdict_kind(e.timing_verdict) == BEYOND
    ]
