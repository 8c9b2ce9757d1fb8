"""When a paired phase has measured enough: the adaptive stopping rule, and its coverage.

The rule, per backend × architecture × phase (steady or one-time), written once here and in
docs/methodology.md ("When the paired phases stop"):
- Processes run in blocks of one Latin square (as many processes as styles, each style built
  first once per block), so that the build-order effect cancels at every point where the phase
  may stop.
- After each block, once at least `min_processes` have run, a measure stops when the 95 %
  interval of every style is within its precision aim (`PRECISION`): later processes of a
  steady phase no longer time it. The phase stops once every measure has stopped; the
  measures of a one-time phase, steps of one sequence, stop together.
- Otherwise it stops at `max_processes`, or earlier when the sweep's budget cannot pay for the
  next process.

Stopping on the observed spread can only narrow intervals that happened to come out narrow, so
the 95 % intervals cover a little less often than 95 %; `simulate_coverage` measures how much on
recorded processes with a known truth (tests/analysis/test_stopping.py holds it to ≥ 93 %).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

from bench.analysis.summary import share_of_aim, within_aim
from bench.plan.config import most_processes
from bench.plan.settings import PRECISION
from bench.store.records import OneTimeRecord

AIMS_MET = "aims met"
MAXIMUM = "its most processes"
BUDGET = "budget spent"


@dataclass(frozen=True)
class StoppingRule:
    """How many processes a phase may use: at least `min_processes`, at most `max_processes`,
    deciding only after whole blocks of `block` processes."""

    min_processes: int
    max_processes: int
    block: int = 1

    def decides_at(self, processes: int) -> bool:
        """Whether the rule may stop after `processes` processes."""
        return processes >= self.max_processes or (
            processes >= self.min_processes and processes % self.block == 0
        )


def stop_reason(entries: Sequence[dict[str, Any]], processes: int, rule: StoppingRule
                ) -> str | None:  # fmt: skip
    """Why a phase whose `processes` gave `entries` (its paired entries) stops now, or None."""
    if processes >= rule.max_processes:
        return AIMS_MET if entries and all(map(within_aim, entries)) else MAXIMUM
    if rule.decides_at(processes) and entries and all(map(within_aim, entries)):
        return AIMS_MET
    return None


def simulate_coverage(population: np.ndarray, aims_percent: Sequence[float], rule: StoppingRule,
                      trials: int = 2000, seed: int = 0, groups: Sequence[Any] | None = None
                      ) -> dict[str, Any]:  # fmt: skip
    """How often the rule's final 95 % intervals cover the truth, by simulation.

    Each trial draws processes with replacement from `population` (one row per recorded
    process, one column per style × measure: the process's mean log ratio) until the rule
    stops; the truth is the population's mean. `groups` labels each column (its measure):
    the columns of a group stop together and each group on its own, as the steady phase's
    measures do; None: every column stops together. Returns `coverage` per column, `joint`
    (all columns of a trial covered), and the mean and distribution of the processes the
    phase used (its last group's stop).
    """
    population = np.asarray(population, dtype=float)
    aims = np.asarray(aims_percent, dtype=float)
    labels = np.asarray(groups if groups is not None else [0] * population.shape[1])
    truth = population.mean(axis=0)
    rng = np.random.default_rng(seed)
    draws = population[rng.integers(0, len(population), size=(trials, rule.max_processes))]
    points = [n for n in range(2, rule.max_processes + 1) if rule.decides_at(n)]
    half = np.zeros((trials, population.shape[1]))
    mean = np.zeros_like(half)
    stopped_at = np.zeros(trials, dtype=int)
    for label in dict.fromkeys(labels.tolist()):
        cols = labels == label
        n, half[:, cols], mean[:, cols] = _stop(draws[:, :, cols], aims[cols], rule, points)
        stopped_at = np.maximum(stopped_at, n)
    covered = np.abs(mean - truth) <= half
    return {
        "coverage": covered.mean(axis=0),
        "joint": covered.all(axis=1).mean(),
        "mean_processes": float(stopped_at.mean()),
        "processes": {int(n): float((stopped_at == n).mean()) for n in points},
        "trials": trials,
    }


def _stop(draws: np.ndarray, aims: np.ndarray, rule: StoppingRule, points: Sequence[int]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Where each trial's columns stop together (`draws`: trials × processes × columns), and
    their log half-widths and means there."""
    trials = draws.shape[0]
    stopped_at = np.full(trials, rule.max_processes)
    half = np.zeros((trials, draws.shape[2]))
    mean = np.zeros_like(half)
    pending = np.ones(trials, dtype=bool)
    for n in points:
        sample = draws[:, :n, :]
        m = sample.mean(axis=1)
        h = _log_half_width(sample.std(axis=1, ddof=1), n)
        met = _meets_aim(h, aims).all(axis=1) | (n >= rule.max_processes)
        now = pending & met
        stopped_at[now], half[now], mean[now] = n, h[now], m[now]
        pending &= ~now
    return stopped_at, half, mean


def stopping_summary(entries: Sequence[dict[str, Any]], records: Sequence[Any],
                     config: dict[str, Any]) -> list[dict[str, Any]]:  # fmt: skip
    """Per phase × backend × architecture: the processes it ran, their worker time, the widest
    interval against its aim, and why it stopped, as far as the records and the sweep's config
    (`paired_processes`, `one_time_processes`, `budget`) tell. `records` are paired and
    one-time records together."""
    found = []
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for r in records:
        phase = "one_time" if isinstance(r, OneTimeRecord) else "steady"
        groups.setdefault((phase, r.backend, r.arch), []).append(r)
    for (phase, backend, arch), group in groups.items():
        ok = [r for r in group if r.status == "ok"]
        most = most_processes(phase, config.get("paired_processes") or 1,
                              config.get("one_time_processes") or 0)  # fmt: skip
        mine = [e for e in entries if (e.get("phase", "steady"), e.get("backend"), e["arch"]) ==
                (phase, backend, arch)]  # fmt: skip
        widest = max(mine, key=lambda e: share_of_aim(e), default=None)
        if mine and all(map(within_aim, mine)):
            reason = AIMS_MET
        elif len(ok) >= most:
            reason = MAXIMUM
        else:
            reason = BUDGET if config.get("budget") else "stopped before its aims"
        found.append({
            "phase": phase, "backend": backend, "arch": arch, "processes": len(ok),
            "failed_processes": len(group) - len(ok), "most_processes": most,
            "worker_seconds": sum(map(worker_seconds, group)),
            "startup_seconds": _startup_seconds(group), "stopped": reason,
            "widest_measure": widest and widest["measure"],
            "widest_style": widest and widest["style"],
            "widest_share_of_aim": widest and share_of_aim(widest),
            **_projection(mine, ok, len(ok)),
        })  # fmt: skip
    return found


def worker_seconds(record: Any) -> float:
    """What a paired or one-time process cost: its job's wall time and the start-up before it
    (where recorded)."""
    return (record.wall_seconds or 0) + (record.startup_seconds or 0)


def _startup_seconds(records: Sequence[Any]) -> float | None:
    """The processes' start-up together; None where one was not measured (before schema 7, or
    a process that never reported)."""
    found = [r.startup_seconds for r in records]
    return None if None in found else sum(found)


def processes_for_aim(entry: dict[str, Any], most: int = 10_000) -> int | None:
    """The fewest processes whose 95 % interval would meet `entry`'s aim if the processes'
    means spread as `entry`'s do (`between_process_sd`); None without that spread (one
    process), or when even `most` would not do."""
    sd, aim = entry.get("between_process_sd"), PRECISION[entry["measure"]]
    if sd is None:
        return None
    if sd == 0:
        return 2

    # the half-width shrinks with n; the smallest n is found by bisection on [2, most]
    def meets(n: int) -> bool:
        return bool(_meets_aim(_log_half_width(sd, n), aim))

    low, high = 2, most
    if not meets(high):
        return None
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if meets(mid) else (mid + 1, high)
    return low


def _log_half_width(sd, n: int):
    """The 95 % t half-width, on the log scale, of a mean of `n` values whose SD is `sd` (a
    number or an array of them)."""
    return scipy_stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)


def _meets_aim(log_half_width, aim_percent):
    """Whether a log half-width is within its aim: 100 sinh(h) is the half-width in percent of
    the ratio, as `half_width_percent` gives it from an interval."""
    return 100 * np.sinh(log_half_width) <= aim_percent + 1e-9


def _projection(entries: Sequence[dict[str, Any]], ok: Sequence[Any], processes: int
                ) -> dict[str, Any]:  # fmt: skip
    """What a phase would need for every interval to meet its aim at the spread seen so far:
    processes (rounded up to whole Latin squares of its styles, never fewer than it ran) and
    their worker time: what it took so far, and each process still needed at the cost of the
    processes that timed what that one would (a steady process times only the measures still
    short of their aims). None where it cannot be told."""
    needs: dict[str, int] = {}
    for e in entries:
        n = processes_for_aim(e)
        if n is None:
            return {"processes_for_aims": None, "worker_seconds_for_aims": None}
        needs[e["measure"]] = max(needs.get(e["measure"], 0), n)
    if not needs or not ok:
        return {"processes_for_aims": None, "worker_seconds_for_aims": None}
    block = len(ok[0].styles)
    needs = {m: -(-n // block) * block for m, n in needs.items()}
    total = max(processes, *needs.values())
    costs = [(tuple(r.seconds), worker_seconds(r)) for r in ok]
    seconds = sum(cost for _, cost in costs)
    for i in range(processes, total):
        seconds += median_cost(costs, tuple(m for m, n in needs.items() if n > i))
    return {"processes_for_aims": total, "worker_seconds_for_aims": seconds}


def median_cost(costs: Sequence[tuple[Sequence[str] | None, float]],
                measures: Sequence[str] | None = None) -> float | None:  # fmt: skip
    """The median cost of a process that times `measures`, from `costs`, (what each process
    timed, its seconds): of the processes that timed just those; else of those that timed them
    and the fewest others; else (or for `measures` None: a one-time process, which times
    every measure) of all. None without costs."""
    if not costs:
        return None
    every = [cost for _, cost in costs]
    if measures is None:
        return statistics.median(every)
    covering = [(len(timed or ()), cost) for timed, cost in costs
                if set(measures) <= set(timed or ())]  # fmt: skip
    fewest = min((n for n, _ in covering), default=None)
    return statistics.median([cost for n, cost in covering if n == fewest] or every)
