"""A sweep: every run of a config, each in its own worker process, recorded as it finishes."""

from __future__ import annotations

import dataclasses
import datetime
import json
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench import peak
from bench.backends import model_name
from bench.config import (
    REFERENCE_STYLE,
    BenchConfig,
    ConfigError,
    PairedSpec,
    RunSpec,
    settings_from_dict,
)
from bench.executors import Executor, Outcome
from bench.executors.local import LocalExecutor
from bench.records import (
    SCHEMA_VERSION,
    SWEEP_FILE,
    PairedRecord,
    RunRecord,
    append_paired,
    append_record,
    latest_by_run,
    read_json,
    read_paired,
    read_records,
    spec_fields,
    start_runs_file,
    write_json,
)
from bench.stats import paired_comparisons
from mnist_models import STYLES


def plan(config: BenchConfig) -> list[RunSpec]:
    """Orders the runs: seed by seed, and within each seed every (arch, style) in shuffled order.

    Interleaving styles within each seed, in an order drawn from `config.order_seed`, keeps slow
    drift on a shared machine from favouring any one style.
    """
    rng = random.Random(config.order_seed)
    ordered = []
    for seed in config.seeds:
        group = [spec for spec in config.runs() if spec.seed == seed]
        rng.shuffle(group)
        ordered += group
    return ordered


