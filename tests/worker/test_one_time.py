"""The one-time phase: A/A and A/B pairs, failures recorded and the rest going on, drift, schema."""

import gc
import math
import statistics
import sys
import time

import keras
import pytest

from bench.analysis.one_time import one_time_drift, one_time_entries
from bench.analysis.stats import BEYOND, EQUIVALENT, INCONCLUSIVE, compare_log_ratios
from bench.plan.config import make_config
from bench.plan.settings import TrainSettings
from bench.plan.specs import ONE_TIME_MEASURES, OneTimeSpec
from bench.store.records import OneTimeRecord
from bench.worker.one_time import run_one_time, time_cycles
from bench.worker.runner import compile_model
from bench.worker.steady import time_models
from mnist_models import build_model
from tests.factories import SETTINGS, random_mnist

MNIST = random_mnist(train=256, test=1024)
BATCH = (MNIST.x_train[:64, ..., None] / 255.0, MNIST.y_train[:64])
PREDICT = MNIST.x_test[..., None] / 255.0


def _compile(model):
    compile_model(model, SETTINGS, steps_per_epoch=10)


def _mlp():
    return build_model("mlp", "sequential", seed=1)


def _orders(names, cycles=4):
    # alternate which goes first, as the balanced orders do; the first is the warm-up
    return [list(names) if c % 2 else list(reversed(names)) for c in range(cycles + 1)]


def _ratios(seconds, measure, name, reference="sequential"):
    return [
        math.log(c / r)
        for c, r in zip(seconds[measure][name], seconds[measure][reference], strict=True)
    ]


def test_a_style_against_a_copy_of_itself_is_never_found_different():
    # Two copies of one model: any difference found is the phase's own error. As the sweep
    # replicates processes, this replicates fresh runs of the cycles (alternating which copy goes
    # first) and takes the interval over them. A 95 % interval misses in 5 % of honest runs, and
    # a machine shared with other work may leave a measure inconclusive; what the phase must
    # never do is call two copies different. With six measures, an honest attempt flags one
    # in about a quarter of attempts (3 of 12 on a Zen 3), so four reruns are allowed: all five
    # attempts flagging by chance is about 1 in 1,000.
    builders = {"sequential": _mlp, "copy": _mlp}
    for _attempt in range(5):
        replicates = []
        for i in range(3):
            names = list(builders) if i % 2 == 0 else list(reversed(builders))
            found = time_cycles(builders, _compile, BATCH, PREDICT, _orders(names, cycles=2))
            seconds, failures = found.seconds, found.failures
            assert failures == {} and len(seconds["load"]["copy"]) == 2
            replicates.append(seconds)
        verdicts = {
            m: compare_log_ratios(
                m, [statistics.fmean(_ratios(r, m, "copy")) for r in replicates], 10.0
            )
            for m in ONE_TIME_MEASURES
        }
        if all(v.verdict in (EQUIVALENT, INCONCLUSIVE) for v in verdicts.values()):
            break
    assert all(v.verdict in (EQUIVALENT, INCONCLUSIVE) for v in verdicts.values()), verdicts


def test_a_builder_that_sleeps_is_slower_beyond_the_margin_in_build_and_in_no_steady_measure():
    def sleepy():
        time.sleep(0.25)  # a known cost, paid once per model
        return _mlp()

    builders = {"sequential": _mlp, "sleepy": sleepy}
    seconds = time_cycles(builders, _compile, BATCH, PREDICT, _orders(builders, cycles=4)).seconds
    build = compare_log_ratios("build", _ratios(seconds, "build", "sleepy"), 10.0)
    assert (build.kind, build.direction) == (BEYOND, "higher"), build
    assert build.estimate > 2
    # the same two models, once built, run their steps alike: the sleep was paid once
    models = {name: build() for name, build in builders.items()}
    for model in models.values():
        _compile(model)
    _, steady = time_models(
        models, [BATCH], PREDICT, reference="sequential", rounds=6, order_seed=0, burst_seconds=0.01
    )
    for measure, by_name in steady.items():
        logs = [
            math.log(c / r) for c, r in zip(by_name["sleepy"], by_name["sequential"], strict=True)
        ]
        c = compare_log_ratios(measure, logs, 10.0)
        assert c.kind != BEYOND, (measure, c)


