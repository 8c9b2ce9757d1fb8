"""What a sweep still has to do: everything, or with --resume what its directory lacks."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.plan.backends import model_name
from bench.plan.config import BenchConfig
from bench.plan.settings import ConfigError, settings_from_dict
from bench.plan.specs import OneTimeSpec, RunSpec, SteadySpec
from bench.store.records import (
    OneTimeRecord,
    RunRecord,
    SteadyRecord,
    latest_by_run,
    one_time_spec_fields,
    paired_spec_fields,
    read_one_time,
    read_records,
    read_steady,
    start_runs_file,
)
from bench.store.schema import read_sweep


@dataclass
class Todo:
    """The jobs a sweep has left, and what an earlier sweep in the same directory recorded."""

    ordered: list[RunSpec]  # every run of the sweep, in the order they run
    runs: list[RunSpec]  # those still to do
    paired: list[SteadySpec]
    paired_recorded: list[SteadyRecord]  # with --resume: the paired processes recorded alike
    one_time: list[OneTimeSpec]
    one_time_recorded: list[OneTimeRecord]
    initial_weights: list[dict[str, Any]]
    check_capabilities: bool
    existing: list[RunRecord] = field(default_factory=list)  # runs.jsonl's records before
    previous: dict[str, Any] = field(default_factory=dict)  # the earlier sweep.json

    @property
    def empty(self) -> bool:
        return not (self.runs or self.paired or self.one_time or self.check_capabilities)


def find_todo(config: BenchConfig) -> Todo:
    """What is left to do in `config.out`; ConfigError where its runs had other settings."""
    ordered = plan(config)
    previous = previous_sweep(config)
    existing = read_records(config.out) if config.resume else []
    runs = pending_runs(config, ordered, existing)
    paired, paired_recorded = pending_paired(config)
    one_time, one_time_recorded = pending_one_time(config)
    capabilities = previous.get("capabilities") or {}
    wanted = {model_name(b, arch) for b in config.backends for arch in config.archs}
    return Todo(
        ordered=ordered,
        runs=runs,
        paired=paired,
        paired_recorded=paired_recorded,
        one_time=one_time,
        one_time_recorded=one_time_recorded,
        initial_weights=pending_initial_weights(runs),
        check_capabilities=config.capabilities and not wanted <= set(capabilities),
        existing=existing,
        previous=previous,
    )


def plan(config: BenchConfig) -> list[RunSpec]:
    """The runs seed by seed, each seed's (arch, style) in a shuffled order, so drift on a shared
    machine favours no style."""
    rng = random.Random(config.order_seed)
    ordered = []
    for seed in config.seeds:
        group = [spec for spec in config.runs() if spec.seed == seed]
        rng.shuffle(group)
        ordered += group
    return ordered


def pending_runs(
    config: BenchConfig, ordered: list[RunSpec], existing: list[RunRecord]
) -> list[RunSpec]:
    """Starts or continues `runs.jsonl`; returns the runs still to do (a failed run again), and
    refuses a file holding runs under other settings."""
    if not config.resume:
        start_runs_file(config.out)
        return ordered
    settings_keys = {config.backend_settings(b).key() for b in config.backends}
    foreign = {r.settings_key for r in existing} - settings_keys
    if foreign:
        raise ConfigError(
            f"{config.out}/runs.jsonl holds runs under other settings than these; "
            "use another --out, or the same options as before, or drop --resume to start over"
        )
    done = {r.run_key for r in latest_by_run(existing) if r.status != "failed"}
    return [spec for spec in ordered if spec.key() not in done]


# What makes a recorded process one of this sweep's: these fields of its record equal those its
# spec gives a record (`paired_spec_fields`, `one_time_spec_fields`): the phase's options, and
# which process it is. A paired process recorded in another build order is redone: before
# build orders were balanced across processes they were drawn one by one, and before that (no
# build_order) the reference always came first.
PAIRED_ALIKE = ("backend", "arch", "process", "build_order", *SteadyRecord.OPTIONS)
ONE_TIME_ALIKE = ("backend", "arch", "process", *OneTimeRecord.OPTIONS)


def pending_paired(config: BenchConfig) -> tuple[list[SteadySpec], list[SteadyRecord]]:
    """The paired processes still to do (all, or with --resume those not yet recorded alike),
    and the records of those that are."""
    return _split(
        config.steady_specs(),
        read_steady(config.out) if config.resume else [],
        PAIRED_ALIKE,
        lambda spec: {**paired_spec_fields(spec), "build_order": spec.styles_in_build_order},
    )


def pending_one_time(config: BenchConfig) -> tuple[list[OneTimeSpec], list[OneTimeRecord]]:
    """The one-time processes still to do (all, or with --resume those not yet recorded alike),
    and the records of those that are."""
    return _split(
        config.one_time_specs(),
        read_one_time(config.out) if config.resume else [],
        ONE_TIME_ALIKE,
        one_time_spec_fields,
    )


def _split(
    specs: list,
    records: list,
    alike: tuple[str, ...],
    record_fields: Callable[[Any], dict[str, Any]],
) -> tuple[list, list]:
    """The specs no ok record records alike, and the ok records that record one of them alike;
    the rest (another sweep's, failed, other options) are done again."""

    def key(fields: dict[str, Any]) -> tuple:
        return tuple(tuple(v) if isinstance(v, list | tuple) else v for v in map(fields.get, alike))

    wanted = {key(record_fields(spec)) for spec in specs}
    recorded = [r for r in records if r.status == "ok" and key(vars(r)) in wanted]
    done = {key(vars(r)) for r in recorded}
    return [spec for spec in specs if key(record_fields(spec)) not in done], recorded


def previous_sweep(config: BenchConfig) -> dict[str, Any]:
    """The sweep.json that --resume continues, when it was written under the same settings."""
    previous = read_sweep(config.out) if config.resume else None
    if previous is None:
        return {}
    settings = previous.get("config", {}).get("settings")
    if settings is None or settings_from_dict(settings).key() != config.settings.key():
        return {}  # pending_runs refuses runs under other settings; nothing here carries over
    return previous


def pending_initial_weights(runs: list[RunSpec]) -> list[dict[str, Any]]:
    """The shared start's initial weights that `runs` need and no file holds yet."""
    wanted = {
        (spec.arch, spec.seed): spec.init_weights
        for spec in runs
        if spec.init_weights and not Path(spec.init_weights).exists()
    }
    return [{"arch": a, "seed": seed, "path": path} for (a, seed), path in sorted(wanted.items())]
