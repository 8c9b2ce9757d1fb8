"""Summary statistics and the one set of verdict rules (docs/methodology.md)."""

from __future__ import annotations

import dataclasses
import functools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats as scipy_stats

CONFIDENCE = 0.95
UNSTABLE_CV = 0.10  # pyperf's threshold: a stdev over 10 % of the mean makes a timing unstable
EQUIVALENCE_CONFIDENCE = 0.90  # TOST at α = 0.05 per side

EQUIVALENT = "equivalent"
WITHIN = "within margin"
BEYOND = "beyond margin"
UNCLEAR = "size unclear"
AT_MARGIN = "at the margin"
INCONCLUSIVE = "inconclusive"
TOO_FEW = "inconclusive (n too small)"
NO_SPREAD = "inconclusive (no spread)"
DIFFERENCES = (WITHIN, BEYOND, AT_MARGIN, UNCLEAR)  # the kinds that carry a direction word

TIME_WORDS = ("slower", "faster")  # what a higher and a lower value mean, for a time
POINT_WORDS = ("higher", "lower")  # and for an accuracy


def verdict_kind(verdict: str | None) -> str | None:
    """The kind of a verdict in words ("slower, beyond margin" is `BEYOND`)."""
    return None if verdict is None else verdict.rsplit(", ", 1)[-1]


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
    """Describes `values` (stdev and CI need two); raises ValueError when empty."""
    if not values:
        raise ValueError("cannot describe an empty list of measurements")
    n = len(values)
    mean = statistics.fmean(values)
    if n < 2:
        return Stats(n, mean, None, min(values), max(values), None, None)
    stdev = statistics.stdev(values)
    low, high = _t_interval(mean, stdev, n)
    return Stats(n, mean, stdev, min(values), max(values), low, high)


def _t_interval(
    mean: float, stdev: float, n: int, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    if stdev == 0:  # scipy returns NaN for a zero scale; a constant sample's interval is a point
        return mean, mean
    half = t_quantile(confidence, n - 1) * stdev / math.sqrt(n)
    return mean - half, mean + half


@functools.cache
def t_quantile(confidence: float, df: int) -> float:
    """Student's t at the upper end of a two-sided `confidence` interval (cached for lab's
    simulations)."""
    return float(scipy_stats.t.ppf((1 + confidence) / 2, df))


@dataclass(frozen=True)
class Comparison:
    """A candidate against a reference: ratios with a margin in percent, or points in points."""

    measure: str
    n: int  # the units the interval is over: pairs of runs, processes or rounds
    unit: str
    estimate: float
    ci95_low: float | None
    ci95_high: float | None
    ci90_low: float | None
    ci90_high: float | None
    margin: float
    verdict: str  # in words: "equivalent", "slower, beyond margin"
    # "higher" or "lower" when the 95 % interval excludes no-difference, else None
    direction: str | None

    @property
    def kind(self) -> str:
        """The verdict without its direction word: `EQUIVALENT`, `BEYOND`, …"""
        return verdict_kind(self.verdict)

    def to_dict(self) -> dict:  # without the optional fields a verdict does not know
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None or k in _KEPT}


@dataclass(frozen=True, kw_only=True)
class Verdict(Comparison):
    """A comparison with what it compares: phase, model, style, reference, and its ms."""

    phase: str
    style: str
    backend: str | None = None
    arch: str | None = None
    reference: str | None = None  # the reference style, or for phase "backend" the backend
    depth: int | None = None
    interval_over: str | None = None  # pairs, rounds, processes or cycles
    processes: int | None = None
    rounds: int | None = None
    cycles: int | None = None
    instances: int | None = None
    steps_per_burst: int | None = None
    steps_per_burst_by_process: list[int] | None = None
    within_process_sd: float | None = None
    between_process_sd: float | None = None
    reference_ms: float | None = None  # the reference's median, and the median difference
    difference_ms: float | None = None
    difference_ms_ci95: list[float] | None = None
    base_ms: float | None = None  # an upgrade's sides, for `ab`
    new_ms: float | None = None
    timing_verdict: str | None = None  # the timing's own, where a proof gave `verdict`

    @classmethod
    def of(cls, comparison: Comparison, **about) -> Verdict:
        """`comparison` with what it compares."""
        fields = {f.name: getattr(comparison, f.name) for f in dataclasses.fields(Comparison)}
        return cls(**fields, **about)


