"""The paired phases' stopping rule simulated: its error rates and coverage on recorded
processes moved to known truths (docs/methodology.md, "When the paired phases stop").
tests/lab/test_stopping.py holds the rule to its bounds."""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

from bench.analysis.stats import (
    AT_MARGIN,
    BEYOND,
    EQUIVALENT,
    INCONCLUSIVE,
    UNCLEAR,
    variance_components,
)
from bench.analysis.stopping import StoppingRule
from bench.analysis.summary import TIMED_DECIDED as DECIDED
from bench.plan.settings import DEFAULT_ONE_TIME_MARGIN, DEFAULT_TIME_MARGIN
from bench.plan.specs import ONE_TIME_MEASURES
from bench.store.files import write_atomic, write_json
from bench.store.records import read_one_time, read_steady
from bench.store.schema import SCHEMA_VERSION

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


# The recorded populations: 30 steady processes × 100 rounds of the CNN and the MLP on a 2-core
# AMD EPYC, and 21 one-time processes × 6 cycles of each on a 2-core Zen 3.
RUNS = Path(__file__).parent / "runs"
STEADY_RECORDED = RUNS / "zen4-full"
ONE_TIME_RECORDED = RUNS / "full-zen3"
PHASES = (("steady", "cnn"), ("steady", "mlp"), ("one_time", "cnn"), ("one_time", "mlp"))
TRUTHS = (0.0, 0.9, 1.5)  # in margins: no difference, just inside the margin, past it
TRIALS = 8000
INTERIM_CONFIDENCE = 0.99  # the stricter interval tried at the looks before the last


@functools.cache
def population(phase: str, arch: str) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Each recorded process's log ratios to the reference per column: its mean over rounds
    (steady, processes × columns), or each cycle's (one-time, processes × cycles × columns,
    since that interval is over cycles); and the columns, each (measure, style). Read once."""
    steady = phase == "steady"
    records = (
        [r for r in read_steady(STEADY_RECORDED) if r.arch == arch and r.status == "ok"]
        if steady
        else [r for r in read_one_time(ONE_TIME_RECORDED) if r.arch == arch and r.status == "ok"]
    )
    first = records[0]
    measures = first.ordered_seconds() if steady else ONE_TIME_MEASURES
    keys = [(m, s) for m in measures for s in first.styles if s != first.reference]
    values = [
        [
            [
                math.log(c / f)
                for c, f in zip(r.seconds[m][s], r.seconds[m][r.reference], strict=True)
            ]
            for m, s in keys
        ]
        for r in records
    ]
    if steady:
        return np.array([[statistics.fmean(v) for v in row] for row in values]), keys
    return np.array(values).transpose(0, 2, 1), keys


def full_rule(phase: str, arch: str) -> StoppingRule:
    """The full profile's rule for a sweep of the three styles the populations timed."""
    from bench.plan.config import make_config
    from bench.sweep.paired import rule_for
    from mnist_models import REQUIRED_STYLES

    return rule_for(make_config("full", styles=REQUIRED_STYLES), arch, phase)


def simulated(
    phase: str,
    arch: str,
    truth: float,
    rule: StoppingRule | None = None,
    values: np.ndarray | None = None,
    trials: int = TRIALS,
    **options,
) -> dict[str, Any]:
    """`simulate_verdicts` on `phase`'s recorded processes of `arch` (or `values`), every column
    moved to a ratio of 1 + `truth` margins, under the full profile's rule (or `rule`). A steady
    phase's measures stop on their own, a one-time phase's together."""
    steady = phase == "steady"
    found, columns = population(phase, arch)
    margin = DEFAULT_TIME_MARGIN if steady else DEFAULT_ONE_TIME_MARGIN
    measures = [measure for measure, _ in columns]
    return simulate_verdicts(
        found if values is None else values,
        margin,
        1 + truth * margin / 100,
        rule or full_rule(phase, arch),
        trials=trials,
        seed=1,
        groups=measures if steady else None,
        **options,
    )


def wrong(found: dict[str, Any], truth: float) -> np.ndarray:
    """Per column, the share of trials whose verdict is wrong at `truth`: one that claims a
    difference at none, "beyond margin" just inside it, "equivalent" past it."""
    v = found["verdicts"]
    if truth == 0:
        return v[BEYOND] + v[AT_MARGIN] + v[UNCLEAR]
    return v[BEYOND] if truth < 1 else v[EQUIVALENT]


