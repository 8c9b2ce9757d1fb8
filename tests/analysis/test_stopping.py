"""The adaptive stopping rule of the paired phases, and its coverage on recorded processes."""

import math
import statistics
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bench.analysis.stopping import (
    AIMS_MET,
    BUDGET,
    MAXIMUM,
    PRECISION,
    StoppingRule,
    median_cost,
    processes_for_aim,
    simulate_coverage,
    stop_reason,
    stopping_summary,
    within_aim,
)
from bench.plan.config import make_config
from bench.plan.specs import MEASURES, ONE_TIME_MEASURES
from bench.store.records import OneTimeRecord, read_one_time, read_paired
from bench.sweep.paired import rule_for
from tests.factories import paired_record

# 30 processes × 100 rounds of the CNN and the MLP on a 2-core Zen 4 (TensorFlow 2.21), kept as
# the population the stopping rule's coverage is checked on.
RECORDED = Path(__file__).parents[2] / "results" / "zen4-full"
# The full profile's one-time phases on a 2-core Zen 3 (21 processes × 6 cycles of the CNN and
# the MLP), the one-time rule's population.
ONE_TIME_RECORDED = Path(__file__).parents[2] / "results"


def entry(measure="train_step", half_width=1.0, estimate=1.0, **changes):
    h = math.asinh(half_width / 100)
    return {"measure": measure, "arch": "cnn", "style": "functional", "backend": "tensorflow",
            "estimate": estimate, "ci95_low": estimate * math.exp(-h),
            "ci95_high": estimate * math.exp(h), **changes}  # fmt: skip


def test_the_rule_decides_only_after_whole_blocks_from_its_minimum():
    rule = StoppingRule(min_processes=6, max_processes=20, block=3)
    assert [n for n in range(1, 21) if rule.decides_at(n)] == [6, 9, 12, 15, 18, 20]


def test_a_phase_stops_when_every_interval_meets_its_aim_and_not_before():
    rule = StoppingRule(3, 30, 3)
    met = [entry("train_step", 1.4), entry("latency", 2.9)]
    wide = [entry("train_step", 1.4), entry("latency", 3.2)]
    assert stop_reason(met, 3, rule) == AIMS_MET
    assert stop_reason(met, 4, rule) is None  # inside a block
    assert stop_reason(wide, 3, rule) is None
    assert stop_reason(wide, 30, rule) == MAXIMUM
    assert stop_reason([entry(half_width=1.0, ci95_low=None)], 3, rule) is None
    assert within_aim(entry("compile", 9.9)) and not within_aim(entry("build", 5.1))


def test_the_full_profile_needs_nine_processes_in_blocks_of_its_styles():
    full = make_config("full")
    assert rule_for(full, "cnn") == StoppingRule(9, 30, 3)
    without_sequential = replace(full, unsupported=(("resnet", "sequential"),))
    assert rule_for(without_sequential, "resnet").block == 2
    assert rule_for(full, "cnn", "one_time") == StoppingRule(9, 30, 3)


def test_the_quick_profile_gives_the_one_time_phase_one_block_and_the_rest_to_steady():
    quick = make_config("quick")
    assert rule_for(quick, "cnn", "one_time") == StoppingRule(3, 3, 3)
    assert rule_for(quick, "cnn") == StoppingRule(9, 30, 3)
    assert len(quick.one_time_specs()) == 3 and len(quick.paired_specs()) == 30


def _population(records, measures) -> tuple[np.ndarray, list[float], list[str]]:
    """Each recorded process's mean log ratio per (measure, style), each column's aim, and
    its measure."""
    first = records[0]
    keys = [(m, s) for m in measures for s in first.styles if s != first.reference]
    rows = [
        [statistics.fmean(math.log(c / f) for c, f in zip(r.seconds[m][s],
                                                          r.seconds[m][r.reference], strict=True))
         for m, s in keys]
        for r in records
    ]  # fmt: skip
    return np.array(rows), [PRECISION[m] for m, _ in keys], [m for m, _ in keys]


def _steady_population(arch: str) -> tuple[np.ndarray, list[float], list[str]]:
    records = [r for r in read_paired(RECORDED) if r.arch == arch and r.status == "ok"]
    assert len(records) == 30
    return _population(records, records[0].ordered_seconds())


