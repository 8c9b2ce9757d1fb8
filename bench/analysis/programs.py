"""The program comparison in words: whether each style compiles to its reference's program, as
the sweep's console, the report's table and its answer say it (`bench.worker.program` traces)."""

from __future__ import annotations

import dataclasses
from typing import Any

from bench.analysis.stats import BEYOND, Verdict, verdict_kind
from bench.plan.backends import model_name
from bench.plan.specs import PROGRAM_STEPS

SAME_PROGRAM = "same program"  # a steady verdict proven, not timed: see `proven`
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
    """Whether a steady verdict is decided without timing: the style's step compiles to the
    reference's program, and each Python function around it is called as often as the
    reference's, exactly, in every count. Then the kernels are the same and so is the Python:
    nothing is left for a call to differ by but what no count sees (memory layout, caches),
    which the timing that still runs shows."""
    found = (programs.get(entry.backend) or {}).get(entry.arch) or {}
    step = STEP_OF.get(entry.measure)
    if "steps" not in found or step is None or entry.style not in found["differences"]:
        return False
    if found["differences"][entry.style].get(step):
        return False
    key = (entry.backend, entry.arch, entry.style, entry.measure)
    count = next(
        (c for c in counts if (c["backend"], c["arch"], c["style"], c["measure"]) == key), None
    )
    return (
        bool(count)
        and count["exact"]
        and count["calls"] == count["reference_calls"]
        and not count["functions"]
    )


def with_proofs(
    entries: list[Verdict], programs: dict[str, Any], counts: list[dict[str, Any]]
) -> list[Verdict]:
    """`entries` with each proven steady verdict said as `SAME_PROGRAM`, its timing's verdict
    kept beside it."""
    return [
        dataclasses.replace(e, verdict=SAME_PROGRAM, direction=None, timing_verdict=e.verdict)
        if e.phase == "steady" and proven(e, programs, counts)
        else e
        for e in entries
    ]


def proof_warnings(entries: list[Verdict]) -> list[str]:
    """A line per proven verdict whose timing found a difference beyond the margin: what the
    proof cannot see (memory layout, caches) may have, or the machine's noise did."""
    return [
        f"{model_name(e.backend, e.arch)}/{e.style} {e.measure}: the same program and Python "
        f"calls as {e.reference}, but timed {e.timing_verdict} ({e.estimate:.3f}×)"
        for e in entries
        if e.verdict == SAME_PROGRAM and verdict_kind(e.timing_verdict) == BEYOND
    ]