def _percent(share) -> float:
    return round(100 * float(share), 1)


def _row(phase: str, arch: str, trials: int) -> dict[str, Any]:
    """One phase and model: its figures at each truth, its processes furthest from their
    column's mean, and what stricter interim intervals cost."""
    values, keys = population(phase, arch)
    columns = [f"{measure} · {style}" for measure, style in keys]
    row: dict[str, Any] = {"phase": phase, "arch": arch, "processes": len(values)}
    row["columns"] = len(columns)
    at = {truth: simulated(phase, arch, truth, trials=trials) for truth in TRUTHS}
    for truth, found in at.items():
        v, coverage = found["verdicts"], found["coverage"]
        undecided = v[UNCLEAR] + v[INCONCLUSIVE]
        row[f"{truth:g}"] = {
            "wrong_percent": _percent(wrong(found, truth).max()),
            "coverage_percent": [_percent(coverage.min()), _percent(coverage.max())],
            "least_covered": columns[int(coverage.argmin())],
            "mean_processes": round(found["mean_processes"], 1),
            "at_margin_percent": _percent(v[AT_MARGIN].max()),
            "undecided_percent": _percent(undecided.max()),
            "most_undecided": columns[int(undecided.argmax())],
        }
    means = values.mean(axis=1) if values.ndim == 3 else values
    apart = np.expm1(means - means.mean(axis=0)).max(axis=0)
    row["largest_process_percent"] = {c: _percent(a) for c, a in zip(columns, apart, strict=True)}
    stricter = simulated(phase, arch, 0.0, trials=trials, interim_confidence=INTERIM_CONFIDENCE)
    row["interim_extra_processes"] = round(
        stricter["mean_processes"] - at[0.0]["mean_processes"], 1
    )
    return row


def process_spread(arch: str) -> dict[str, dict[str, float]]:
    """The one-time interval's unit, checked per column: the spread of the processes' mean log
    ratios that their cycles predict (pooled SD over √cycles), the spread measured, the ratio of
    their variances F, and its two-sided p where processes add nothing to cycles."""
    values, keys = population("one_time", arch)
    processes, cycles, _ = values.shape
    dfs = (processes - 1, processes * (cycles - 1))
    found = {}
    for i, (measure, style) in enumerate(keys):
        sd = variance_components(values[:, :, i].tolist())  # the report's own two components
        predicted = sd["within_process_sd"] / math.sqrt(cycles)
        f = (sd["between_process_sd"] / predicted) ** 2
        p = 2 * min(scipy_stats.f.sf(f, *dfs), scipy_stats.f.cdf(f, *dfs))
        found[f"{measure} · {style}"] = {
            "predicted_sd": round(predicted, 3),
            "measured_sd": round(sd["between_process_sd"], 3),
            "f": round(f, 2),
            "p": round(float(p), 3),
        }
    return found


def study(trials: int = TRIALS) -> dict[str, Any]:
    """Every figure docs/methodology.md gives of the rule's error rates, in percent."""
    caps = {
        str(most): _percent(
            wrong(
                simulated("one_time", "cnn", 0.0, StoppingRule(3, most, 3), trials=trials), 0
            ).max()
        )
        for most in (15, 30)
    }
    quiet = {}
    for arch in ("cnn", "mlp"):
        values, _ = population("one_time", arch)
        calm = (values - values.mean(axis=(0, 1))) * 0.5
        found = simulated("one_time", arch, 0.0, values=calm, trials=trials)
        quiet[arch] = {
            "mean_processes": round(found["mean_processes"], 1),
            "coverage_min_percent": _percent(found["coverage"].min()),
        }
    loose = simulated("steady", "cnn", 0.0, StoppingRule(2, 30, 1), trials=trials)
    return {
        "trials": trials,
        "seed": 1,
        "populations": {"steady": STEADY_RECORDED.name, "one_time": ONE_TIME_RECORDED.name},
        "interim_confidence": INTERIM_CONFIDENCE,
        "rows": [_row(phase, arch, trials) for phase, arch in PHASES],
        "one_time_cnn_wrong_percent_by_cap": caps,
        "half_the_cycle_spread": quiet,
        "process_spread": {arch: process_spread(arch) for arch in ("cnn", "mlp")},
        "decide_from_the_second_process": {
            "wrong_percent": _percent(wrong(loose, 0).max()),
            "coverage_min_percent": _percent(loose["coverage"].min()),
        },
    }