@pytest.mark.parametrize("profile", ["full", "quick"])
@pytest.mark.parametrize("arch", ["cnn", "mlp"])
def test_the_profiles_adaptive_intervals_cover_the_truth_at_least_93_percent(arch, profile):
    population, aims, measures = _steady_population(arch)
    rule = rule_for(make_config(profile), arch)
    # each measure stops on its own, as the steady phase's do
    found = simulate_coverage(population, aims, rule, trials=20_000, seed=1, groups=measures)
    assert found["coverage"].min() >= 0.93, found["coverage"]
    # the rule did stop adaptively, not always at once
    assert found["mean_processes"] > rule.min_processes


def _one_time_population(arch: str) -> tuple[np.ndarray, list[float], list[str]]:
    records = [r for r in read_one_time(ONE_TIME_RECORDED) if r.arch == arch and r.status == "ok"]
    assert len(records) >= 18
    return _population(records, ONE_TIME_MEASURES)


@pytest.mark.parametrize("arch", ["cnn", "mlp"])
def test_the_one_time_rule_covers_the_truth_at_least_93_percent(arch):
    population, aims, _ = _one_time_population(arch)
    rule = rule_for(make_config("full"), arch, "one_time")
    # the one-time measures stop together (docs/methodology.md, "When the paired phases stop")
    found = simulate_coverage(population, aims, rule, trials=20_000, seed=1)
    assert found["coverage"].min() >= 0.93, found["coverage"]
    assert found["mean_processes"] > rule.min_processes


def test_measures_that_stop_on_their_own_stop_no_later_than_together():
    population, aims, measures = _steady_population("mlp")
    rule = StoppingRule(9, 30, 3)
    alone = [simulate_coverage(population[:, [i for i, m in enumerate(measures) if m == measure]],
                               [PRECISION[measure]] * 2, rule, trials=5000, seed=2)
             for measure in dict.fromkeys(measures)]  # fmt: skip
    together = simulate_coverage(population, aims, rule, trials=5000, seed=2)
    apart = simulate_coverage(population, aims, rule, trials=5000, seed=2, groups=measures)
    # each measure stops where it would alone, and the phase with its last measure: no later
    # than all at once (which waits for every aim to be met at the same block)
    assert apart["mean_processes"] <= together["mean_processes"]
    assert min(a["mean_processes"] for a in alone) + 5 < together["mean_processes"]
    assert np.allclose(apart["coverage"], np.concatenate([a["coverage"] for a in alone]))


def test_the_coverage_check_fails_a_rule_that_may_stop_after_two_processes():
    population, aims, measures = _steady_population("cnn")
    found = simulate_coverage(population, aims, StoppingRule(2, 30, 1), trials=20_000, seed=1,
                              groups=measures)  # fmt: skip
    assert found["coverage"].min() < 0.93


def test_fixed_processes_of_normal_values_cover_95_percent():
    population = np.random.default_rng(3).normal(0, 0.02, size=(5000, 2))
    found = simulate_coverage(population, [100, 100], StoppingRule(5, 5), trials=20_000)
    assert found["coverage"] == pytest.approx([0.95, 0.95], abs=0.006)
    assert found["processes"] == {5: 1.0}


def test_the_stopping_summary_says_why_each_phase_stopped():
    spec_records = [paired_record(wall_seconds=20.0) for _ in range(3)]
    entries = [entry("train_step", 1.0), entry("latency", 2.0)]
    config = {"paired_processes": 6, "budget": 180.0}
    (found,) = stopping_summary(entries, spec_records, config)
    assert (found["processes"], found["worker_seconds"], found["stopped"]) == (3, 60.0, AIMS_MET)
    assert (found["widest_measure"], found["widest_share_of_aim"]) == (
        "latency",
        pytest.approx(2 / 3),
    )
    wide = [entry("train_step", 2.0)]
    assert stopping_summary(wide, spec_records, config)[0]["stopped"] == BUDGET
    assert stopping_summary(wide, spec_records, {"paired_processes": 3})[0]["stopped"] == MAXIMUM