def check_writable(out: Path) -> None:
    """Fails early, before any training, when results could not be written to `out`.

    Raises:
        ConfigError: `out` cannot be created or written.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-check-"):
            pass
    except OSError as e:
        raise ConfigError(
            f"cannot write results to {out} ({e.strerror or e}); pass a writable --out DIR"
        ) from None


def pending_runs(
    config: BenchConfig, ordered: list[RunSpec], existing: list[RunRecord]
) -> list[RunSpec]:
    """Starts or continues `runs.jsonl`; returns the runs still to do.

    Without --resume the file starts empty. With it, runs already recorded as ok or diverged
    are skipped (a failed run is tried again), and a file holding runs under other settings is
    refused rather than mixed into one summary. `existing` is what runs.jsonl already holds,
    read once by the caller, which also checks each new run's weights against it.
    """
    if not config.resume:
        start_runs_file(config.out)
        return ordered
    settings_keys = {config.backend_settings(b).key() for b in config.backends}
    foreign = {RunSpec.settings_key(r.run_key) for r in existing} - settings_keys
    if foreign:
        raise ConfigError(
            f"{config.out}/runs.jsonl holds runs under other settings than these; "
            "use another --out, or the same options as before, or drop --resume to start over"
        )
    done = {r.run_key for r in latest_by_run(existing) if r.status != "failed"}
    return [spec for spec in ordered if spec.key() not in done]


def pending_paired(config: BenchConfig) -> list[PairedSpec]:
    """The paired processes still to do: all, or with --resume those not yet recorded alike."""
    specs = config.paired_specs()
    if not config.resume:
        return specs
    done = {
        (r.arch, r.process, r.settings_key, r.rounds, tuple(r.styles), tuple(r.build_order))
        for r in read_paired(config.out)
        # a process built in another order is redone: before build orders were balanced across
        # processes they were drawn one by one, and before that the reference always came first
        if r.status == "ok" and r.build_order is not None
    }
    return [
        spec
        for spec in specs
        if (spec.arch, spec.process, spec.settings.key(), spec.rounds, tuple(spec.styles),
            spec.styles_in_build_order) not in done
    ]  # fmt: skip


def run_sweep(
    config: BenchConfig,
    environment: dict[str, Any],
    command: list[str],
    echo: Callable[[str], None] = print,
    executor: Executor | None = None,
) -> list[RunRecord]:
    """Runs what `config` still needs, each job in a worker, recording each result as it ends.

    In order: the matmul probe (only when a run will have a steady state to set against it),
    the paired timing phase of each architecture, the runs, and the capability checks. Every
    job runs through `executor` (default: local processes, one after another).
    """
    executor = executor or LocalExecutor(config.settings.device)
    ordered = plan(config)
    previous = _previous_sweep(config)
    existing = read_records(config.out) if config.resume else []
    todo = pending_runs(config, ordered, existing)
    paired_todo = pending_paired(config)
    capabilities = previous.get("capabilities") or {}
    wanted = {model_name(b, arch) for b in config.backends for arch in config.archs}
    check_capabilities = config.capabilities and not wanted <= set(capabilities)
    if not (todo or paired_todo or check_capabilities):
        echo(f"nothing to do: every run of this sweep is already recorded in {config.out}")
        return []
    if previous and not todo:
        # The runs were measured under the earlier sweep's probe and environment; a paired
        # phase redone now runs this code, which the report names beside the runs' commit.
        current_git = environment.get("git")
        environment = {**environment, **previous.get("environment", {})}
        if paired_todo:
            environment["paired_git"] = current_git
    write_json(config.out / SWEEP_FILE, sweep_metadata(config, environment, command, capabilities))
    if any(spec.settings.epochs > 1 for spec in todo):
        echo(f"probing the matmul peak ({peak.PROBE_REPEATS} products of {peak.PROBE_SIZE}²) …")
        environment = {**environment, **probe_peak(executor)}
        echo(
            f"    {environment['peak_matmul_gflops']:.1f} GFLOP/s median, "
            f"{environment['peak_matmul_gflops_best']:.1f} best"
        )
        write_json(
            config.out / SWEEP_FILE, sweep_metadata(config, environment, command, capabilities)
        )
    initial = pending_initial_weights(config, todo)
    if initial:
        echo(f"shared start: initial weights of {len(initial)} (arch, seed) from TensorFlow …")
        make_initial_weights(initial, executor)
    for spec in paired_todo:
        echo(
            f"paired timing: {model_name(spec.settings.backend, spec.arch)}, "
            f"process {spec.process + 1}/{config.paired_processes}, "
            f"{len(spec.styles)} styles, {spec.rounds} interleaved rounds …"
        )
        paired = run_paired_in_worker(spec, executor)
        append_paired(config.out, paired)
        echo(f"    {paired_line(paired)}")

    skipped = len(ordered) - len(todo)
    if skipped:
        echo(f"resuming: {skipped} of {len(ordered)} runs already recorded in {config.out}")
    digests = _digests(existing)
    records = []
    start = time.perf_counter()
    # Local runs go one by one and are announced as they start; tasks on a cluster run
    # several at a time and are named as they finish, with the node they ran on.
    one_by_one = executor.name == "local"
    if todo:
        echo(f"[{skipped + 1}/{len(ordered)}] {todo[0].label} …" if one_by_one else
             f"{len(todo)} runs submitted to {executor.name} …")  # fmt: skip
    for i, record in enumerate(stream_runs(todo, executor), 1):
        record = with_efficiency(record, environment)
        append_record(config.out, record)
        records.append(record)
        elapsed = time.perf_counter() - start
        eta = elapsed / i * (len(todo) - i)
        progress = f"(elapsed {_duration(elapsed)}, ETA {_duration(eta)})"
        if one_by_one:
            echo(f"    {_outcome(record)}  {progress}")
            if i < len(todo):
                echo(f"[{i + skipped + 1}/{len(ordered)}] {todo[i].label} …")
        else:
            echo(
                f"[{i + skipped}/{len(ordered)}] {_label(record)}: {_outcome(record)} "
                f"on {_where(record)}  {progress}"
            )
        for warning in weights_warnings(record, digests):
            echo(f"    WARNING: {warning}")
    if check_capabilities:
        echo("checking capabilities (summary, config, save formats, export, clone) …")
        capabilities = {
            model_name(backend, arch): run_capabilities(arch, backend, executor)
            for backend in config.backends
            for arch in config.archs
        }
        if len(config.backends) > 1:
            echo("checking .keras files across backends (saved on each, loaded on each other) …")
            add_crossload(capabilities, config, executor)
        write_json(
            config.out / SWEEP_FILE, sweep_metadata(config, environment, command, capabilities)
        )
    return records


def _previous_sweep(config: BenchConfig) -> dict[str, Any]:
    path = config.out / SWEEP_FILE
    if not config.resume or not path.exists():
        return {}
    previous = read_json(path)
    settings = previous.get("config", {}).get("settings")
    if settings is None or settings_from_dict(settings).key() != config.settings.key():
        return {}  # pending_runs refuses runs under other settings; nothing here carries over
    return previous


def pending_initial_weights(config: BenchConfig, todo: list[RunSpec]) -> list[dict[str, Any]]:
    """The shared start's initial weights that runs in `todo` need and no file holds yet."""
    wanted = {
        (spec.arch, spec.seed): spec.init_weights
        for spec in todo
        if spec.init_weights and not Path(spec.init_weights).exists()
    }
    return [{"arch": a, "seed": seed, "path": path} for (a, seed), path in sorted(wanted.items())]