def study_markdown(found: dict[str, Any], command: str) -> str:
    """README.md of the study: its table, then the figures around it."""
    lines = [
        "# The stopping rule's error rates, simulated",
        "",
        f"Made by `{command}` from the committed processes of "
        f"[{found['populations']['steady']}](../{found['populations']['steady']}/README.md) "
        f"(steady) and [{found['populations']['one_time']}](../"
        f"{found['populations']['one_time']}/README.md) (one-time): {found['trials']:,} trials "
        "each, seed 1, every column moved to the truth (in margins). Wrong verdict: at no "
        'difference one that claims one, at 0.9 "beyond margin", at 1.5 "equivalent"; the '
        "worst column. Read in docs/methodology.md.",
        "",
        "| phase | truth | wrong % | coverage % | least covered | mean processes | at the "
        "margin % | undecided % | most undecided |",
        "|:--|--:|--:|:--|:--|--:|--:|--:|:--|",
    ]
    for row in found["rows"]:
        for truth in TRUTHS:
            r = row[f"{truth:g}"]
            low, high = r["coverage_percent"]
            lines.append(
                f"| {_phase(row)} | {truth:g} | {r['wrong_percent']:.1f} % | "
                f"{low:.1f}–{high:.1f} % | {r['least_covered']} | {r['mean_processes']:.1f} | "
                f"{r['at_margin_percent']:.1f} % | {r['undecided_percent']:.1f} % | "
                f"{r['most_undecided']} |"
            )
    caps = found["one_time_cnn_wrong_percent_by_cap"]
    loose = found["decide_from_the_second_process"]
    lines += [
        "",
        "- One-time CNN at no difference, its cap at 15 and 30 processes: "
        + ", ".join(f"{most} give {share:.1f} %" for most, share in caps.items())
        + ".",
        f"- Stricter intervals ({found['interim_confidence']:g}) at the looks before the last, at "
        "no difference, cost on average "
        + ", ".join(f"{_phase(r)} {r['interim_extra_processes']:.1f}" for r in found["rows"])
        + " more processes.",
        "- Half the one-time cycles' spread: "
        + ", ".join(
            f"{arch} stops after {q['mean_processes']:.1f} processes on average, coverage at "
            f"least {q['coverage_min_percent']:.1f} %"
            for arch, q in found["half_the_cycle_spread"].items()
        )
        + ".",
        f"- A steady rule that may decide from the second process, one at a time: wrong "
        f"{loose['wrong_percent']:.1f} %, coverage at least {loose['coverage_min_percent']:.1f} %.",
        "- The one-time processes' means against what their cycles predict, per column, as "
        "SD of the log ratio predicted → measured (F, p): "
        + "; ".join(
            f"{arch.upper()}: "
            + ", ".join(
                f"{c} {s['predicted_sd']:.3f} → {s['measured_sd']:.3f} (F {s['f']:.2f}, "
                f"p {s['p']:.3f})"
                for c, s in columns.items()
            )
            for arch, columns in found["process_spread"].items()
        )
        + ".",
        "- The process furthest above its column's mean, per column: "
        + "; ".join(
            f"{_phase(row)}: "
            + ", ".join(f"{c} {p:.1f} %" for c, p in row["largest_process_percent"].items())
            for row in found["rows"]
        )
        + ".",
        "",
    ]
    return "\n".join(lines)


def _phase(row: dict[str, Any]) -> str:
    return f"{row['phase'].replace('_', '-')} {row['arch'].upper()}"


def write_study(out: Path, trials: int, command: str) -> dict[str, Any]:
    """Writes stopping.json and README.md into `out`; returns what stopping.json holds."""
    found = study(trials)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "stopping.json", {"schema_version": SCHEMA_VERSION, **found})
    write_atomic(out / "README.md", study_markdown(found, command).encode())
    return found
