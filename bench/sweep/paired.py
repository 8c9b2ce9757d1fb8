"""The paired phases, run adaptively a block (one Latin square of build orders) at a time until
their intervals meet their aims (`bench.analysis.stopping`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bench.analysis.counts import count_entries
from bench.analysis.one_time import one_time_entries
from bench.analysis.programs import with_proofs
from bench.analysis.stopping import (
    BUDGET,
    MAXIMUM,
    StoppingRule,
    median_cost,
    stop_reason,
)
from bench.analysis.summary import paired_summary
from bench.plan.backends import model_name
from bench.plan.config import BenchConfig
from bench.plan.specs import STEADY_MEASURES
from bench.store.records import append_one_time, append_steady, read_one_time
from bench.store.schema import read_sweep
from bench.sweep import jobs, progress
from bench.sweep.resume import Todo

STEADY, ONE_TIME = "steady", "one_time"


@dataclass
class Series:
    """One phase of one backend × architecture: the processes it may still run, and the
    processes recorded so far (by an earlier sweep in the directory, then by this one)."""

    phase: str
    backend: str
    arch: str
    pending: list[Any]
    records: list[Any]
    rule: StoppingRule
    stopped: str | None = None
    # (what it timed, seconds) per process run now, start-up in: a steady process that times
    # fewer measures costs less
    costs: list[tuple[tuple[str, ...] | None, float]] = field(default_factory=list)

    @property
    def label(self) -> str:
        name = "paired timing" if self.phase == STEADY else "one-time costs"
        return f"{name}: {model_name(self.backend, self.arch)}"

    def ok(self) -> list[Any]:
        return [r for r in self.records if r.status == "ok"]

    def entries(self, config: BenchConfig) -> list[dict[str, Any]]:
        """The series' verdicts so far, as the report will give them."""
        if self.phase == STEADY:
            entries = paired_summary(self.ok(), config.time_margin)[0]
        else:
            entries = one_time_entries(self.ok(), config.one_time_margin)
        # the one-time phase, which counts the calls, runs first: a proof decides too
        programs = (read_sweep(config.out) or {}).get("programs") or {}
        return with_proofs(entries, programs, count_entries(read_one_time(config.out)))

    def measures(self, config: BenchConfig) -> tuple[str, ...]:
        """What the series' next steady process times: every measure, then those undecided, and
        inside a block what the block timed, so each measure's blocks stay whole."""
        ok = self.ok()
        if not ok:
            return STEADY_MEASURES
        timed = tuple(m for m in STEADY_MEASURES if m in ok[-1].seconds)
        if not self.rule.checks_at(len(ok)):
            return timed
        entries = self.entries(config)
        return tuple(
            m
            for m in timed
            if not all(self.rule.settles(e, len(ok)) for e in entries if e.measure == m)
        )


def rule_for(config: BenchConfig, arch: str, phase: str = STEADY) -> StoppingRule:
    """The stopping rule of `arch`'s `phase`: a one-time phase may stop after its first block
    (its interval is over cycles); a steady one waits for `--min-processes`."""
    most = config.most_processes(phase)
    block = len(config.styles_of(arch))
    fewest = block if phase == ONE_TIME else config.min_processes
    return StoppingRule(min(fewest, most), most, block)


def plan_series(config: BenchConfig, todo: Todo) -> list[Series]:
    """Every series with processes left, one-time first: under a tight budget their large
    differences are the verdicts worth having."""
    found = []
    for phase, pending, recorded in (
        (ONE_TIME, todo.one_time, todo.one_time_recorded),
        (STEADY, todo.paired, todo.paired_recorded),
    ):
        for backend in config.backends:
            for arch in config.archs:
                mine = [s for s in pending if (s.settings.backend, s.arch) == (backend, arch)]
                if not mine:
                    continue
                done = [r for r in recorded if (r.backend, r.arch) == (backend, arch)]
                mine.sort(key=lambda spec: spec.process)
                s = Series(phase, backend, arch, mine, done, rule_for(config, arch, phase))
                if s.records and s.rule.checks_at(len(s.ok())):  # --resume: enough already?
                    s.stopped = stop_reason(s.entries(config), len(s.ok()), s.rule)
                found.append(s)
    return found