_KEPT = {f.name for f in dataclasses.fields(Comparison)}


def verdict(ci95: tuple[float, float] | None, ci90: tuple[float, float] | None, band: float) -> str:
    """The verdict's kind for intervals of a difference whose null is 0 and margin is ±`band`."""
    if ci95 is None or ci90 is None:
        return TOO_FEW
    excludes_zero = ci95[0] > 0 or ci95[1] < 0
    if -band <= ci90[0] and ci90[1] <= band:
        return WITHIN if excludes_zero else EQUIVALENT
    if not excludes_zero:
        return INCONCLUSIVE
    if ci95[0] > band or ci95[1] < -band:
        return BEYOND
    # no wider than the margin, across its edge: more processes would tell its side, slowly
    return AT_MARGIN if ci95[1] - ci95[0] <= band else UNCLEAR


def _compare(
    measure: str,
    diffs: Sequence[float],
    band: float,
    unit: str,
    margin: float,
    to_scale,
    words: tuple[str, str],
) -> Comparison:
    if not diffs:
        raise ValueError(f"no paired values to compare for {measure}")
    n, mean = len(diffs), statistics.fmean(diffs)
    ci95 = ci90 = None
    if n >= 2:
        stdev = statistics.stdev(diffs)
        ci95 = _t_interval(mean, stdev, n, CONFIDENCE)
        ci90 = _t_interval(mean, stdev, n, EQUIVALENCE_CONFIDENCE)
    return _judged(measure, n, unit, mean, ci95, ci90, band, margin, to_scale, words)


def _judged(measure, n, unit, diff, ci95, ci90, band, margin, to_scale, words) -> Comparison:
    """The verdict on a difference and its intervals, all reported on the measure's scale;
    `words` say what a higher and a lower value mean."""
    found = verdict(ci95, ci90, band)
    direction = None
    if found in DIFFERENCES:
        direction = "higher" if diff > 0 else "lower"
        found = f"{words[0] if diff > 0 else words[1]}, {found}"

    def bound(interval, i):
        return None if interval is None else to_scale(interval[i])

    return Comparison(
        measure,
        n,
        unit,
        to_scale(diff),
        bound(ci95, 0),
        bound(ci95, 1),
        bound(ci90, 0),
        bound(ci90, 1),
        margin,
        found,
        direction,
    )


def _welch(
    measure: str,
    candidate: Sequence[float],
    reference: Sequence[float],
    band: float,
    unit: str,
    margin: float,
    to_scale,
    words: tuple[str, str],
) -> Comparison:
    """Unpaired (Welch) comparison of two independent samples on the scale they are given in."""
    if not candidate or not reference:
        raise ValueError(f"no values to compare for {measure}")
    n1, n2 = len(candidate), len(reference)
    diff = statistics.fmean(candidate) - statistics.fmean(reference)
    ci95 = ci90 = None
    if n1 >= 2 and n2 >= 2:
        v1, v2 = statistics.variance(candidate) / n1, statistics.variance(reference) / n2
        se = math.sqrt(v1 + v2)
        if se == 0 and unit == "ratio":  # times that do not vary: an estimate, and no claim
            no_spread = (None, None, None, None, margin, NO_SPREAD, None)
            return Comparison(measure, min(n1, n2), "ratio", to_scale(diff), *no_spread)
        if se == 0:  # accuracy without spread on either side: the difference is exact
            ci95 = ci90 = (diff, diff)
        else:
            df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
            ci95, ci90 = (
                tuple(float(b) for b in scipy_stats.t.interval(c, df=df, loc=diff, scale=se))
                for c in (CONFIDENCE, EQUIVALENCE_CONFIDENCE)
            )
    return _judged(measure, min(n1, n2), unit, diff, ci95, ci90, band, margin, to_scale, words)


def compare_unpaired_points(
    measure: str,
    candidate: Sequence[float],
    reference: Sequence[float],
    margin_points: float,
    words: tuple[str, str] = POINT_WORDS,
) -> Comparison:
    """Candidate − reference for fractions (accuracy), in points, for independent runs (Welch)."""
    scaled = [[100 * v for v in values] for values in (candidate, reference)]
    return _welch(
        measure, scaled[0], scaled[1], margin_points, "points", margin_points, lambda v: v, words
    )


