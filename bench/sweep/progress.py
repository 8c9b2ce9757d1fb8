"""The sweep's console lines: progress, each job's outcome, and warnings as they arise."""

from __future__ import annotations

import statistics

from bench.analysis.stats import paired_comparisons
from bench.plan.backends import model_name
from bench.plan.specs import ONE_TIME_MEASURES
from bench.store.records import (
    OneTimeRecord,
    RunRecord,
    SteadyRecord,
    first_line,
    latest_by_run,
)


def paired_line(record: SteadyRecord) -> str:
    """One console line for one paired process: each style's ratios to the reference."""
    if record.status != "ok":
        return f"FAILED: {first_line(record.error)}"
    by_style: dict[str, list[str]] = {}
    # only the estimates are shown: the margin, and so the verdict, do not matter here
    for measure, style, c in paired_comparisons(
        [record.ordered_seconds()], record.reference, 100.0
    ):
        by_style.setdefault(style, []).append(f"{SHORT.get(measure, measure)} {c.estimate:.3f}×")
    return "; ".join(f"{style}: {' '.join(parts)}" for style, parts in by_style.items())


def one_time_line(record: OneTimeRecord) -> str:
    """Console lines for one one-time process, one per style: its median ratios to the
    reference over this process's cycles, and what it could not do."""
    if record.status != "ok":
        return f"FAILED: {first_line(record.error)}"
    lines = []
    for style in record.styles:
        if style == record.reference:
            continue
        parts = []
        for measure in ONE_TIME_MEASURES:
            by_style = record.seconds.get(measure, {})
            times, reference = by_style.get(style) or [], by_style.get(record.reference) or []
            if times and reference:
                ratio = statistics.median(t / r for t, r in zip(times, reference, strict=True))
                parts.append(f"{SHORT.get(measure, measure)} {ratio:.2f}×")
        failed = list(record.failures.get(style, {}))
        lines.append(
            f"{style}: {' '.join(parts)}" + (f"; could not: {', '.join(failed)}" if failed else "")
        )
    return "\n    ".join(lines)


# Short names for the progress lines, which must fit the console.
SHORT = {"train_step": "train", "first_train_step": "1st-step", "first_predict": "1st-predict"}


def weight_digests(records: list[RunRecord]) -> dict[tuple[str, int, str], dict[str, str]]:
    digests: dict[tuple[str, int, str], dict[str, str]] = {}
    for r in latest_by_run(records):
        if r.status == "ok" and r.weights_sha256:
            key = (r.arch, r.seed, r.settings_key)
            digests.setdefault(key, {})[r.style] = r.weights_sha256
    return digests


def adopted_lines(found: dict) -> list[str]:
    """What became of a user's model: its size, the styles written and why not the others,
    and whether each is proven one model with it."""
    name = found["name"]
    shape = "×".join(map(str, found["input_shape"]))
    lines = [
        f"{name}: {found['source']}, {found['layers']} layers, {found['params']:,} parameters, "
        f"input {shape}; written in {len(found['styles'])} forms to {found['package']}/"
    ]
    if not found.get("mnist", True):
        lines.append(
            f"{name}: not an MNIST model: trained and timed on synthetic inputs and targets of "
            "its shapes, so its accuracy is chance's"
        )
    proven = [form for form, outcome in found["proof"].items() if outcome == "identical"]
    if proven:
        lines.append(
            f"{name}: one model: given its weights, {', '.join(proven)} compute bitwise its "
            "outputs and its training step"
        )
    lines += [
        f"WARNING: {name}/{form} is not the same model: {outcome}"
        for form, outcome in found["proof"].items()
        if outcome != "identical"
    ]
    return lines


def precheck_warnings(arch: str, info: dict) -> list[str]:
    """Loud lines for styles of `arch` that do not start as the same model as its reference."""
    return [
        f"{arch}/{style} is not the same model as {arch}/{info['reference']}: {difference}; "
        "its runs will train to other weights, and the report marks them DIFFER"
        for style, difference in info["differences"].items()
    ]


def weights_warnings(record: RunRecord, digests: dict, reference_style: str) -> list[str]:
    """Notes `record`'s trained weights; warns when a style's differ from the reference's."""
    if record.status != "ok" or not record.weights_sha256:
        return []
    key = (record.arch, record.seed, record.settings_key)
    seen = digests.setdefault(key, {})
    seen[record.style] = record.weights_sha256
    reference = seen.get(reference_style)
    if reference is None or not record.deterministic:
        return []
    others = [record.style] if record.style != reference_style else list(seen)
    name = model_name(record.backend, record.arch)
    return [
        f"{name}/{style} seed={record.seed} trained to other weights than "
        f"{name}/{reference_style} under determinism: the styles did not compute the same thing"
        for style in others
        if style != reference_style and seen[style] != reference
    ]


def label(record: RunRecord) -> str:
    return f"{model_name(record.backend, record.arch)}/{record.style} seed={record.seed}"


def where(record: RunRecord) -> str:
    node = record.node or {}
    retried = f", attempt {record.attempt}" if (record.attempt or 1) > 1 else ""
    return f"{node.get('host', '?')} {str(node.get('id', '?'))[:8]}{retried}"


def outcome(record: RunRecord) -> str:
    if record.status == "failed":
        return f"FAILED: {first_line(record.error)}"
    if record.status == "diverged":
        return f"diverged after {len(record.epoch_seconds)} epoch(s)"
    steady = f", steady {record.steady_step_ms:.1f} ms/step" if record.steady_step_ms else ""
    accuracy = (
        "" if record.test_accuracy is None else f"test acc {100 * record.test_accuracy:.2f} %, "
    )
    return (
        f"ok: {accuracy}train {record.train_seconds:.1f} s{steady}, run {record.wall_seconds:.1f} s"
    )


def spent(elapsed: float, budget: float | None) -> str:
    """How long the paired phases have run, and of which budget."""
    return f"elapsed {duration(elapsed)}" + (f" of {duration(budget)}" if budget else "")


def duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
