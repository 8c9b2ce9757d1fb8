"""The stopping rule of the paired phases, and its error rates and coverage on recorded
processes moved to known truths."""

from dataclasses import replace
from pathlib import Path

import pytest

from bench.analysis.programs import SAME_PROGRAM
from bench.analysis.stopping import (
    BUDGET,
    DECIDED_ALL,
    MAXIMUM,
    StoppingRule,
    median_cost,
    stop_reason,
    stopping_summary,
)
from bench.analysis.summary import decided, undecided_reason
from bench.plan.config import make_config
from bench.plan.specs import STEADY_MEASURES
from bench.store.records import OneTimeRecord
from bench.sweep.paired import rule_for
from tests import factories
from tests.factories import steady_record

# 30 processes × 100 rounds of the CNN and the MLP on a 2-core Zen 4 (TensorFlow 2.21), kept as
# the population the stopping rule's coverage is checked on.
RECORDED = Path(__file__).parents[2] / "lab" / "runs" / "zen4-full"
# The full profile's one-time phases on a 2-core Zen 3 (21 processes × 6 cycles of the CNN and
# the MLP), the one-time rule's population.
ONE_TIME_RECORDED = Path(__file__).parents[2] / "lab" / "runs" / "full-zen3"


def entry(measure="train_step", half_width=1.0, estimate=1.0, verdict="equivalent", **changes):
    return factories.verdict(
        half_width, measure=measure, estimate=estimate, verdict=verdict, **changes
    )


def test_the_rule_decides_only_after_whole_blocks_from_its_minimum():
    rule = StoppingRule(min_processes=6, max_processes=20, block=3)
    assert [n for n in range(1, 21) if rule.decides_at(n)] == [6, 9, 12, 15, 18, 20]


def test_a_phase_stops_when_every_verdict_is_decided_and_not_before():
    rule = StoppingRule(3, 30, 3)
    settled = [
        entry(verdict="equivalent"),
        entry("latency", 9.0, verdict="slower, beyond margin"),
        entry("predict", verdict="faster, within margin"),
    ]
    open_ = [*settled, entry("latency", 2.0, verdict="slower, size unclear")]
    assert stop_reason(settled, 3, rule) == DECIDED_ALL
    assert stop_reason(settled, 4, rule) is None  # inside a block
    assert stop_reason(open_, 3, rule) is None
    assert stop_reason(open_, 30, rule) == MAXIMUM
    assert stop_reason([entry(verdict="inconclusive")], 6, rule) is None
    assert [decided(e) for e in open_] == [True, True, True, False]


def test_a_proven_verdict_stops_after_one_block_of_timing_and_a_timed_one_waits():
    rule = StoppingRule(min_processes=9, max_processes=30, block=3)
    proven = [entry(verdict=SAME_PROGRAM), entry("predict", verdict=SAME_PROGRAM)]
    timed = [*proven, entry("latency", verdict="equivalent")]
    assert [n for n in range(1, 10) if stop_reason(proven, n, rule)] == [3, 6, 9]
    assert [n for n in range(1, 10) if stop_reason(timed, n, rule)] == [9]
    assert rule.settles(proven[0], 3) and not rule.settles(timed[-1], 3)


def test_an_undecided_verdict_says_why_in_numbers():
    unclear = entry(estimate=1.04, half_width=2.0, verdict="slower, size unclear")
    assert undecided_reason(unclear) == "[1.019, 1.061] excludes 1 but straddles the ±3 % margin"
    wide = entry(half_width=5.0, verdict="inconclusive")
    assert undecided_reason(wide) == "[0.951, 1.051] holds 1 and reaches past the ±3 % margin"
    assert undecided_reason(entry(ci95_low=None)) == "too few processes for an interval"


