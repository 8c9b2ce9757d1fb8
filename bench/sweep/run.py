"""A sweep, one function per phase: what is left, a shared start's weights, the runs, the
capability checks, then the paired phases."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.analysis.programs import program_words
from bench.plan.backends import model_name
from bench.plan.config import BenchConfig
from bench.plan.settings import ConfigError
from bench.store.capabilities import CHECK_SETS
from bench.store.files import now_utc, write_json
from bench.store.records import RunRecord, append_record
from bench.store.schema import GENERATED_DIR, SCHEMA_VERSION, SWEEP_FILE, sweep_commands
from bench.sweep import jobs, paired, progress
from bench.sweep.executors import Executor
from bench.sweep.executors.local import LocalExecutor
from bench.sweep.resume import Todo, find_todo
from mnist_models import GENERATED_PATH, is_model_source


def check_writable(out: Path) -> None:
    """Raises ConfigError before any training where `out` cannot be created or written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-check-"):
            pass
    except OSError as e:
        raise ConfigError(
            f"cannot write results to {out} ({e.strerror or e}); pass a writable --out DIR"
        ) from None


@dataclass
class Sweep:
    """A sweep under way: its config, where its jobs run, and what sweep.json says of it."""

    config: BenchConfig
    executor: Executor
    echo: Callable[[str], None]
    command: list[str]
    environment: dict[str, Any]
    capabilities: dict[str, Any] = field(default_factory=dict)
    capability_seconds: dict[str, Any] = field(default_factory=dict)  # worker time per model
    # every command that wrote to the directory, oldest first: a --resume adds one
    commands: list[list[str]] = field(default_factory=list)
    architectures: dict[str, Any] = field(default_factory=dict)
    adopted: dict[str, Any] = field(default_factory=dict)  # users' models, by generated name
    programs: dict[str, Any] = field(default_factory=dict)  # {backend: {arch: comparison}}
    # the budget's clock: when the sweep started, and what its runs cost (local runs only)
    clock: paired.Clock = field(default_factory=lambda: paired.Clock(time.perf_counter()))
    # when the sweep's first command started, kept by every --resume, and the wall time of the
    # commands before this one
    started_at: str = field(default_factory=now_utc)
    wall_before: float = 0.0

    def write_metadata(self) -> None:
        """(Re)writes sweep.json: the config, the environment and the capabilities so far."""
        write_json(
            self.config.out / SWEEP_FILE,
            {
                "schema_version": SCHEMA_VERSION,
                "started_at": self.started_at,
                "created_at": now_utc(),
                "wall_seconds": round(self.wall_before + self.clock.spent(), 1),
                "command": self.command,
                "commands": [*self.commands, self.command],
                "config": self.config.to_dict(),
                "environment": self.environment,
                "capabilities": self.capabilities,
                "capability_seconds": self.capability_seconds,
                "architectures": self.architectures,
                "adopted": self.adopted,
                "programs": self.programs,
            },
        )


def run_sweep(
    config: BenchConfig,
    environment: dict[str, Any],
    command: list[str],
    echo: Callable[[str], None] = print,
    executor: Executor | None = None,
) -> list[RunRecord]:
    """Runs what `config` still needs through `executor`; returns the runs' records made now."""
    sweep = Sweep(
        config, executor or LocalExecutor(config.settings.device), echo, command, environment
    )
    config = sweep.config = precheck_phase(sweep)
    echo(
        f"mnist-styles-bench: profile {config.profile}, {len(config.runs())} runs "
        f"({', '.join(config.backends)} × {', '.join(config.archs)} × "
        f"{len(config.styles)} styles × {len(config.seeds)} seeds, "
        f"{config.settings.epochs} epoch(s))"
        + (f", within {progress.duration(config.budget)}" if config.budget else "")
    )
    echo(f"data: {environment.get('data_source')}; writing to {config.out}/")
    todo = find_todo(config)
    if todo.empty:
        echo(f"nothing to do: every run of this sweep is already recorded in {config.out}")
        return []
    carry_over(sweep, todo)
    sweep.write_metadata()  # what the sweep is, before anything of it runs
    programs_phase(sweep)
    initial_weights_phase(sweep, todo)
    records = runs_phase(sweep, todo)
    capabilities_phase(sweep, todo)
    paired_phases(sweep, todo)
    sweep.write_metadata()  # its wall time, every phase done
    return records


