"""When a paired phase has measured enough (docs/methodology.md, "When the paired phases stop")."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.analysis.programs import PROOFS
from bench.analysis.stats import Verdict
from bench.analysis.summary import decided, share_of_aim
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
        return self._ends_block(processes, self.min_processes)

    def checks_at(self, processes: int) -> bool:
        """Whether `processes` end a block: where verdicts that a proof decided may stop, their
        timing a check of one block at least, before `min_processes`."""
        return self._ends_block(processes, self.block)

    def _ends_block(self, processes: int, fewest: int) -> bool:
        return processes >= self.max_processes or (
            processes >= fewest and processes % self.block == 0
        )

    def settles(self, entry: Verdict, processes: int) -> bool:
        """Whether `entry` needs no more processes after `processes`."""
        if self.decides_at(processes):
            return decided(entry)
        return self.checks_at(processes) and entry.verdict in PROOFS


def stop_reason(entries: Sequence[Verdict], processes: int, rule: StoppingRule) -> str | None:
    """Why a phase whose `processes` gave `entries` (its paired entries) stops now, or None."""
    settled = bool(entries) and all(rule.settles(e, processes) for e in entries)
    if processes >= rule.max_processes:
        return DECIDED_ALL if settled else MAXIMUM
    return DECIDED_ALL if settled else None


def stopping_summary(
    entries: Sequence[dict[str, Any]], records: Sequence[Any], config: dict[str, Any]
) -> list[dict[str, Any]]:
    """Per phase, backend and architecture: processes, worker time, widest interval against its
    aim, and why it stopped."""
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
        mine = [e for e in entries if (e.phase, e.backend, e.arch) == (phase, backend, arch)]
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
                "widest_measure": widest and widest.measure,
                "widest_style": widest and widest.style,
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
    """The median cost of a process timing `measures` (None: all), from the processes that timed
    just those, else the fewest others, else all; None without costs."""
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