def test_the_stopping_summary_gives_the_start_up_only_where_every_process_measured_it():
    measured = [paired_record(wall_seconds=20.0, startup_seconds=5.0) for _ in range(3)]
    (found,) = stopping_summary([entry()], measured, {"paired_processes": 3})
    assert (found["worker_seconds"], found["startup_seconds"]) == (75.0, 15.0)
    older = [*measured, paired_record(process=3, wall_seconds=20.0)]  # before schema 7
    assert stopping_summary([entry()], older, {"paired_processes": 3})[0]["startup_seconds"] is None


def test_the_processes_that_would_meet_an_aim_follow_the_t_interval():
    # ±1.5 % at a spread of 0.02 between processes' means: t(n-1) 0.02 / sqrt(n) <= 0.015 from
    # n = 10 (t = 2.262: 1.43 %), not at 9 (t = 2.306: 1.54 %)
    assert processes_for_aim({"measure": "train_step", "between_process_sd": 0.02}) == 10
    assert processes_for_aim({"measure": "latency", "between_process_sd": 0.02}) == 5
    assert processes_for_aim({"measure": "train_step", "between_process_sd": None}) is None
    assert processes_for_aim({"measure": "train_step", "between_process_sd": 5.0}) is None


def test_the_stopping_summary_projects_what_would_meet_every_aim():
    records = [paired_record(wall_seconds=w) for w in (20.0, 22.0, 30.0)]
    wide = [entry("train_step", 4.0, between_process_sd=0.02),
            entry("latency", 2.0, between_process_sd=0.01)]  # fmt: skip
    (found,) = stopping_summary(wide, records, {"paired_processes": 3})
    # 10 processes for the training step, rounded up to whole blocks of the 3 styles
    assert found["processes_for_aims"] == 12
    # the 72 s the three took, and 9 more at their median cost
    assert found["worker_seconds_for_aims"] == pytest.approx(72.0 + 9 * 22.0)
    met = [entry("train_step", 1.0, between_process_sd=0.001)]
    assert stopping_summary(met, records, {"paired_processes": 3})[0]["processes_for_aims"] == 3


def test_the_projection_prices_later_processes_at_what_they_would_time():
    timed_all = {m: {} for m in MEASURES}
    records = [paired_record(wall_seconds=40.0, seconds=timed_all) for _ in range(3)]
    records += [paired_record(wall_seconds=10.0, seconds={"latency": {}}) for _ in range(3)]
    # latency at a spread of 0.05 needs 14 processes (15 in blocks of 3); the rest are met
    entries = [entry("train_step", 1.0, between_process_sd=0.001),
               entry("latency", 4.0, between_process_sd=0.05)]  # fmt: skip
    (found,) = stopping_summary(entries, records, {"paired_processes": 30})
    assert found["processes_for_aims"] == 15
    assert found["worker_seconds_for_aims"] == pytest.approx(150.0 + 9 * 10.0)


def test_a_process_is_priced_at_the_processes_that_timed_what_it_will():
    costs = [(MEASURES, 40.0), (("predict", "latency"), 20.0), (("latency",), 10.0),
             (("latency",), 12.0)]  # fmt: skip
    assert median_cost(costs, ("latency",)) == 11.0
    assert median_cost(costs, ("predict",)) == 20.0  # none timed it alone: the fewest besides
    assert median_cost(costs, ("train_step", "predict")) == 40.0
    assert median_cost(costs, None) == 16.0  # a one-time process: all of them
    assert median_cost([(None, 30.0), (None, 34.0)], None) == 32.0
    assert median_cost([], ("latency",)) is None


def test_the_stopping_summary_counts_a_one_time_phase_against_its_own_most():
    one_time = OneTimeRecord(arch="cnn", styles=["sequential", "functional"],
                             reference="sequential", seed=1, settings_key="k", cycles=3,
                             order_seed=0, process=0, backend="tensorflow", seconds={},
                             build_orders=[], wall_seconds=20.0)  # fmt: skip
    config = {"paired_processes": 30, "one_time_processes": 3}
    (found,) = stopping_summary([entry("build", 9.0, phase="one_time")], [one_time], config)
    assert (found["phase"], found["most_processes"]) == ("one_time", 3)