def test_a_step_a_style_cannot_do_is_recorded_with_its_reason_and_the_rest_goes_on():
    def compile_or_refuse(model):
        if model.name.startswith("mlp_functional"):
            raise ValueError("this style cannot compile here")
        _compile(model)

    builders = {
        "sequential": _mlp,
        "functional": lambda: build_model("mlp", "functional", seed=1),
    }
    found = time_cycles(builders, compile_or_refuse, BATCH, PREDICT, _orders(builders, cycles=2))
    seconds, failures = found.seconds, found.failures
    assert failures["functional"]["compile"] == "ValueError: this style cannot compile here"
    assert failures["functional"]["load"] == "not reached: compile failed"
    assert "build" not in failures["functional"]
    assert len(seconds["build"]["functional"]) == 2
    assert seconds["compile"]["functional"] == [] and seconds["load"]["functional"] == []
    assert all(len(seconds[m]["sequential"]) == 2 for m in ONE_TIME_MEASURES)
    assert found.footprint == {}  # kept only where every name has its sizes
    assert list(found.models) == ["sequential"]  # the last cycle's, where the style got through
    assert gc.isenabled()  # paused for each timed step, and back on after a failed one


def test_the_warm_up_builds_its_own_models_and_each_recorded_cycle_keeps_its_sizes():
    built = []

    def tracked(tag, arch):
        def build():
            built.append(tag)
            return build_model(arch, "sequential", seed=1)

        return build

    found = time_cycles(
        {"sequential": tracked("big", "mlp")},
        _compile,
        BATCH,
        PREDICT,
        [("sequential",)] * 3,
        warmup={"sequential": tracked("small", "dense-1")},
    )
    # build, then load (which builds nothing through the builder): one call per cycle
    assert built == ["small", "big", "big"]
    sizes = found.footprint["keras_bytes"]["sequential"]
    assert len(sizes) == 2 and len(set(sizes)) == 1 and sizes[0] > 100_000  # the MLP's weights
    growth = found.footprint.get("peak_rss_growth_bytes", {}).get("sequential", [])
    assert all(g >= 0 for g in growth) and (len(growth) == 2 or sys.platform != "linux")
    assert found.models["sequential"].optimizer.iterations.numpy() == 1  # trained one step


def test_each_step_runs_with_the_collector_paused():
    enabled = []

    def build():
        enabled.append(gc.isenabled())
        return _mlp()

    time_cycles({"sequential": build}, _compile, BATCH, PREDICT, [("sequential",)] * 2)
    assert enabled == [False, False] and gc.isenabled()


def test_a_process_records_every_cycle_in_balanced_orders_and_the_report_derives_verdicts():
    settings = TrainSettings(
        epochs=1,
        batch_size=32,
        learning_rate=1e-3,
        validation_split=0.1,
        train_images=256,
        test_images=1024,
    )
    styles = ("sequential", "functional", "subclassed")
    records = [
        run_one_time(
            OneTimeSpec(
                "mlp", styles, 1, settings, cycles=2, process=p, steady_rounds=3 * p, count=p > 0
            ),
            MNIST,
        )
        for p in range(2)
    ]
    record = records[1]
    assert record.status == "ok", record.error
    assert OneTimeRecord.from_dict(record.to_dict()) == record
    # a process told not to count has no counting cycle, and records no calls
    assert records[0].python_calls == {} and records[0].python_call_bound_seconds == {}
    assert set(record.python_calls) >= set(ONE_TIME_MEASURES)
    # steady rounds, where asked for, on the last cycle's models: a burst per round and style
    assert records[0].steady == {} and set(record.steady) == {"train_step", "predict"}
    assert all(len(record.steady[m][s]) == 3 for m in record.steady for s in styles)
    assert all(calls >= 1 for calls in record.steady_calls.values())
    # process 1's cycles continue process 0's sequence of Latin squares
    assert [tuple(o) for o in records[0].build_orders + record.build_orders] == [
        OneTimeSpec("mlp", styles, 1, settings, cycles=4).build_orders()[c + 1] for c in range(4)
    ]
    assert len({o[0] for o in records[0].build_orders + record.build_orders}) == 3
    for measure in ONE_TIME_MEASURES:
        assert all(len(record.seconds[measure][s]) == 2 for s in styles), measure
    entries = one_time_entries(records, margin=10.0)
    assert {(e.style, e.measure) for e in entries} == {
        (s, m) for s in ("functional", "subclassed") for m in ONE_TIME_MEASURES
    }
    for e in entries:
        # the interval is over the 4 cycles of the 2 processes (docs/methodology.md)
        assert (e.phase, e.n, e.unit, e.margin) == ("one_time", 4, "ratio", 10.0)
        assert (e.processes, e.cycles, e.interval_over) == (2, 4, "cycles")
        assert e.ci95_low <= e.estimate <= e.ci95_high
        assert e.within_process_sd is not None and e.between_process_sd is not None


