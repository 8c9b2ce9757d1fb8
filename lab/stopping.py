"""The paired phases' stopping rule simulated: its error rates and coverage on recorded
processes moved to known truths (docs/methodology.md, "When the paired phases stop").
tests/lab/test_stopping.py holds the rule to its bounds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

from bench.analysis.stats import INCONCLUSIVE, UNCLEAR
from bench.analysis.stopping import StoppingRule
from bench.analysis.summary import TIMED_DECIDED as DECIDED

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
    at_margin = 2 * h95 <= band
    codes = np.where(excludes_zero, np.where(beyond, 2, np.where(at_margin, 3, 4)), 5)
    return np.where(within, np.where(excludes_zero, 1, 0), codes)