def make_initial_weights(jobs: list[dict[str, Any]], executor: Executor) -> None:
    """Makes the initial weights of `jobs` in one TensorFlow worker.

    Raises:
        RuntimeError: the worker failed; no run could start alike without them.
    """
    result, error, _ = _worker("init", json.dumps(jobs), executor)
    if result is None:
        raise RuntimeError(f"shared start: the initial weights could not be made: {error}")


def probe_peak(executor: Executor) -> dict[str, Any]:
    """The matmul peak of every node, probed in a worker on each: median and best, and every
    probe's time, under `nodes`; the first node's also at the top, as for a single machine.

    Raises:
        RuntimeError: a node's probe failed; its runs would have no peak to set against.
    """
    nodes = {}
    for result, error, node in executor.call_on_each_node("probe", "{}"):
        if result is None:
            raise RuntimeError(f"the matmul probe failed on {node.get('host', '?')}: {error}")
        nodes[node["id"]] = {
            **{k: v for k, v in node.items() if k != "attempt"},
            **peak.summarize_probes(result["probe_seconds"]),
            "peak_probe_seconds": result["probe_seconds"],
            "device": result["device"],
        }
    first = next(iter(nodes.values()))
    return {
        **{k: first[k] for k in ("peak_matmul_gflops", "peak_matmul_gflops_best",
                                 "peak_probe_seconds", "device")},
        "nodes": nodes,
    }  # fmt: skip


def paired_line(record: PairedRecord) -> str:
    """One console line for one paired process: its ratios to the reference, by measure."""
    if record.status != "ok":
        first = (record.error or "").splitlines()[0] if record.error else ""
        return f"FAILED: {first}"
    parts = []
    # only the estimates are shown: the margin, and so the verdict, do not matter here
    for measure, style, c in paired_comparisons(
        [record.ordered_seconds()], record.reference, 100.0
    ):
        parts.append(f"{style[:3]} {measure} {c.estimate:.3f}×")
    return "; ".join(parts) + " (this process; the verdicts pool every process)"


def _digests(records: list[RunRecord]) -> dict[tuple[str, int, str], dict[str, str]]:
    digests: dict[tuple[str, int, str], dict[str, str]] = {}
    for r in latest_by_run(records):
        if r.status == "ok" and r.weights_sha256:
            key = (r.arch, r.seed, RunSpec.settings_key(r.run_key))
            digests.setdefault(key, {})[r.style] = r.weights_sha256
    return digests


def weights_warnings(record: RunRecord, digests: dict) -> list[str]:
    """Notes `record`'s trained weights; warns when a style's differ from the reference's.

    Under op determinism every style of a seed must train to bitwise the same weights; a
    difference means the styles did not compute the same thing, which the report repeats.
    """
    if record.status != "ok" or not record.weights_sha256:
        return []
    key = (record.arch, record.seed, RunSpec.settings_key(record.run_key))
    seen = digests.setdefault(key, {})
    seen[record.style] = record.weights_sha256
    reference = seen.get(REFERENCE_STYLE)
    if reference is None or not record.deterministic:
        return []
    others = [record.style] if record.style != REFERENCE_STYLE else list(seen)
    name = model_name(record.backend, record.arch)
    return [
        f"{name}/{style} seed={record.seed} trained to other weights than "
        f"{name}/{REFERENCE_STYLE} under determinism: the styles did not compute the same thing"
        for style in others
        if style != REFERENCE_STYLE and seen[style] != reference
    ]


def with_efficiency(record: RunRecord, environment: dict[str, Any]) -> RunRecord:
    """Sets the run's share of its node's matmul peak: median epoch against median probe, and
    best epoch against best probe (like against like)."""
    probed = environment.get("nodes", {}).get((record.node or {}).get("id"), environment)
    median, best = probed.get("peak_matmul_gflops"), probed.get("peak_matmul_gflops_best")
    if not median or not best:
        return record
    return dataclasses.replace(
        record,
        peak_matmul_gflops=median,
        peak_matmul_gflops_best=best,
        efficiency=record.achieved_gflops / median if record.achieved_gflops else None,
        efficiency_best=(
            record.achieved_gflops_best / best if record.achieved_gflops_best else None
        ),
    )


def sweep_metadata(
    config: BenchConfig, environment: dict[str, Any], command: list[str], capabilities: dict
) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "config": config.to_dict(),
        "environment": environment,
        "capabilities": capabilities,
    }