def test_the_full_profile_needs_nine_steady_processes_and_one_one_time_block():
    full = make_config("full")
    # a block is a Latin square of the model's forms: six for the CNN
    assert rule_for(full, "cnn") == StoppingRule(9, 30, 6)
    assert rule_for(full, "cnn", "one_time") == StoppingRule(6, 21, 6)
    resnet = ("sequential", "sequential_add", "sequential_deferred")
    without_sequential = replace(full, unsupported=tuple(("resnet", s) for s in resnet))
    assert rule_for(without_sequential, "resnet").block == 3
    three = make_config("full", styles=("sequential", "functional", "subclassed"))
    assert rule_for(three, "cnn") == StoppingRule(9, 30, 3)


def test_the_quick_profile_gives_the_one_time_phase_three_blocks_at_most():
    quick = make_config("quick")
    assert rule_for(quick, "cnn", "one_time") == StoppingRule(3, 9, 3)
    assert rule_for(quick, "cnn") == StoppingRule(9, 30, 3)
    assert len(quick.one_time_specs()) == 9 and len(quick.steady_specs()) == 30


def test_the_stopping_summary_says_why_each_phase_stopped():
    spec_records = [steady_record(wall_seconds=20.0) for _ in range(3)]
    entries = [entry("train_step", 1.0), entry("latency", 2.0)]
    config = {"max_processes": 6, "budget": 180.0}
    (found,) = stopping_summary(entries, spec_records, config)
    assert (found["processes"], found["worker_seconds"], found["stopped"]) == (3, 60.0, DECIDED_ALL)
    assert (found["verdicts"], found["undecided"]) == (2, 0)
    assert (found["widest_measure"], found["widest_share_of_aim"]) == (
        "latency",
        pytest.approx(2 / 3),
    )
    wide = [entry("train_step", 2.0, verdict="inconclusive")]
    assert stopping_summary(wide, spec_records, config)[0]["stopped"] == BUDGET
    assert stopping_summary(wide, spec_records, config)[0]["undecided"] == 1
    assert stopping_summary(wide, spec_records, {"max_processes": 3})[0]["stopped"] == MAXIMUM


def test_the_stopping_summary_gives_the_start_up_only_where_every_process_measured_it():
    measured = [steady_record(wall_seconds=20.0, startup_seconds=5.0) for _ in range(3)]
    (found,) = stopping_summary([entry()], measured, {"max_processes": 3})
    assert (found["worker_seconds"], found["startup_seconds"]) == (75.0, 15.0)
    older = [*measured, steady_record(process=3, wall_seconds=20.0)]  # before schema 7
    assert stopping_summary([entry()], older, {"max_processes": 3})[0]["startup_seconds"] is None


def test_a_process_is_priced_at_the_processes_that_timed_what_it_will():
    costs = [
        (STEADY_MEASURES, 40.0),
        (("predict", "latency"), 20.0),
        (("latency",), 10.0),
        (("latency",), 12.0),
    ]
    assert median_cost(costs, ("latency",)) == 11.0
    assert median_cost(costs, ("predict",)) == 20.0  # none timed it alone: the fewest besides
    assert median_cost(costs, ("train_step", "predict")) == 40.0
    assert median_cost(costs, None) == 16.0  # a one-time process: all of them
    assert median_cost([(None, 30.0), (None, 34.0)], None) == 32.0
    assert median_cost([], ("latency",)) is None


def test_the_stopping_summary_counts_a_one_time_phase_against_its_own_most():
    one_time = OneTimeRecord(
        arch="cnn",
        styles=["sequential", "functional"],
        reference="sequential",
        seed=1,
        settings_key="k",
        cycles=3,
        order_seed=0,
        process=0,
        backend="tensorflow",
        seconds={},
        build_orders=[],
        wall_seconds=20.0,
    )
    config = {"max_processes": 30, "one_time_processes": 3}
    (found,) = stopping_summary([entry("build", 9.0, phase="one_time")], [one_time], config)
    assert (found["phase"], found["most_processes"]) == ("one_time", 3)
