"""An upgrade judged in pairs, on synthetic processes and runs: NEW over BASE per style and
measure, the style effects, accuracy by seed, the capabilities that changed, the gate, and the
ABBA order."""

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from bench.analysis.ab import (
    ab_entries,
    accuracy_dropped,
    accuracy_entry,
    capability_changes,
    gate_fails,
    process_values,
    regressions,
    smallest_detectable,
    style_effects,
    undecided_measures,
)
from bench.analysis.summary import decided
from bench.plan.ab import AbConfig, Side, pair_order, parse_env
from bench.plan.settings import ConfigError
from bench.plan.specs import ONE_TIME_MEASURES, STEADY_MEASURES
from bench.store.capabilities import DOES_NOT_APPLY, NO, PREVIOUS_INSTALL, YES, entry
from tests import factories
from tests.factories import AB_STYLES as STYLES
from tests.factories import ab_process as process
from tests.factories import ab_run as run
from tests.factories import record, verdict

BASE = Side("base", "python")


def by_key(entries):
    return {(e.measure, e.style): e for e in entries}


def test_a_process_gives_the_median_cycle_and_the_median_steady_call_in_seconds():
    record = process({}, np.random.default_rng(0), noise=0.0)
    values = process_values(record)
    assert values["build", "sequential"] == pytest.approx(0.030)
    assert values["train_step", "functional"] == pytest.approx(0.011)  # per call, not per burst
    assert len(values) == len(STYLES) * (len(STEADY_MEASURES) + len(ONE_TIME_MEASURES))


def test_pairs_alternate_abba_so_that_each_side_runs_first_as_often():
    assert [pair_order(p) for p in range(4)] == [("base", "new"), ("new", "base")] * 2


def test_a_five_percent_slower_training_step_is_found_and_fails_the_gate():
    entries = ab_entries(run(8, {"train_step": 1.05}, noise=0.01), 3.0, 10.0)
    found = by_key(entries)
    step = found["train_step", "sequential"]
    assert step.ci95_low > 1 and step.estimate == pytest.approx(1.05, abs=0.01)
    assert step.verdict.startswith("slower")
    assert step.base_ms == pytest.approx(11.0, rel=0.02)
    assert step.new_ms == pytest.approx(11.55, rel=0.02)
    assert found["predict", "sequential"].verdict == "equivalent"
    assert {(e.measure, e.style) for e in regressions(entries)} == {
        ("train_step", "sequential"),
        ("train_step", "functional"),
    }


def test_a_one_time_cost_is_judged_against_the_one_time_margin():
    # 5 % slower: past the steady margin, inside the one-time one
    found = by_key(ab_entries(run(8, {"load": 1.05}, noise=0.01), 3.0, 10.0))
    load = found["load", "functional"]
    assert load.margin == 10.0 and load.verdict == "slower, within margin"
    assert regressions([load]) == []


def test_the_same_install_on_both_sides_is_equivalent_and_passes_the_gate():
    entries = ab_entries(run(8, {}, seed=3, noise=0.01), 3.0, 10.0)
    assert len(entries) == 18
    assert all(map(decided, entries))
    assert regressions(entries) == []


def test_later_pairs_time_only_what_is_undecided_and_each_verdict_uses_the_pairs_that_timed_it():
    records = run(8, {"train_step": 1.01}, noise=0.03)
    entries = ab_entries(records[:8], 3.0, 10.0)
    still = undecided_measures(entries, records[:8])
    assert "train_step" in still and "build" not in still  # 1 % of 3 %: near the margin
    later = [  # pairs 4 to 7 time the train step only
        (
            side,
            pair,
            dataclasses.replace(r, seconds={}, steady={"train_step": r.steady["train_step"]}),
        )
        for side, pair, r in records[8:]
    ]
    found = by_key(ab_entries(records[:8] + later, 3.0, 10.0))
    assert (found["train_step", "sequential"].n, found["build", "sequential"].n) == (8, 4)
    spec = AbConfig(BASE, BASE, factories.SETTINGS, Path("out")).spec(5, ("train_step",))
    assert (spec.cycles, spec.steady_rounds, spec.steady_measures) == (1, 10, ("train_step",))
    assert not spec.count  # the first two pairs counted, each side twice
    # NEW makes one call more: a regression found exactly, whatever its timing
    grown = [
        (side, pair, dataclasses.replace(r, python_calls={"train_step": {"sequential": [calls]}}))
        for side, pair, r in records[:8]
        for calls in [11 if side == "new" else 10]
    ]
    assert "train_step" not in undecided_measures(entries, grown)


def test_a_slowdown_of_every_style_alike_leaves_the_style_effects_at_one():
    records = run(8, {"train_step": 1.2}, functional=0.9, noise=0.01)
    effects = by_key(style_effects(records, "sequential", 3.0, 10.0))
    assert set(effects) == {(m, "functional") for m in (*ONE_TIME_MEASURES, *STEADY_MEASURES)}
    assert effects["train_step", "functional"].estimate == pytest.approx(1.0, abs=0.02)
    assert effects["train_step", "functional"].verdict == "equivalent"


def test_a_pair_with_a_failed_process_is_left_out():
    records = run(4, {})
    records[1] = ("new", 0, process({}, np.random.default_rng(9), 0.02, failed=True))
    assert {e.n for e in ab_entries(records, 3.0, 10.0)} == {3}


