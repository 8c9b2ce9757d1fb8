"""The program comparison in words: whether each style compiles to its reference's program, as
the sweep's console, the report's table and its answer say it (`bench.worker.program` traces)."""

from __future__ import annotations

from typing import Any

from bench.plan.specs import PROGRAM_STEPS


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
    parts = [f"{', '.join(same)} compile to {reference}'s program ({sizes})"] if same else []
    for style, where in other.items():
        steps_that_differ = [f"{s} step, {where[s]}" for s in PROGRAM_STEPS if s in where]
        parts.append(f"{style} does not ({'; '.join(steps_that_differ)})")
    return "; ".join(parts) or f"only {reference}"