def expose_generated(out: Path) -> Path:
    """Puts OUT/models, where users' models are generated, on `$MNIST_MODELS_PATH`, so that
    every worker started from now on (a local Ray's too) finds them by name; returns it."""
    directory = (out / GENERATED_DIR).resolve()
    paths = os.environ.get(GENERATED_PATH, "").split(os.pathsep)
    if str(directory) not in paths:
        os.environ[GENERATED_PATH] = os.pathsep.join(filter(None, [str(directory), *paths]))
    return directory


def adopted(sweep: Sweep, found: dict[str, Any]) -> dict[str, Any]:
    """`found` keyed by architecture name: each user's model by the name it was written under
    (OUT/models/NAME), its adoption kept for sweep.json and said on the console."""
    named = {}
    for arch, info in found.items():
        if "adopted" in info:
            adoption = info.pop("adopted")
            # relative to the sweep's directory, which may be moved or committed
            adoption["package"] = f"{GENERATED_DIR}/{adoption['name']}"
            sweep.adopted[adoption["name"]] = adoption
            for line in progress.adopted_lines(adoption):
                sweep.echo(line)
            arch = adoption["name"]
        named[arch] = info
    return named


def precheck_phase(sweep: Sweep) -> BenchConfig:
    """Builds each architecture's styles from one seed before anything is timed; returns the
    config with the styles each cannot express. Raises ConfigError for an unusable one."""
    config = sweep.config
    first = config.backends[0]
    settings = config.backend_settings(first) if len(config.styles) > 1 else None
    adopt = None
    if any(is_model_source(arch) for arch in config.archs):
        adopt = jobs.adoption(config, expose_generated(config.out))
    found = jobs.check_architectures(
        config.archs, config.styles, first, sweep.executor, settings, adopt
    )
    errors = [info["error"] for info in found.values() if "error" in info]
    if errors:
        raise ConfigError(errors[0])
    found = adopted(sweep, found)
    config = dataclasses.replace(config, archs=tuple(found))
    sweep.programs = {first: {arch: info.pop("programs", {}) for arch, info in found.items()}}
    sweep.architectures = found
    for arch, info in found.items():
        for style, reason in info["unsupported"].items():
            sweep.echo(f"{arch}: no {style} style ({reason}); {info['reference']} is the reference")
        for warning in progress.precheck_warnings(arch, info):
            sweep.echo(f"WARNING: {warning}")
    unsupported = tuple(
        (arch, style) for arch, info in found.items() for style in info["unsupported"]
    )
    return dataclasses.replace(config, unsupported=unsupported)


def carry_over(sweep: Sweep, todo: Todo) -> None:
    """Keeps what an earlier sweep in the same directory recorded: its capabilities, and when
    every run is done, the environment the runs were measured under."""
    sweep.capabilities = todo.previous.get("capabilities") or {}
    sweep.capability_seconds = todo.previous.get("capability_seconds") or {}
    if todo.previous:
        sweep.commands = sweep_commands(todo.previous)
        sweep.started_at = todo.previous.get("started_at") or sweep.started_at
        sweep.wall_before = todo.previous.get("wall_seconds") or 0.0
    if todo.previous and not todo.runs:
        # A paired phase redone now runs this code, which the report names beside the runs';
        # each phase keeps its own, so that redoing one does not claim the other.
        current_git = sweep.environment.get("git")
        previous = todo.previous.get("environment", {})
        sweep.environment = {**sweep.environment, **previous}
        if "paired_git" in previous and "one_time_git" not in previous:
            sweep.environment["one_time_git"] = previous["paired_git"]  # it named both phases
        if todo.paired:
            sweep.environment["paired_git"] = current_git
        if todo.one_time:
            sweep.environment["one_time_git"] = current_git


