"""The pages of a report: summary.md (the tables with their explanations) and README.md (what
ran, the tables, the charts, the environment and how to redo it)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from bench.analysis.summary import identity_warnings
from bench.plan.command import command_line
from bench.plan.settings import (
    ACCURACY_MARGIN_POINTS,
    DEFAULT_TIME_MARGIN,
    MNIST_TEST_IMAGES,
    MNIST_TRAIN_IMAGES,
)
from bench.render.adopted import adopted_notes
from bench.render.capabilities import capability_section
from bench.render.headline import answer, question
from bench.render.tables import (
    backend_table,
    comparison_table,
    count_table,
    drift_table,
    headline_table,
    md,
    one_time_table,
    paired_table,
    program_table,
    stopping_table,
)
from bench.store.environment import machine_words, provenance_lines
from bench.store.records import RunRecord
from mnist_models import FORMS


def summary_markdown(
    records: list[RunRecord],
    summary: dict[str, Any],
    results: dict[str, Any],
    margin: float = DEFAULT_TIME_MARGIN,
) -> str:
    """The tables as GitHub Markdown: the paired verdicts first (steady, then one-time), then
    the runs."""
    capabilities = results.get("capabilities") or {}
    paired = [e for e in results.get("paired") or [] if e.phase == "steady"]
    parts = architecture_notes(results.get("architectures") or {})
    parts += adopted_notes(results)
    differ = identity_warnings(records)
    if differ:
        parts += [
            "## ⚠ WARNING: styles trained to different weights\n",
            "Under op determinism every style of a seed should train to bitwise the same "
            "weights as Sequential. These did not:\n",
            "\n".join(f"- {line}" for line in differ) + "\n",
        ]
    if results.get("programs"):
        parts += [
            "## Do the styles compile to one program?\n",
            "Each style's train step and predict step, traced once before anything was timed "
            "and reduced to a form that ignores names (TensorFlow: each operation's type, the "
            "attributes that change what it computes, its inputs by position, its static "
            "shapes; JAX: the jaxpr), compared with the reference's. One program leaves the "
            "styles only the Python around it to differ by. Keras runs PyTorch eagerly: "
            "there is no program to compare.\n",
            md(program_table(results["programs"])),
        ]
    if paired:
        parts += [
            "## Does the style change speed? (paired timing)\n",
            "Every style of an architecture built from one seed in one process and timed in "
            "interleaved rounds, a fresh style order each round, each style a ~50 ms burst of "
            "identical calls (warmed up, never tracing). Each process gives the geometric mean "
            "over its rounds of the style's burst time over Sequential's in the same round; the "
            "ratio is the geometric mean over processes (> 1: slower), with its 95 % interval "
            "over processes (over rounds where there was one process); the equivalence margin "
            f"is ±{margin:g} %. Verdict rules: "
            'docs/methodology.md, "How verdicts are made".\n',
            md(paired_table(paired)),
        ]
    parts += one_time_section(results, summary)
    if results.get("paired_stopping"):
        parts += [
            "## How far the paired phases went\n",
            "Each phase of each model runs processes in blocks of one Latin square of build "
            "orders. Once every style's verdict on a measure is decided (equivalent, "
            "slower/faster within, beyond or at the margin, or proven), the steady phase's later "
            "processes no longer time it; a one-time phase's measures, steps of one sequence, "
            "stop together. A phase stops once every measure has, at its most processes, or "
            "when the budget "
            'cannot pay for another process (docs/methodology.md, "When the paired phases '
            "stop\"). Worker time is what the processes took, their start-up (the framework's "
            'import) in where recorded; "widest interval / its aim" is the widest 95 % '
            "half-width over the precision the measure was once stopped on (reported only); "
            '"undecided" counts the verdicts left "size unclear" or "inconclusive", each with '
            "why under Warnings.\n",
            md(stopping_table(results["paired_stopping"])),
            stopping_totals(results["paired_stopping"]),
        ]
    parts += [
        "## Results per style (means over seeds; each run in its own process)\n",
        "Accuracy, sizes and the end-to-end timings a user sees: each run is a whole `fit` in its "
        "own process, minutes apart from the others, so these timings are the noisier measure "
        "of speed; the paired timing above is the precise one.\n",
        md(headline_table(records, summary)),
    ]
    across = backend_table(summary)
    if not across.empty:
        parts += [
            "\n## Across backends: each against TensorFlow, run by run (paired by seed)\n",
            "Every backend started from the same initial weights and saw the batches in the same "
            "order (a shared start); dropout masks come from each backend's own generator. "
            "Accuracy: the difference in points, margin ±"
            f"{ACCURACY_MARGIN_POINTS:g}. Times: the geometric mean ratio over seeds (> 1: "
            f"larger), margin ±{margin:g} %. The first epoch includes each backend's "
            "compilation.\n",
            md(across),
        ]
    comparisons = comparison_table(summary)
    if not comparisons.empty:
        parts += [
            "\n## Each style's accuracy against the reference, run by run (paired by seed)\n",
            f"The difference in points, margin ±{ACCURACY_MARGIN_POINTS}, under the same verdict "
            "rules. A run's times are not judged here: the paired phases judge them, with the "
            "styles in one process.\n",
            md(comparisons),
        ]
    unsupported = [
        f"{arch}/{style}: cannot express it at all: {reason}"
        for arch, info in (results.get("architectures") or {}).items()
        for style, reason in (info.get("unsupported") or {}).items()
    ]
    parts += capability_section(
        capabilities,
        results.get("environment") or {},
        results.get("capability_seconds") or {},
        unsupported,
        (results.get("config") or {}).get("capability_checks", "all"),
    )
    if summary["warnings"]:
        parts += ["\n## Warnings\n", "\n".join(f"- {w}" for w in summary["warnings"]) + "\n"]
    return "\n".join(parts)


def stopping_totals(stopping: list[dict[str, Any]]) -> str:
    """One sentence: every paired phase's processes and worker time together, and how much of
    it the jobs took (their `wall_seconds`) apart from starting the framework."""
    processes = sum(s["processes"] + s.get("failed_processes", 0) for s in stopping)
    worker = sum(s["worker_seconds"] for s in stopping)
    text = (
        f"All paired phases together: {processes} processes, {worker / 60:.1f} min of worker time"
    )
    if all(s.get("startup_seconds") is not None for s in stopping):
        startup = sum(s["startup_seconds"] for s in stopping)
        text += (
            f", {(worker - startup) / 60:.1f} of it in their jobs and {startup / 60:.1f} "
            "starting the framework"
        )
    return text + ".\n"


def readme(
    results: dict[str, Any], summary_md: str, charts: list[Path], out: Path | None = None
) -> str:
    """The report a person reads: what ran, the tables, the charts, where, and how to redo it
    (into `out`, the report's directory, where given)."""
    config = results.get("config") or {}
    settings = config.get("settings", {})
    env = results.get("environment") or {}
    git = env.get("git") or {}
    ok = sum(r["status"] == "ok" for r in results["runs"])
    lines = [
        f"# {question(results)}",
        "",
        *provenance_lines(env.get("git")),
        answer(results),
        "",
        *reproduce_lines(results, out),
        f"On {machine_words(env)}, {_day(results)}. Generated by `python -m bench`; do not edit "
        "by hand. Regenerate the tables and charts from `runs.jsonl`, `steady.jsonl` and "
        "`one_time.jsonl` with `python -m bench report --out <this directory>`.",
        "",
        "## What was run",
        "",
        f"- Profile `{config.get('profile')}`: backends "
        f"{', '.join(config.get('backends') or [settings.get('backend', 'tensorflow')])}; "
        f"architectures {', '.join(config.get('archs', []))}; "
        f"styles {', '.join(config.get('styles', []))}{_not_run(config)}; seeds "
        f"{', '.join(map(str, config.get('seeds', [])))}.",
        f"- {settings.get('epochs')} epoch(s), batch size {settings.get('batch_size')}, Adam with "
        f"learning rate {settings.get('learning_rate')} decayed to 0 on a cosine, validation split "
        f"{settings.get('validation_split')}, training images "
        f"{settings.get('train_images') or MNIST_TRAIN_IMAGES}, test images "
        f"{settings.get('test_images') or MNIST_TEST_IMAGES}.",
        f"- Device {settings.get('device')}; op determinism "
        f"{'on' if settings.get('deterministic') else 'off'}; jit_compile "
        f"{_jit_setting(settings.get('jit_compile'))}; shared start "
        f"{'on' if settings.get('shared_start') else 'off'}; precision "
        f"{settings.get('precision', 'float32')}; steps per execution "
        f"{settings.get('steps_per_execution', 1)}; target accuracy "
        f"{settings.get('target_accuracy') or 'none'}.",
        f"- {ok} of {len(results['runs'])} runs finished ok, in "
        f"{sum(r.get('wall_seconds') or 0 for r in results['runs']) / 60:.1f} min of worker "
        f"time. Data: {_data(results, env)}.",
        "",
        summary_md,
        "## Charts",
        "",
        *[f"![{path.stem}]({path.name})\n" for path in charts],
        "## Environment",
        "",
        f"- Python {env.get('python')}, TensorFlow {env.get('tensorflow')}, Keras "
        f"{env.get('keras')}, NumPy {env.get('numpy')}"
        + "".join(f", {name} {env[name]}" for name in ("jax", "jaxlib", "torch") if env.get(name)),
        f"- CPU: {machine_words(env)}; device used: "
        f"{', '.join(sorted({r.get('device') or '?' for r in results['runs']}))}",
        f"- OS: {env.get('os')}",
        f"- Code: commit {git.get('commit', 'unknown')}"
        + (" with uncommitted changes" if git.get("dirty") else ""),
        *_phase_code_line("Paired timing phase", env.get("paired_git"), git),
        *_phase_code_line("One-time phase", env.get("one_time_git"), git),
        "",
    ]
    return "\n".join(lines)


def _day(results: dict[str, Any]) -> str:
    """The day the sweep started and its wall time, as its records say."""
    started, wall = results.get("sweep_started_at"), results.get("sweep_wall_seconds")
    took = f", took {wall / 60:.1f} min" if wall else ""
    return (f"started {started[:10]}" if started else "start not recorded") + took


def forms_left_out(config: dict[str, Any]) -> list[str]:
    """The styles and idioms a sweep did not run."""
    return [form for form in FORMS if form not in config.get("styles", FORMS)]


def _not_run(config: dict[str, Any]) -> str:
    left = forms_left_out(config)
    return f" (not run: {', '.join(left)}; `--styles all` runs them)" if left else ""


def as_given(config: dict[str, Any], adopted: dict[str, Any]) -> dict[str, Any]:
    """`config` with each user's model named as the command gave it (its .keras file or
    module:FUNCTION), not by the architecture it was written into."""
    if not config or not adopted:
        return config
    archs = [adopted[a]["source"] if a in adopted else a for a in config.get("archs", [])]
    return {**config, "archs": archs}


def reproduce_lines(results: dict[str, Any], out: Path | None = None) -> list[str]:
    """The command that makes the directory (pinned to the cores it used), and every command
    that wrote to it where a `--resume` continued it."""
    env = results.get("environment") or {}
    usable, cores = env.get("cpu_cores_usable"), env.get("cpu_cores")
    pinned = (
        ["taskset", "-c", "0" if usable == 1 else f"0-{usable - 1}"]
        if (usable and cores and usable < cores)
        else []
    )
    config = as_given(results.get("config") or {}, results.get("adopted") or {})
    line = command_line(config, out=str(out) if out else None, prefix=pinned) if config else ""
    lines = ["Made by:", "", "```", line, "```", ""]
    commands = [c for c in results.get("commands") or [] if c]
    if len(commands) > 1 or any("--resume" in c for c in commands):
        if len(commands) > 1:
            opening = (
                f"This directory was written by these {len(commands)} commands, in "
                "order, each `--resume` continuing what the directory held."
            )
        else:
            opening = (
                "This directory was completed by the command below, a `--resume` of an "
                "earlier sweep whose command was not recorded."
            )
        lines += [
            opening + " The line above has the last one's settings: one sweep reproduces the "
            "directory only where every phase ran under them.",
            "",
            "```",
            *("python -m bench " + shlex.join(c) for c in commands),
            "```",
            "",
        ]
    return lines


def _phase_code_line(
    phase: str, phase_git: dict[str, Any] | None, git: dict[str, Any]
) -> list[str]:
    """Where a resumed sweep redid a paired phase with other code than its runs'."""
    if not phase_git or phase_git.get("commit") == git.get("commit"):
        return []
    return [
        f"- {phase} redone with `--resume` at commit {phase_git.get('commit')}"
        + (" with uncommitted changes" if phase_git.get("dirty") else "")
        + "; the runs are from the commit above"
    ]


def _jit_setting(setting: Any) -> str:
    """The sweep's --jit-compile in words."""
    if setting == "auto":
        return "auto (each backend's default; the jit column says what was used)"
    return str(setting)


def one_time_section(results: dict[str, Any], summary: dict[str, Any]) -> list[str]:
    """What each style costs once: the verdicts, the drift over cycles, what could not be done."""
    entries = [e for e in results.get("paired") or [] if e.phase == "one_time"]
    if not entries and not summary.get("one_time_failures"):
        return []
    margin = results.get("one_time_margin_percent")
    parts = [
        "## What each style costs once (one-time costs, paired by cycle)\n",
        "In each cycle of a process every style is built afresh from one seed (the builder call, "
        "weights created), compiled, trained one step at the run's batch size (the trace), asked "
        "one `predict_on_batch` of 1,024 images, saved to a `.keras` file and loaded back, in an "
        "order balanced over cycles and processes, after `keras.backend.clear_session()`; a "
        "warm-up cycle per process is not recorded. The ratio is each style's time over the "
        "reference's in the same cycle (> 1: slower), the geometric mean over cycles, with its "
        "95 % interval over cycles, never narrower than the processes' spread gives; the margin "
        f'is ±{margin:g} %, for a cost paid once per model (docs/methodology.md, "One-time '
        "costs\"). Beside it, in ms: the reference's median time and the style's median "
        "difference from it in the same cycle, what the ratio costs at this model's size; and its "
        "Python calls' ratio to the reference's, marked \"the other way\" where they point "
        "against a decided time.\n",
        md(one_time_table(entries, results.get("python_calls"))) if entries else "",
    ]
    counts = results.get("python_calls") or []
    if counts:
        parts += [
            "\nPython work, counted: each step's function calls under `cProfile`, in a cycle of "
            "their own after the timed ones in a phase's first two processes, and one call of "
            "each steady path after a call that traced it. A count depends on Python, Keras and "
            "the backend, not on the machine's speed; it explains a difference in time, it does "
            "not replace it.\n",
            md(count_table(counts)),
        ]
    drift = results.get("one_time_drift") or []
    if drift:
        parts += [
            "\nDo later cycles behave like earlier ones? The slope over cycle index, in percent "
            "per cycle, with its 95 % interval over processes: of Sequential's own time, and of "
            "each other style's ratio to it.\n",
            md(drift_table(drift)),
        ]
    failures = summary.get("one_time_failures") or []
    if failures:
        parts += ["\nWhat a style could not do:\n", "\n".join(f"- {f}" for f in failures) + "\n"]
    return parts


def _data(results: dict[str, Any], env: dict[str, Any]) -> str:
    """Where the runs' data came from: MNIST's source, and the models that took synthetic data."""
    synthetic = [n for n, found in (results.get("adopted") or {}).items() if not found.get("mnist")]
    archs = (results.get("config") or {}).get("archs") or []
    words = f"synthetic inputs of its shapes for {', '.join(synthetic)}" if synthetic else ""
    if synthetic and set(synthetic) >= set(archs):
        return words
    return "; ".join(filter(None, [str(env.get("data_source", "?")), words]))


def architecture_notes(architectures: dict[str, Any]) -> list[str]:
    """What the pre-check found: styles an architecture cannot be written in (and so its
    reference), and styles that do not start as the same model, said loudly."""
    lines, loud = [], []
    for arch, info in architectures.items():
        for style, reason in (info.get("unsupported") or {}).items():
            lines.append(
                f"- **{arch}** has no {style} style: {reason}. {info['reference']} is "
                "its reference."
            )
        if info.get("source"):
            lines.append(f"- **{arch}** comes from {info['source']}.")
        loud += [
            f"- {arch}/{style}: {difference}"
            for style, difference in (info.get("differences") or {}).items()
        ]
    parts = []
    if loud:
        parts += [
            "## ⚠ WARNING: styles that are not the same model\n",
            "Built from one seed before the sweep, these styles did not have the reference's "
            "parameters or initial weights, so their comparisons are between different models:\n",
            "\n".join(loud) + "\n",
        ]
    if lines:
        parts += ["## The architectures\n", "\n".join(lines) + "\n"]
    return parts