def stream_runs(todo: list[RunSpec], executor: Executor) -> Iterator[RunRecord]:
    """Runs every spec in a fresh worker process, yielding each record as its run finishes
    (in `todo`'s order on the local executor); a crash becomes a "failed" record."""
    jobs = [spec.to_json() for spec in todo]
    for index, outcome in executor.stream("run", jobs, [spec.key() for spec in todo]):
        yield run_record(todo[index], outcome)


def run_record(spec: RunSpec, outcome: Outcome) -> RunRecord:
    """The record of one run from its worker's outcome, naming the node and attempt."""
    result, error, node = outcome
    where = {"node": {k: v for k, v in node.items() if k != "attempt"} or None,
             "attempt": node.get("attempt")}  # fmt: skip
    if result is not None:
        return RunRecord.from_dict({**result, **where})
    return RunRecord(**spec_fields(spec), status="failed", error=error, **where)


def run_paired_in_worker(spec: PairedSpec, executor: Executor) -> PairedRecord:
    """Runs one architecture's paired phase in a fresh process; a crash becomes "failed"."""
    result, error, _ = _worker("paired", spec.to_json(), executor)
    if result is not None:
        return PairedRecord.from_dict(result)
    return PairedRecord(
        arch=spec.arch, styles=list(spec.styles), reference=spec.reference, seed=spec.seed,
        settings_key=spec.settings.key(), rounds=spec.rounds, steps_per_burst={},
        order_seed=spec.order_seed, seconds={}, batch_size=spec.settings.batch_size,
        predict_batch=0, process=spec.process, status="failed", error=error,
    )  # fmt: skip


def run_capabilities(arch: str, backend: str, executor: Executor) -> dict[str, Any]:
    """Checks what every style of `arch` can do on `backend`, in one worker process."""
    job = json.dumps({"arch": arch, "styles": STYLES, "backend": backend})
    result, error, _ = _worker("capabilities", job, executor)
    if result is None:
        return {style: {"worker": {"ok": False, "error": error}} for style in STYLES}
    return result


def add_crossload(capabilities: dict[str, Any], config: BenchConfig, executor: Executor) -> None:
    """Adds `keras_loads_on_<backend>` to each (backend, arch, style) of `capabilities`: whether
    the `.keras` file saved there loads under that other backend and predicts the same."""
    with tempfile.TemporaryDirectory(prefix="bench-crossload-") as tmp:
        saved = {}
        for backend in config.backends:
            for arch in config.archs:
                job = {"step": "save", "backend": backend, "arch": arch, "styles": STYLES,
                       "directory": tmp}  # fmt: skip
                saved[(backend, arch)] = _worker("crossload", json.dumps(job), executor)[1]
        for target in config.backends:
            sources = [b for b in config.backends if b != target]
            for arch in config.archs:
                job = {"step": "load", "backend": target, "arch": arch, "styles": STYLES,
                       "saved_on": sources, "directory": tmp}  # fmt: skip
                result, error, _ = _worker("crossload", json.dumps(job), executor)
                for style in STYLES:
                    for source in sources:
                        found = (result or {}).get(style, {}).get(source) or {
                            "ok": False,
                            "max_abs_diff": None,
                            "error": saved[(source, arch)] or error,
                        }
                        checks = capabilities.setdefault(model_name(source, arch), {})
                        checks.setdefault(style, {})[f"keras_loads_on_{target}"] = found


def _worker(kind: str, job: str, executor: Executor) -> Outcome:
    return executor.call(kind, job)


def _label(record: RunRecord) -> str:
    return f"{model_name(record.backend, record.arch)}/{record.style} seed={record.seed}"


def _where(record: RunRecord) -> str:
    node = record.node or {}
    retried = f", attempt {record.attempt}" if (record.attempt or 1) > 1 else ""
    return f"{node.get('host', '?')} {str(node.get('id', '?'))[:8]}{retried}"


def _outcome(record: RunRecord) -> str:
    if record.status == "failed":
        first_line = (record.error or "").splitlines()[0] if record.error else ""
        return f"FAILED: {first_line}"
    if record.status == "diverged":
        return f"diverged after {len(record.epoch_seconds)} epoch(s)"
    steady = f", steady {record.steady_step_ms:.1f} ms/step" if record.steady_step_ms else ""
    return (
        f"ok: test acc {100 * record.test_accuracy:.2f} %, train {record.train_seconds:.1f} s"
        f"{steady}, run {record.wall_seconds:.1f} s"
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
