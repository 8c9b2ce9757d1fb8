"""What a report says of each user's model: its answer in one sentence, its generated sources,
its proof, and its one-time costs per layer beside the depth study's Dense family."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.analysis.stats import BEYOND, Verdict
from bench.analysis.summary import decided
from bench.store.schema import GENERATED_DIR

# the depth study this checkout commits, whose Dense family a model's per-layer costs sit beside
DEPTH_STUDY = Path(__file__).resolve().parents[2] / "results" / "depth" / "depth.json"
PER_LAYER = ("build", "save", "load")
WORDS = {"build": "builds", "save": "saves", "load": "loads", "first_train_step": "first step"}


def duration(ms: float) -> str:
    """`ms` as a person reads it: milliseconds below a second, else seconds."""
    return f"{ms:,.0f} ms" if abs(ms) < 1000 else f"{ms / 1000:,.1f} s"


def one_time(paired: list[Verdict], arch: str, phase: str = "one_time") -> dict[str, list[Verdict]]:
    """`arch`'s verdicts of a paired `phase` by measure."""
    found: dict[str, list[Verdict]] = {}
    for entry in paired:
        if entry.phase == phase and entry.arch == arch and entry.reference_ms is not None:
            found.setdefault(entry.measure, []).append(entry)
    return found


def answer(name: str, found: dict[str, Any], paired: list[Verdict]) -> str:
    """One sentence: what the model costs once and per train step in its reference style, and
    which style differs beyond the margin, in milliseconds or seconds."""
    measures = one_time(paired, name)
    steady = one_time(paired, name, "steady").get("train_step", [])
    head = (
        f"**{name}** (`{found['source']}`, {found['layers']} layers, "
        f"{found['params']:,} parameters, in {len(found['styles'])} forms)"
    )
    if not measures and not steady:
        return f"{head}: nothing was timed."
    reference = next(iter([*measures.values(), steady]))[0].reference
    costs = [f"{WORDS[m]} {duration(measures[m][0].reference_ms)}" for m in WORDS if m in measures]
    if steady:
        costs.append(f"takes {duration(steady[0].reference_ms)} a train step")
    entries = [e for m in WORDS for e in measures.get(m, [])] + steady
    beyond = [
        f"{e.style} {WORDS.get(e.measure, 'train step')} {duration(e.difference_ms)}".replace(
            " -", " −"
        )
        + f" ({e.estimate:.2f}×)"
        for e in entries
        if e.kind == BEYOND
    ]
    undecided = sum(not decided(e) for e in entries)
    differs = (
        f"; beyond the margin: {', '.join(beyond)}"
        if beyond
        else "; no style differs beyond the margin"
        + (f" ({undecided} of {len(entries)} undecided)" if undecided else "")
    )
    return f"{head}: as {reference} it {', '.join(costs)}{differs}."


def per_layer(name: str, found: dict[str, Any], paired: list[Verdict]) -> str | None:
    """Each one-time cost per layer, beside the depth study's Dense family at the nearest
    depth (where this checkout has the study)."""
    measures = one_time(paired, name)
    if not measures or not found["layers"]:
        return None
    layers = found["layers"]
    reference = next(iter(measures.values()))[0].reference
    mine = ", ".join(
        f"{m} {measures[m][0].reference_ms / layers:.2f} ms" for m in PER_LAYER if m in measures
    )
    line = f"per layer, as {reference}: {mine}"
    dense = dense_family(layers, reference)
    if dense:
        depth, costs = dense
        theirs = ", ".join(f"{m} {costs[m] / depth:.2f} ms" for m in PER_LAYER if m in costs)
        line += f"; results/depth's Dense family at depth {depth}: {theirs}"
    return line


def dense_family(layers: int, style: str) -> tuple[int, dict[str, float]] | None:
    """The depth study's depth nearest `layers` (on a log scale) and its one-time costs in
    `style` (its reference's where it did not measure that style), in ms."""
    if not DEPTH_STUDY.exists():
        return None
    study = json.loads(DEPTH_STUDY.read_text())
    depth = min(
        study["depths"],
        key=lambda d: abs((d / layers) - 1) if d < layers else abs((layers / d) - 1),
    )
    costs: dict[str, float] = {}
    for entry in study["at_depth"]:
        if entry["depth"] != depth or entry.get("reference_ms") is None:
            continue
        if entry["style"] == style and entry.get("difference_ms") is not None:
            costs[entry["measure"]] = entry["reference_ms"] + entry["difference_ms"]
        else:
            costs.setdefault(entry["measure"], entry["reference_ms"])
    return depth, costs


def worker_time(name: str, results: dict[str, Any]) -> str:
    """What measuring `name` cost, in minutes of worker time: its runs, each paired phase, and
    its capability checks (where the sweep did each)."""
    spent = {"runs": sum(r["wall_seconds"] or 0 for r in results["runs"] if r["arch"] == name)}
    for key, kind in (("one-time", "one_time"), ("steady", "steady")):
        phases = [
            p
            for p in results.get("paired_stopping") or []
            if (p["arch"], p["phase"]) == (name, kind)
        ]
        if phases:
            spent[key] = sum(p["worker_seconds"] for p in phases)
    checks = (results.get("capability_seconds") or {}).get(name)
    if checks:
        spent["capability checks"] = checks.get("checks", 0) + checks.get("loads", 0)
    parts = ", ".join(f"{key} {seconds / 60:.1f} min" for key, seconds in spent.items())
    return f"Worker time: {parts}; {sum(spent.values()) / 60:.1f} min in all."


def adopted_notes(results: dict[str, Any]) -> list[str]:
    """Each user's model: its answer, its generated sources (linked, beside the report), its
    proof, its costs per layer, and what measuring it cost."""
    lines, paired = [], results.get("paired") or []
    for name, found in (results.get("adopted") or {}).items():
        package = f"{GENERATED_DIR}/{name}"
        sources = ", ".join(f"[{file}]({package}/{file})" for file in found["files"])
        proven = [form for form, outcome in found["proof"].items() if outcome == "identical"]
        data = "MNIST" if found.get("mnist") else "synthetic inputs and targets of its shapes"
        lines.append(f"- {answer(name, found, paired)}")
        lines.append(
            f"  Input {'×'.join(map(str, found['input_shape']))}, trained and timed on {data}. "
            f"Its forms, generated: {sources}. Given its weights, {len(proven)} of "
            f"{len(found['proof'])} compute bitwise its outputs and its training step"
            + "".join(
                f"; {form} does not: {outcome}"
                for form, outcome in found["proof"].items()
                if outcome != "identical"
            )
            + "."
        )
        if layer := per_layer(name, found, paired):
            lines.append(f"  {layer[0].upper()}{layer[1:]}.")
        lines.append(f"  {worker_time(name, results)}")
    if not lines:
        return []
    return ["## Your models, in every style they can take\n", "\n".join(lines) + "\n"]
