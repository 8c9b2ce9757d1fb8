"""How often `python -m bench ab` raises a false alarm, and how often it finds a planted slowdown,
from the pairs of processes that real runs recorded.

Each run's pairs are moved to no difference (NEW's values of each measure and style divided by
that run's geometric mean ratio), so that they keep their own spread and lose the upgrade's
effect. A try draws as many pairs as the shortest run reached, with replacement, from all the
runs' moved pairs, and stops as `ab` stops: once every verdict is decided, at an even number of
pairs from `--min-processes` on, else at its last pair. A planted slowdown multiplies NEW's
values of its measures before the try is judged.

    python -m lab ab-rates lab/runs/ab-aa lab/runs/ab-planted
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.analysis.ab import pair_entries, pairs_of, regressions
from bench.analysis.stats import BEYOND, Verdict, verdict_kind
from bench.analysis.summary import decided
from bench.store.ab import RECORDS, read_records
from bench.store.files import read_json, write_atomic

Values = dict[tuple[str, str], float]
# the goals: 5 % on the training step, 10 % on build and load, within 10 minutes
PLANTED = {"train_step": 1.05, "build": 1.10, "load": 1.10}


def common_keys(
    pairs: Sequence[tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]],
) -> list[tuple[str, str]]:
    """The (measure, style)s that both sides timed in every pair, in the first pair's order."""
    return [k for k in pairs[0][0] if all(k in base and k in new for base, new in pairs)]


def all_decided(entries: Sequence[Verdict]) -> bool:
    """Whether every NEW-over-BASE verdict is decided (`ab`'s stopping rule, before it
    stopped timing decided measures)."""
    return bool(entries) and all(map(decided, entries))


def moved_pairs(directory: Path) -> list[tuple[Values, Values]]:
    """A run's pairs with NEW's values moved so that every geometric mean ratio is 1."""
    records, _ = read_records(directory / RECORDS)
    pairs = pairs_of(records)
    keys = common_keys(pairs)
    shift = {
        k: math.exp(sum(math.log(new[k] / base[k]) for base, new in pairs) / len(pairs))
        for k in keys
    }
    return [(base, {k: new[k] / shift[k] for k in keys}) for base, new in pairs]


def spread(directory: Path, measure: str = "train_step") -> dict[str, float]:
    """Where a run's spread in `measure` lies, as log standard deviations pooled over styles:
    between one side's processes (their medians), between a pair's two processes (the log
    ratio's spread over pairs, over the square root of 2: what is left of a process's own
    spread once its neighbour is divided out), and, for a steady measure, between the rounds
    of one process over the square root of their number (what a process's median would vary
    by if its rounds alone varied)."""
    records, _ = read_records(directory / RECORDS)
    pairs = pairs_of(records)
    styles = sorted({style for m, style in pairs[0][0] if m == measure})
    sides = [
        statistics.stdev(math.log(values[measure, style]) for values in side_values)
        for style in styles
        for side_values in ([b for b, _ in pairs], [n for _, n in pairs])
    ]
    paired = [
        statistics.stdev(math.log(n[measure, style] / b[measure, style]) for b, n in pairs)
        / math.sqrt(2)
        for style in styles
    ]
    found = {"process_sd": _pooled(sides), "paired_sd": _pooled(paired), "pairs": len(pairs)}
    rounds = [
        statistics.stdev(map(math.log, r.steady[measure][style]))
        / math.sqrt(len(r.steady[measure][style]))
        for _, _, r in records
        if r.status == "ok" and measure in r.steady
        for style in styles
    ]
    if rounds:
        found["rounds_sd"] = _pooled(rounds)
    return found


def _pooled(sds: Sequence[float]) -> float:
    return math.sqrt(statistics.fmean(sd * sd for sd in sds))


def one_try(
    pool: Sequence[tuple[Values, Values]],
    planted: dict[str, float],
    pairs: int,
    min_pairs: int,
    margins: tuple[float, float],
    rng: np.random.Generator,
) -> tuple[list[dict[str, Any]], int]:
    """One resampled run: its entries when it stopped, and its number of pairs."""
    drawn = []
    for i in rng.integers(len(pool), size=pairs):
        base, new = pool[i]
        drawn.append((base, {k: v * planted.get(k[0], 1.0) for k, v in new.items()}))
    for n in range(min_pairs + min_pairs % 2, pairs, 2):
        entries = pair_entries(drawn[:n], *margins)
        if all_decided(entries):
            return entries, n
    return pair_entries(drawn, *margins), pairs