def test_the_smallest_detectable_slowdown_is_the_intervals_half_width():
    assert smallest_detectable(verdict(ci95_low=1 / 1.04, ci95_high=1.04)) == pytest.approx(4.0)
    assert smallest_detectable(verdict(ci95_low=None)) is None
    assert math.isclose(smallest_detectable(verdict(ci95_low=1.0, ci95_high=1.0)), 0.0)


def test_an_environment_setting_is_name_equals_value():
    assert parse_env(["TF_NUM_INTRAOP_THREADS=1", "A=b=c"], "--new-env") == (
        ("TF_NUM_INTRAOP_THREADS", "1"),
        ("A", "b=c"),
    )
    with pytest.raises(ConfigError, match="--new-env takes NAME=VALUE; received 'oops'"):
        parse_env(["oops"], "--new-env")


def accuracy_runs(base: list[float], new: list[float]) -> list:
    return [
        (side, record(seed=seed, accuracy=accuracy))
        for side, values in (("base", base), ("new", new))
        for seed, accuracy in enumerate(values, 1)
    ]


def test_an_unchanged_install_trains_each_seed_to_the_same_accuracy_exactly():
    found = accuracy_entry(accuracy_runs([0.95, 0.96, 0.97], [0.95, 0.96, 0.97]))
    c = found["change"]
    assert found["seeds"] == [1, 2, 3] and c.unit == "points"
    assert (c.estimate, c.ci95_low, c.ci95_high) == (0.0, 0.0, 0.0)
    assert c.verdict == "equivalent" and not accuracy_dropped(found)


def test_an_accuracy_drop_past_the_margin_fails_the_gate_and_a_small_one_does_not():
    dropped = accuracy_entry(accuracy_runs([0.95, 0.96, 0.97], [0.945, 0.9555, 0.9648]))
    assert dropped["change"].estimate == pytest.approx(-0.49) and dropped["change"].ci95_high < -0.2
    assert accuracy_dropped(dropped)
    small = accuracy_entry(accuracy_runs([0.95, 0.96, 0.97], [0.9495, 0.9594, 0.9696]))
    assert small["change"].direction == "lower" and not accuracy_dropped(small)


def test_a_seed_that_failed_on_one_side_is_left_out_of_the_accuracy():
    runs = accuracy_runs([0.95, 0.96], [0.95, 0.96])
    runs[3] = ("new", record(seed=2, status="failed", test_accuracy=None))
    assert accuracy_entry(runs)["seeds"] == [1]
    assert accuracy_entry(runs[2:3]) is None


def checks(**outcomes) -> dict:
    return {
        "cnn": {"functional": {check: entry(outcome, "why") for check, outcome in outcomes.items()}}
    }


def test_a_capability_lost_or_a_file_of_base_that_new_cannot_load_is_a_regression():
    base = checks(keras_reload_with_code=YES, savedmodel_served=NO)
    new = checks(keras_reload_with_code=NO, savedmodel_served=YES, **{PREVIOUS_INSTALL: NO})
    changes = {c["check"]: c for c in capability_changes(base, new)}
    assert set(changes) == {"keras_reload_with_code", "savedmodel_served", PREVIOUS_INSTALL}
    assert changes["keras_reload_with_code"]["regression"]
    assert not changes["savedmodel_served"]["regression"]
    assert changes[PREVIOUS_INSTALL]["regression"] and changes[PREVIOUS_INSTALL]["error"] == "why"
    # BASE saved no file for a style: nothing to load, nothing lost
    assert (
        capability_changes(
            base,
            checks(
                keras_reload_with_code=YES,
                savedmodel_served=NO,
                **{PREVIOUS_INSTALL: DOES_NOT_APPLY},
            ),
        )
        == []
    )


def test_checks_a_failed_worker_on_new_left_unrecorded_are_lost_with_its_error():
    base = checks(keras_reload_with_code=YES, savedmodel_served=NO)
    new = {"cnn": {"functional": {"worker": entry(NO, "worker exited with code 1: boom")}}}
    (change,) = capability_changes(base, new)
    assert change["check"] == "keras_reload_with_code" and change["regression"]
    assert change["new"] == "not recorded" and "boom" in change["error"]
    # the other way round nothing is lost, and BASE's failure is still reported
    (change,) = capability_changes(new, base)
    assert change["check"] == "worker" and not change["regression"] and "boom" in change["error"]


def test_the_gate_fails_on_a_slowdown_an_accuracy_drop_or_a_lost_capability():
    clean = {"regressions": [], "accuracy_dropped": False, "capabilities_lost": []}
    assert not gate_fails(clean)
    for key, value in (
        ("regressions", [{}]),
        ("accuracy_dropped", True),
        ("capabilities_lost", [{}]),
    ):
        assert gate_fails({**clean, key: value})


def test_a_slowdown_of_unclear_size_fails_the_gate_alone_but_not_among_many_ratios():
    # 5 % slower, its 95 % interval over ten pairs [1.005, 1.097]: above 1, past the margin
    entry = verdict(
        measure="latency",
        n=10,
        estimate=1.05,
        ci95_low=1.005,
        ci95_high=1.097,
        verdict="slower, size unclear",
        direction="higher",
    )
    assert regressions([entry], family=1) == [entry]
    # one of 27 ratios: at 1 − 0.05 / 27 its interval reaches below 1
    assert regressions([entry], family=27) == []
    beyond = dataclasses.replace(entry, ci95_low=1.035, verdict="slower, beyond margin")
    assert regressions([beyond], family=27) == [beyond]