def compare_unpaired_log_ratios(
    measure: str,
    candidate: Sequence[float],
    reference: Sequence[float],
    margin_percent: float,
    words: tuple[str, str] = TIME_WORDS,
) -> Comparison:
    """Two independent sets of natural logs (one per sweep: its runs, or its ratios) as the
    ratio of their geometric means, with a Welch interval."""
    band = math.log1p(margin_percent / 100)
    return _welch(measure, candidate, reference, band, "ratio", margin_percent, math.exp, words)


def compare_log_ratios(
    measure: str,
    log_ratios: Sequence[float],
    margin_percent: float,
    words: tuple[str, str] = TIME_WORDS,
) -> Comparison:
    """Judges ratios given as natural logs, one per pair, against a ±`margin_percent` band."""
    band = math.log1p(margin_percent / 100)
    return _compare(measure, log_ratios, band, "ratio", margin_percent, math.exp, words)


def compare_log_mean(
    measure: str,
    mean: float,
    standard_error: float,
    df: int,
    n: int,
    margin_percent: float,
    words: tuple[str, str] = TIME_WORDS,
) -> Comparison:
    """Judges a mean log ratio whose standard error and degrees of freedom are given (an
    interval over a unit other than the values' own), against a ±`margin_percent` band."""
    band = math.log1p(margin_percent / 100)
    ci95, ci90 = (
        (mean - h, mean + h)
        for h in (
            scipy_stats.t.ppf(1 - (1 - c) / 2, df) * standard_error
            for c in (CONFIDENCE, EQUIVALENCE_CONFIDENCE)
        )
    )
    return _judged(measure, n, "ratio", mean, ci95, ci90, band, margin_percent, math.exp, words)


def compare_ratios(
    measure: str,
    candidate: Sequence[float],
    reference: Sequence[float],
    margin_percent: float,
    words: tuple[str, str] = TIME_WORDS,
) -> Comparison:
    """Candidate / reference, paired by position, as a geometric mean ratio with a verdict."""
    _same_length(candidate, reference)
    logs = [math.log(c / r) for c, r in zip(candidate, reference, strict=True)]
    return compare_log_ratios(measure, logs, margin_percent, words)


def compare_points(
    measure: str,
    candidate: Sequence[float],
    reference: Sequence[float],
    margin_points: float,
    words: tuple[str, str] = POINT_WORDS,
) -> Comparison:
    """Candidate − reference for fractions (accuracy), in points (×100), paired by position."""
    _same_length(candidate, reference)
    diffs = [100 * (c - r) for c, r in zip(candidate, reference, strict=True)]
    return _compare(measure, diffs, margin_points, "points", margin_points, lambda v: v, words)


def _same_length(candidate: Sequence[float], reference: Sequence[float]) -> None:
    if len(candidate) != len(reference):
        raise ValueError(
            f"paired comparison needs as many candidate as reference values; "
            f"received {len(candidate)} and {len(reference)}"
        )


def process_log_ratios(
    processes: Sequence[dict[str, dict[str, list[float]]]], reference: str
) -> dict[tuple[str, str], list[list[float]]]:
    """Each (measure, style)'s round-by-round log ratios to the reference, one list per process,
    in input order; `processes` as for `paired_comparisons`."""
    return {
        (measure, style): [
            [math.log(c / r) for c, r in zip(p[measure][style], p[measure][reference], strict=True)]
            for p in processes
        ]
        for measure, by_style in processes[0].items()
        for style in by_style
        if style != reference
    }


def variance_components(per_process: list[list[float]]) -> dict[str, float | None]:
    """Standard deviations of log ratios within a process and between processes' means."""
    within = [statistics.variance(logs) for logs in per_process if len(logs) > 1]
    means = [statistics.fmean(logs) for logs in per_process if logs]
    return {
        "within_process_sd": math.sqrt(statistics.fmean(within)) if within else None,
        "between_process_sd": statistics.stdev(means) if len(means) > 1 else None,
    }


def paired_comparisons(
    processes: Sequence[dict[str, dict[str, list[float]]]], reference: str, margin_percent: float
) -> list[tuple[str, str, Comparison]]:
    """(measure, style, comparison) per style from `seconds[measure][style]` per process: the
    interval over processes' mean log ratios, or over rounds where there is one process."""
    found = []
    for (measure, style), per_process in process_log_ratios(processes, reference).items():
        if len(per_process) >= 2:
            units = [statistics.fmean(logs) for logs in per_process]
        else:
            units = per_process[0]
        found.append((measure, style, compare_log_ratios(measure, units, margin_percent)))
    return found