def rates(
    pool: Sequence[tuple[Values, Values]],
    planted: dict[str, float],
    *,
    pairs: int,
    tries: int,
    min_pairs: int = 4,
    margins: tuple[float, float] = (3.0, 10.0),
    seed: int = 0,
) -> dict[str, Any]:
    """Over `tries` resampled runs: how often any verdict is "beyond margin" and how often the
    gate fails (as it judges, and judging each ratio alone), among the measures not planted;
    for each planted measure, how often every style's interval lies above 1 ("slower"); and
    how often the gate fails on a planted measure."""
    rng = np.random.default_rng(seed)
    beyond = gate = alone = caught = 0
    found = dict.fromkeys(planted, 0)
    stopped = []
    for _ in range(tries):
        entries, n = one_try(pool, planted, pairs, min_pairs, margins, rng)
        stopped.append(n)
        quiet = [e for e in entries if e.measure not in planted]
        beyond += any(verdict_kind(e.verdict) == BEYOND for e in quiet)
        gate += bool(regressions(quiet, family=len(entries)))
        alone += bool(regressions(quiet, family=1))
        caught += any(e.measure in planted for e in regressions(entries))
        for measure in planted:
            found[measure] += all(e.direction == "higher" for e in entries if e.measure == measure)
    return {
        "tries": tries,
        "pairs": pairs,
        "mean_pairs": float(np.mean(stopped)),
        "no_beyond_margin": 1 - beyond / tries,
        "gate_passes": 1 - gate / tries,
        "gate_passes_judging_each_alone": 1 - alone / tries,
        "gate_fails_on_planted": caught / tries,
        "found_slower": {m: found[m] / tries for m in planted},
    }


def study(directories: Sequence[Path], tries: int, seed: int = 0) -> dict[str, Any]:
    """The A/A and the planted rates over the runs in `directories` pooled, then over each run
    alone (its own number of pairs), with `ab`'s own margins of the first run."""
    first = read_json(directories[0] / "ab.json")
    margins = (first["time_margin_percent"], first["one_time_margin_percent"])

    def both(pool: list[tuple[Values, Values]], pairs: int) -> dict[str, Any]:
        options = dict(pairs=pairs, tries=tries, seed=seed, margins=margins)
        return {"a_a": rates(pool, {}, **options), "planted": rates(pool, PLANTED, **options)}

    moved = {str(d): moved_pairs(d) for d in directories}
    pooled = [pair for pairs in moved.values() for pair in pairs]
    return {
        "runs": list(moved),
        "pool_pairs": len(pooled),
        **both(pooled, min(read_json(d / "ab.json")["pairs"] for d in directories)),
        "each": {run: both(pairs, len(pairs)) for run, pairs in moved.items()},
    }


def study_lines(found: dict[str, Any]) -> list[str]:
    """The study in words, as docs/compare.md quotes it: the pooled runs, then each alone."""
    lines = [
        f"{found['pool_pairs']} recorded pairs from {len(found['runs'])} runs, "
        f"{found['a_a']['tries']} tries of up to {found['a_a']['pairs']} pairs each:",
        *_rate_lines(found),
    ]
    for run, alone in found["each"].items():
        lines += [f"{run} alone, tries of its {alone['a_a']['pairs']} pairs:", *_rate_lines(alone)]
    return lines


def _rate_lines(found: dict[str, Any]) -> list[str]:
    aa, planted = found["a_a"], found["planted"]
    slower = ", ".join(
        f"{measure} ×{PLANTED[measure]:g} in {100 * rate:.1f} %"
        for measure, rate in planted["found_slower"].items()
    )
    return [
        f"  A/A: no verdict beyond margin in {100 * aa['no_beyond_margin']:.1f} % of tries; the "
        f"gate passed in {100 * aa['gate_passes']:.1f} % (judging each ratio alone, "
        f"{100 * aa['gate_passes_judging_each_alone']:.1f} %)",
        f"  planted: found slower in every style: {slower}; the gate failed on a planted "
        f"slowdown in {100 * planted['gate_fails_on_planted']:.1f} % of tries",
    ]


SPREAD_MEASURES = ("train_step", "latency", "build", "load")


def spread_line(directory: Path, measure: str) -> str:
    """A run's spread in one measure, in words (`spread`)."""
    found = spread(directory, measure)
    rounds = f", from its rounds alone {found['rounds_sd']:.3f}" if "rounds_sd" in found else ""
    return (
        f"{directory}, {measure}: log SD of a process {found['process_sd']:.3f}, left after "
        f"pairing {found['paired_sd']:.3f}{rounds} ({found['pairs']} pairs)"
    )


def parser() -> argparse.ArgumentParser:
    """The study's options."""
    found = argparse.ArgumentParser(prog="python -m lab ab-rates", description=__doc__)
    found.add_argument("runs", nargs="+", type=Path, help="directories of `python -m bench ab`")
    found.add_argument("--tries", type=int, default=1000)
    found.add_argument("--out", type=Path, help="also write the lines to DIR/README.md")
    return found


def main(args: argparse.Namespace) -> None:
    """Writes the study's lines from `args` (`parser`'s)."""
    lines = study_lines(study(args.runs, args.tries))
    lines += [spread_line(d, m) for d in args.runs for m in SPREAD_MEASURES]
    print("\n".join(lines))
    if args.out:
        command = " ".join(
            [
                "python -m lab ab-rates",
                *map(str, args.runs),
                "--tries",
                str(args.tries),
                "--out",
                str(args.out),
            ]
        )
        text = "\n".join(
            [
                "# False alarms and sensitivity of `python -m bench ab`, from recorded pairs",
                "",
                "Written by the command below from the runs' `ab.jsonl` (lab/ab_rates.py "
                "says how); docs/compare.md reads it.",
                "",
                *(f"  - {line.strip()}" if line.startswith(" ") else f"- {line}" for line in lines),
                "",
                "```",
                command,
                "```",
                "",
            ]
        )
        args.out.mkdir(parents=True, exist_ok=True)
        write_atomic(args.out / "README.md", text.encode())


if __name__ == "__main__":
    main()
