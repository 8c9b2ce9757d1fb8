"""Summary statistics and equivalence verdicts, with Student-t confidence intervals."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats as scipy_stats

CONFIDENCE = 0.95
UNSTABLE_CV = 0.10  # pyperf's threshold: a stdev over 10 % of the mean makes a timing unstable

EQUIVALENT = "equivalent"
DIFFERENT = "different"
INCONCLUSIVE = "inconclusive"
TOO_FEW = "inconclusive (n too small)"


@dataclass(frozen=True)
class Stats:
    """n, mean, sample stdev, extremes and the 95 % CI of the mean of some measurements."""

    n: int
    mean: float
    stdev: float | None
    min: float
    max: float
    ci95_low: float | None
    ci95_high: float | None

    @property
    def cv(self) -> float | None:
        """Coefficient of variation: stdev / |mean|."""
        if self.stdev is None or self.mean == 0:
            return None
        return self.stdev / abs(self.mean)

    @property
    def unstable(self) -> bool:
        return self.cv is not None and self.cv > UNSTABLE_CV


def describe(values: Sequence[float]) -> Stats:
    """Describes `values`; the stdev and CI need at least two of them.

    Raises:
        ValueError: `values` is empty.
    """
    if not values:
        raise ValueError("cannot describe an empty list of measurements")
    n = len(values)
    mean = statistics.fmean(values)
    if n < 2:
        return Stats(n, mean, None, min(values), max(values), None, None)
    stdev = statistics.stdev(values)
    low, high = _t_interval(mean, stdev, n)
    return Stats(n, mean, stdev, min(values), max(values), low, high)


def _t_interval(mean: float, stdev: float, n: int) -> tuple[float, float]:
    if stdev == 0:  # scipy returns NaN for a zero scale; a constant sample's interval is a point
        return mean, mean
    sem = stdev / math.sqrt(n)
    low, high = scipy_stats.t.interval(CONFIDENCE, df=n - 1, loc=mean, scale=sem)
    return float(low), float(high)


@dataclass(frozen=True)
class Comparison:
    """A candidate against the reference, over paired runs (same seed).

    `diff` is the mean paired difference in the unit the margin is stated in: accuracy points,
    or percent of the reference for times.
    """

    metric: str
    n: int
    diff: float
    ci95_low: float | None
    ci95_high: float | None
    margin: float
    verdict: str


def compare(
    metric: str,
    candidate: Sequence[float],
    reference: Sequence[float],
    *,
    margin: float,
    relative: bool,
) -> Comparison:
    """Paired comparison with an equivalence test (two one-sided tests, as a CI inside ±margin).

    Args:
        metric: the measurement's name, carried into the result.
        candidate, reference: values paired by position (one pair per seed).
        margin: the equivalence margin, in the unit of `diff`.
        relative: compare as percent of the reference (times) rather than as a difference
            scaled to points (accuracy fractions × 100).

    Returns:
        "equivalent" when the 95 % CI of the difference lies within ±margin; "different" when
        the CI excludes zero and is not within the margin; otherwise "inconclusive", or
        "inconclusive (n too small)" with fewer than two pairs.
    """
    if len(candidate) != len(reference):
        raise ValueError(
            f"paired comparison needs as many candidate as reference values; "
            f"received {len(candidate)} and {len(reference)}"
        )
    if relative:
        diffs = [100 * (c / r - 1) for c, r in zip(candidate, reference, strict=True)]
    else:
        diffs = [100 * (c - r) for c, r in zip(candidate, reference, strict=True)]
    if not diffs:
        raise ValueError(f"no paired values to compare for {metric}")
    summary = describe(diffs)
    low, high = summary.ci95_low, summary.ci95_high
    if low is None or high is None:
        verdict = TOO_FEW
    elif -margin <= low and high <= margin:
        verdict = EQUIVALENT
    elif low > 0 or high < 0:
        verdict = DIFFERENT
    else:
        verdict = INCONCLUSIVE
    return Comparison(metric, summary.n, summary.mean, low, high, margin, verdict)
