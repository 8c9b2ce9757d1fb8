"""When a paired phase has measured enough: the stopping rule, and its error rates.

The rule, per backend × architecture × phase (steady or one-time), written once here and in
docs/methodology.md ("When the paired phases stop"):
- Processes run in blocks of one Latin square (as many processes as styles, each style built
  first once per block), so that the build-order effect cancels at every point where the phase
  may stop.
- After each block, once at least `min_processes` have run, a measure stops when every style's
  verdict on it is decided (`bench.analysis.summary.decided`: equivalent, or slower/faster
  within or beyond the margin): later processes of a steady phase no longer time it. The
  phase stops once every measure has; the measures of a one-time phase, steps of one
  sequence, stop together.
- Otherwise it stops at `max_processes`, the fallback, where what is undecided stays so and
  says why (`undecided_reason`), or earlier when the sweep's budget cannot pay for the next
  process.

Stopping on the verdict is optional stopping: `simulate_verdicts` measures its error rates
and coverage on recorded processes moved to known truths (tests/analysis/test_stopping.py
holds them to the bounds of docs/methodology.md).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

from bench.analysis.stats import INCONCLUSIVE, UNCLEAR
from bench.analysis.summary import DECIDED, decided, share_of_aim
from bench.plan.config import most_processes
from bench.store.records import OneTimeRecord

DECIDED_ALL = "verdicts decided"
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


def stop_reason(
    entries: Sequence[dict[str, Any]], processes: int, rule: StoppingRule
) -> str | None:
    """Why a phase whose `processes` gave `entries` (its paired entries) stops now, or None."""
    settled = bool(entries) and all(map(decided, entries))
    if processes >= rule.max_processes:
        return DECIDED_ALL if settled else MAXIMUM
    if rule.decides_at(processes) and settled:
        return DECIDED_ALL
    return None


def stopping_summary(
    entries: Sequence[dict[str, Any]], records: Sequence[Any], config: dict[str, Any]
) -> list[dict[str, Any]]:
    """Per phase × backend × architecture: the processes it ran, their worker time, the widest
    interval against its aim, and why it stopped, as far as the records and the sweep's config
    (`max_processes`, `one_time_processes`, `budget`) tell. `records` are paired and
    one-time records together."""
    found = []
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for r in records:
        phase = "one_time" if isinstance(r, OneTimeRecord) else "steady"
        groups.setdefault((phase, r.backend, r.arch), []).append(r)
    for (phase, backend, arch), group in groups.items():
        ok = [r for r in group if r.status == "ok"]
        most = most_processes(
            phase, config.get("max_processes") or 1, config.get("one_time_processes") or 0
        )
        mine = [
            e
            for e in entries
            if (e.get("phase", "steady"), e.get("backend"), e["arch"]) == (phase, backend, arch)
        ]
        widest = max(mine, key=lambda e: share_of_aim(e), default=None)
        open_ = [e for e in mine if not decided(e)]
        if mine and not open_:
            reason = DECIDED_ALL
        elif len(ok) >= most:
            reason = MAXIMUM
        else:
            reason = BUDGET if config.get("budget") else "stopped undecided"
        found.append(
            {
                "phase": phase,
                "backend": backend,
                "arch": arch,
                "processes": len(ok),
                "failed_processes": len(group) - len(ok),
                "most_processes": most,
                "worker_seconds": sum(map(worker_seconds, group)),
                "startup_seconds": _startup_seconds(group),
                "stopped": reason,
                "widest_measure": widest and widest["measure"],
                "widest_style": widest and widest["style"],
                "widest_share_of_aim": widest and share_of_aim(widest),
                "verdicts": len(mine),
                "undecided": len(open_),
            }
        )
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


def median_cost(
    costs: Sequence[tuple[Sequence[str] | None, float]], measures: Sequence[str] | None = None
) -> float | None:
    """The median cost of a process that times `measures`, from `costs`, (what each process
    timed, its seconds): of the processes that timed just those; else of those that timed them
    and the fewest others; else (or for `measures` None: a one-time process, which times
    every measure) of all. None without costs."""
    if not costs:
        return None
    every = [cost for _, cost in costs]
    if measures is None:
        return statistics.median(every)
    covering = [
        (len(timed or ()), cost) for timed, cost in costs if set(measures) <= set(timed or ())
    ]
    fewest = min((n for n, _ in covering), default=None)
    return statistics.median([cost for n, cost in covering if n == fewest] or every)


# Verdict codes of the vectorised rule, in `VERDICT_ORDER`: the decided ones first.
VERDICT_ORDER = (*DECIDED, UNCLEAR, INCONCLUSIVE)


def simulate_verdicts(
    population: np.ndarray,
    margin_percent: float,
    truth_ratio: float,
    rule: StoppingRule,
    trials: int = 2000,
    seed: int = 0,
    groups: Sequence[Any] | None = None,
    interim_confidence: float | None = None,
) -> dict[str, Any]:
    """The final verdicts and coverage of the rule, stopping each group once its verdicts are
    decided, on recorded processes moved to a known truth.

    Each column of `population` (one row per recorded process, one column per style × measure:
    the process's mean log ratio; or processes × cycles × columns, where the interval is over
    cycles, as the one-time phase's is) is shifted so that its mean is log(`truth_ratio`);
    trials draw processes from it with replacement until the rule stops. `interim_confidence`, where
    given, replaces 95 % (and 90 % by as much) at every look before the last: a stricter
    interval for repeated looks. Returns, per column, the share of each final verdict
    (`verdicts`: {verdict: array}) and `coverage` of the final 95 % interval, and the mean
    processes used.
    """
    population = np.asarray(population, dtype=float)
    if population.ndim == 2:
        population = population[:, None, :]  # one value a process
    per = population.shape[1]
    truth = math.log(truth_ratio)
    shifted = population - population.mean(axis=(0, 1)) + truth
    band = math.log1p(margin_percent / 100)
    labels = np.asarray(groups if groups is not None else [0] * population.shape[2])
    rng = np.random.default_rng(seed)
    draws = shifted[rng.integers(0, len(shifted), size=(trials, rule.max_processes))]
    points = [n for n in range(2, rule.max_processes + 1) if rule.decides_at(n)]
    codes = np.zeros((trials, population.shape[2]), dtype=int)
    covered = np.zeros(codes.shape, dtype=bool)
    stopped_at = np.zeros(trials, dtype=int)
    for label in dict.fromkeys(labels.tolist()):
        cols = labels == label
        pending = np.ones(trials, dtype=bool)
        for n in points:
            last = n == points[-1]
            blocks = draws[:, :n, :, cols]
            sample = blocks.reshape(trials, n * per, int(cols.sum()))
            units = n * per
            mean, sd = sample.mean(axis=1), sample.std(axis=1, ddof=1)
            confidence = 0.95 if last or interim_confidence is None else interim_confidence
            se = sd / math.sqrt(units)
            if per > 1:  # as `one_time_standard_error`: never below the one over processes
                se = np.maximum(se, blocks.mean(axis=2).std(axis=1, ddof=1) / math.sqrt(n))
            h95 = scipy_stats.t.ppf(1 - (1 - confidence) / 2, units - 1) * se
            h90 = scipy_stats.t.ppf(1 - (1 - confidence), units - 1) * se
            verdicts = _verdict_codes(mean, h95, h90, band)
            now = pending & ((verdicts < len(DECIDED)).all(axis=1) | last)
            final_h95 = scipy_stats.t.ppf(0.975, units - 1) * se
            codes[np.ix_(now, cols)] = verdicts[now]
            covered[np.ix_(now, cols)] = np.abs(mean - truth)[now] <= final_h95[now]
            stopped_at[now] = np.maximum(stopped_at[now], n)
            pending &= ~now
    return {
        "verdicts": {v: (codes == i).mean(axis=0) for i, v in enumerate(VERDICT_ORDER)},
        "coverage": covered.mean(axis=0),
        "mean_processes": float(stopped_at.mean()),
        "trials": trials,
    }


def _verdict_codes(mean: np.ndarray, h95: np.ndarray, h90: np.ndarray, band: float) -> np.ndarray:
    """`bench.analysis.stats.verdict` on arrays of log means and half-widths, as codes into
    `VERDICT_ORDER`."""
    within = (mean - h90 >= -band) & (mean + h90 <= band)
    excludes_zero = np.abs(mean) > h95
    beyond = (mean - h95 > band) | (mean + h95 < -band)
    codes = np.where(excludes_zero, np.where(beyond, 2, 3), 4)
    return np.where(within, np.where(excludes_zero, 1, 0), codes)