def programs_phase(sweep: Sweep) -> None:
    """Whether each architecture's styles compile to one program, per backend: traced once,
    before anything is timed (`bench.worker.program`)."""
    config = sweep.config
    if len(config.styles) < 2:
        return  # the reference alone: nothing to compare it with
    for backend in config.backends:
        if backend not in sweep.programs:  # the first was compared by the pre-check
            sweep.programs[backend] = jobs.compare_programs(
                config.archs, config.styles, config.backend_settings(backend), sweep.executor
            )
        for arch, comparison in sweep.programs[backend].items():
            sweep.echo(f"program, {model_name(backend, arch)}: {program_words(comparison)}")
    sweep.write_metadata()


def initial_weights_phase(sweep: Sweep, todo: Todo) -> None:
    """A shared start's initial weights, made on TensorFlow before any run needs them."""
    if todo.initial_weights:
        sweep.echo(
            f"shared start: initial weights of {len(todo.initial_weights)} (arch, seed) from "
            "TensorFlow …"
        )
        jobs.make_initial_weights(todo.initial_weights, sweep.executor)


def paired_phases(sweep: Sweep, todo: Todo) -> None:
    """The paired phases, last, so a budget goes to them and not to the runs every sweep needs."""
    paired.paired_phases(sweep.config, todo, sweep.executor, sweep.echo, sweep.clock)


def runs_phase(sweep: Sweep, todo: Todo) -> list[RunRecord]:
    """Every run still to do, each appended to runs.jsonl as it finishes, with progress lines."""
    echo, total = sweep.echo, len(todo.ordered)
    skipped = total - len(todo.runs)
    if skipped:
        echo(f"resuming: {skipped} of {total} runs already recorded in {sweep.config.out}")
    elif sweep.config.resume:  # a mistyped --out would otherwise start over without a word
        echo(f"resuming: no finished runs in {sweep.config.out}; running all {total}")
    digests = progress.weight_digests(todo.existing)
    records = []
    start = time.perf_counter()
    # Local runs go one by one and are announced as they start; tasks on a cluster run
    # several at a time and are named as they finish, with the node they ran on.
    one_by_one = sweep.executor.name == "local"
    if todo.runs:
        echo(
            f"[{skipped + 1}/{total}] {todo.runs[0].label} …"
            if one_by_one
            else f"{len(todo.runs)} runs submitted to {sweep.executor.name} …"
        )
    for i, record in enumerate(jobs.stream_runs(todo.runs, sweep.executor), 1):
        append_record(sweep.config.out, record)
        records.append(record)
        elapsed = time.perf_counter() - start
        eta = elapsed / i * (len(todo.runs) - i)
        timing = f"(elapsed {progress.duration(elapsed)}, ETA {progress.duration(eta)})"
        if one_by_one:
            echo(f"    {progress.outcome(record)}  {timing}")
            if i < len(todo.runs):
                echo(f"[{i + skipped + 1}/{total}] {todo.runs[i].label} …")
        else:
            echo(
                f"[{i + skipped}/{total}] {progress.label(record)}: {progress.outcome(record)} "
                f"on {progress.where(record)}  {timing}"
            )
        reference = sweep.config.reference(record.arch)
        for warning in progress.weights_warnings(record, digests, reference):
            echo(f"    WARNING: {warning}")
    if records and one_by_one:
        cost = (time.perf_counter() - start) / len(records)
        sweep.clock = dataclasses.replace(sweep.clock, guess_seconds=cost)
    return records


def capabilities_phase(sweep: Sweep, todo: Todo) -> None:
    """What each style can do on each backend: in the building process, then in new ones."""
    if not todo.check_capabilities:
        return
    config = sweep.config
    sweep.echo(
        "checking capabilities (save and reload in a new process, weights, features, "
        "fine-tuning, cloning"
        + (", export, quantizing" if config.capability_checks == "all" else "; no export")
        + ") …"
    )
    styles_of = {arch: config.styles_of(arch) for arch in config.archs}
    sweep.capabilities, sweep.capability_seconds = jobs.check_capabilities(
        config.archs,
        styles_of,
        config.backends,
        sweep.executor,
        config.data_dir,
        config.capability_files,
        config.previous_files,
        CHECK_SETS[config.capability_checks],
    )
    spent = sum(sum(s.values()) for s in sweep.capability_seconds.values())
    sweep.echo(f"capabilities checked in {spent:.0f} s")
    sweep.write_metadata()