def _record(process, reference_times, ratio=1.0):
    seconds = {
        m: {"sequential": list(reference_times), "functional": [t * ratio for t in reference_times]}
        for m in ONE_TIME_MEASURES
    }
    return OneTimeRecord(
        arch="mlp",
        styles=["sequential", "functional"],
        reference="sequential",
        seed=1,
        settings_key="{}",
        cycles=len(reference_times),
        order_seed=0,
        process=process,
        backend="tensorflow",
        seconds=seconds,
        build_orders=[],
    )


def test_drift_over_cycles_is_found_when_times_grow_and_not_when_they_do_not():
    growing = [_record(p, [0.1 * 1.1**c * (1 + 0.01 * p) for c in range(6)]) for p in range(4)]
    (build,) = [
        d for d in one_time_drift(growing) if (d["measure"], d["style"]) == ("build", "sequential")
    ]
    assert abs(build["percent_per_cycle"] - 10.0) < 0.01
    assert build["ci95_low"] > 0
    flat = [_record(p, [0.1 * (1 + 0.02 * ((c + p) % 2)) for c in range(6)], 1.2) for p in range(4)]
    for d in one_time_drift(flat):
        assert d["ci95_low"] <= 0 <= d["ci95_high"], d
    # a constant ratio: no drift in the ratio, and its verdict is beyond a 10 % margin
    (entry,) = [e for e in one_time_entries(flat, 10.0) if e.measure == "save"]
    assert entry.verdict == "slower, beyond margin" and abs(entry.estimate - 1.2) < 1e-9


def test_each_one_time_ratio_carries_the_reference_milliseconds_and_the_difference():
    from bench.render.tables import one_time_table

    # reference cycles of 100 to 200 ms, the style 1.2 times each: medians 150 ms and +30 ms
    records = [_record(p, [0.1, 0.15, 0.2], 1.2) for p in range(3)]
    (entry,) = [e for e in one_time_entries(records, 10.0) if e.measure == "build"]
    assert entry.reference_ms == pytest.approx(150.0)
    assert entry.difference_ms == pytest.approx(30.0)
    row = one_time_table([entry]).iloc[0]
    assert row["ms: reference, difference"] == "150.0, +30.0"


def test_the_profiles_time_one_time_costs_in_quick_and_full_and_not_in_smoke():
    assert make_config("smoke").one_time_specs() == []
    quick = make_config("quick").one_time_specs()
    quick_config = make_config("quick")
    assert len(quick) == quick_config.most_processes("one_time") == 9
    assert all(s.cycles >= 2 for s in quick)
    # counts do not vary with the machine: the first two processes count, to show they agree
    assert [s.count for s in quick] == [True, True] + [False] * 7
    full = make_config("full", backends=("tensorflow",))
    assert {(s.arch, s.process) for s in full.one_time_specs()} == {
        (arch, p) for arch in ("cnn", "mlp", "resnet") for p in range(full.one_time_processes)
    }
    assert full.one_time_processes < full.max_processes  # its cap, not the steady phase's


def test_keras_state_is_cleared_between_cycles():
    names = []

    def named():
        model = _mlp()
        names.append(model.layers[0].name)
        return model

    time_cycles({"sequential": named}, _compile, BATCH, PREDICT, _orders(["sequential"], 2))
    assert len(set(names)) == 1, names  # clear_session restarts the name counters every cycle
    assert keras.backend.backend() == "tensorflow"


def test_the_one_time_interval_is_over_cycles_unless_the_processes_spread_more():
    from bench.analysis.one_time import one_time_standard_error

    alike = [[0.1, -0.1, 0.1, -0.1], [0.1, -0.1, 0.1, -0.1], [0.1, -0.1, 0.1, -0.1]]
    cycles_se = statistics.stdev([v for p in alike for v in p]) / math.sqrt(12)
    assert one_time_standard_error(alike) == pytest.approx(cycles_se)  # the means agree
    apart = [[v + shift for v in p] for p, shift in zip(alike, (-0.3, 0.0, 0.3), strict=True)]
    means = [statistics.fmean(p) for p in apart]
    assert one_time_standard_error(apart) == pytest.approx(statistics.stdev(means) / math.sqrt(3))
    assert one_time_standard_error(apart) > statistics.stdev(
        [v for p in apart for v in p]
    ) / math.sqrt(12)
