"""A sweep report's first lines: the question the sweep answers, from what it ran, and its
answer in one sentence, from its verdicts."""

from __future__ import annotations

import math
from typing import Any

from bench.analysis.metrics import MEASURE_LABELS
from bench.analysis.programs import PROOFS
from bench.analysis.stats import AT_MARGIN, BEYOND, EQUIVALENT
from bench.analysis.summary import decided
from bench.plan.backends import BACKENDS
from bench.store.capabilities import NO, outcome_of
from bench.store.records import references

BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def _words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def question(results: dict[str, Any]) -> str:
    """What the sweep asks of its models, on its backends."""
    config = results.get("config") or {}
    backends = [BACKEND_NAMES.get(b, b) for b in config.get("backends") or ["tensorflow"]]
    archs = list(config.get("archs") or [])
    asked = ["their accuracy" if len(archs) > 1 else "its accuracy"]
    asked += ["speed per step"] if config.get("steady_rounds") else []
    asked += ["one-time costs"] if config.get("one_time_cycles") else []
    asked += ["what each can do"] if results.get("capabilities") else []
    return (
        f"Does the Keras style change the {_words(archs)} model{'s' * (len(archs) > 1)} "
        f"on {_words(backends)}: {_words(asked)}?"
    )


def answer(results: dict[str, Any]) -> str:
    """The sweep's answer in one sentence: one model or not, the verdicts that differ (the
    largest named), and the most capability checks a style fails."""
    records = results.get("records") or []
    reference = references(records)
    others = [
        r
        for r in records
        if r.identical_to_reference is not None and r.style != reference[(r.backend, r.arch)]
    ]
    differ = [r for r in others if not r.identical_to_reference]
    parts = [
        f"{len(differ)} of {len(others)} runs trained to other weights than their reference"
        if differ
        else "every form trained to bitwise its reference's weights"
        if others
        else "no form was compared with a reference"
    ]
    config = results.get("config") or {}
    phases = (
        ("steady", "per step", "steady_rounds"),
        ("one_time", "once per model", "one_time_cycles"),
    )
    for phase, when, setting in phases:
        entries = [e for e in results.get("paired") or [] if e.phase == phase]
        if entries:
            parts.append(f"{when}, {_differences(entries)}")
        elif config.get(setting):
            parts.append(f"{when}, no verdict: the paired phase timed nothing")
    parts += _capabilities(results.get("capabilities") or {})
    return _capitalised("; ".join(parts)) + "."


def _differences(entries: list) -> str:
    """How many of `entries` differ beyond (or at) their margin, the largest named."""
    margin = entries[0].margin
    large = [e for e in entries if e.kind in (BEYOND, AT_MARGIN)]
    if not large:
        same = sum(e.verdict in (EQUIVALENT, *PROOFS) for e in entries)
        left = sum(not decided(e) for e in entries)
        undecided = f", {left} undecided" if left else ""
        return (
            f"none of {len(entries)} verdicts differs beyond ±{margin:g} % "
            f"({same} the same{undecided})"
        )
    e = max(large, key=lambda e: abs(math.log(e.estimate)))
    backend = f" on {BACKEND_NAMES.get(e.backend, e.backend)}" if e.backend != BACKENDS[0] else ""
    return (
        f"{len(large)} of {len(entries)} verdicts differ beyond ±{margin:g} %, the most "
        f"{e.arch} {e.style}'s {MEASURE_LABELS[e.measure].label}{backend}: {e.estimate:.3f}× "
        f"[{e.ci95_low:.3f}, {e.ci95_high:.3f}] of {e.reference}'s"
    )


def _capabilities(capabilities: dict[str, Any]) -> list[str]:
    failed: dict[str, int] = {}  # each style's most, over models
    for styles in capabilities.values():
        for style, checks in styles.items():
            count = sum(outcome_of(found) == NO for found in checks.values())
            failed[style] = max(failed.get(style, 0), count)
    if not failed:
        return []
    style = max(failed, key=failed.get)
    checks = max(len(checks) for styles in capabilities.values() for checks in styles.values())
    if not failed[style]:
        return [f"every style passes every capability check it applies to ({checks})"]
    return [f"{style} fails the most capability checks, {failed[style]} of {checks}"]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