@dataclass(frozen=True)
class Clock:
    """The budget's clock: when the sweep started, and a worker's mean cost so far."""

    started: float
    guess_seconds: float | None = None

    def spent(self) -> float:
        return time.perf_counter() - self.started


def paired_phases(
    config: BenchConfig,
    todo: Todo,
    executor,
    echo: Callable[[str], None],
    clock: Clock | None = None,
) -> None:
    """Runs every series a block at a time until each stops, recording each process; the
    budget counts from `clock.started` (default: now)."""
    clock = clock or Clock(time.perf_counter())
    series = plan_series(config, todo)
    for s in series:
        if s.stopped is not None:
            echo(f"{s.label}: {len(s.ok())} process(es) recorded before: {s.stopped}")
    while any(s.stopped is None for s in series):
        for s in series:
            if s.stopped is None:
                if not fits_budget(s, config, clock):
                    s.stopped = BUDGET
                else:
                    run_block(s, config, executor, echo, clock)
                if s.stopped is not None:
                    echo(f"{s.label}: stopped after {len(s.ok())} process(es): {s.stopped}")


def fits_budget(s: Series, config: BenchConfig, clock: Clock, block: int | None = None) -> bool:
    """Whether the budget left pays for the series' next `block` processes at their median cost
    so far, or the clock's guess; a whole block keeps the build orders balanced."""
    if config.budget is None:
        return True
    left = config.budget - clock.spent()
    upcoming = s.measures(config) if s.phase == STEADY else None
    cost = median_cost(s.costs, upcoming) if s.costs else clock.guess_seconds
    if cost is None:
        return left > 0
    return left >= min(block or s.rule.block, len(s.pending)) * cost


def run_block(s: Series, config: BenchConfig, executor, echo, clock: Clock) -> None:
    """Runs the series' next block, then decides whether it stops; a first block started on a
    guess stops after one process where its cost says the rest will not fit."""
    guessed = not s.costs
    # never empty: where every interval met its aim, `stop_reason` stopped the series
    measures = s.measures(config) if s.phase == STEADY else None
    for i in range(s.rule.block):
        if not s.pending:
            break
        if guessed and i == 1 and not fits_budget(s, config, clock, s.rule.block - 1):
            s.stopped = BUDGET
            return
        spec = s.pending.pop(0)
        if measures is not None:
            spec = replace(spec, measures=measures)
        elapsed = progress.spent(clock.spent(), config.budget)
        echo(
            f"{s.label}, process {spec.process + 1}/{s.rule.max_processes}, "
            f"{len(spec.styles)} styles, {_detail(spec)} ({elapsed}) …"
        )
        began = time.perf_counter()
        record = _run(s.phase, spec, executor, config)
        s.costs.append((measures, time.perf_counter() - began))
        s.records.append(record)
        line = progress.paired_line if s.phase == STEADY else progress.one_time_line
        echo(f"    {line(record)}")
        if s.rule.checks_at(len(s.ok())):
            s.stopped = stop_reason(s.entries(config), len(s.ok()), s.rule)
            if s.stopped is not None:
                return
    if not s.pending:
        s.stopped = MAXIMUM


def _detail(spec) -> str:
    if hasattr(spec, "rounds"):
        instances = f", {spec.instances} instances of each" if spec.instances > 1 else ""
        named = " and ".join(progress.SHORT.get(m, m) for m in spec.measures)
        only = f" of {named} only" if spec.measures != STEADY_MEASURES else ""
        return f"{spec.rounds} interleaved rounds{only}{instances}"
    return f"{spec.cycles} cycles after a warm-up"


def _run(phase: str, spec, executor, config: BenchConfig):
    if phase == STEADY:
        record = jobs.run_steady_in_worker(spec, executor)
        append_steady(config.out, record)
    else:
        record = jobs.run_one_time_in_worker(spec, executor)
        append_one_time(config.out, record)
    return record
