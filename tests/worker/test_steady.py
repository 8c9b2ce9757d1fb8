"""The paired timing phase: interleaving, warm-up, trace checks, A/A and A/B, and its schema."""

import numpy as np
import pytest

from bench.analysis.stats import BEYOND, paired_comparisons
from bench.analysis.summary import paired_summary
from bench.plan.settings import TrainSettings
from bench.plan.specs import STEADY_MEASURES, SteadySpec, balanced_build_order
from bench.store.records import SteadyRecord
from bench.worker import steady
from bench.worker.measure import RetracedError
from bench.worker.steady import (
    WARMUP_BURSTS,
    run_steady,
    time_bursts,
    time_models,
)
from mnist_models import build_model
from tests.factories import random_mnist

STYLES = ("sequential", "functional", "subclassed")
PAIRED_KEYS = {
    "arch",
    "style",
    "reference",
    "measure",
    "n",
    "unit",
    "estimate",
    "ci95_low",
    "ci95_high",
    "ci90_low",
    "ci90_high",
    "margin",
    "verdict",
    "direction",
    "processes",
    "rounds",
    "steps_per_burst",
}


def _recording_bursts(names, log):
    return {
        name: {m: (lambda name=name, m=m: log.append((name, m))) for m in STEADY_MEASURES}
        for name in names
    }


def test_every_burst_is_warmed_up_and_each_round_visits_every_name_in_a_fresh_order():
    log = []
    seconds = time_bursts(_recording_bursts("abc", log), rounds=20, order_seed=5)
    warmups, timed = log[: 3 * 3 * WARMUP_BURSTS], log[3 * 3 * WARMUP_BURSTS :]
    assert sorted(warmups) == sorted(
        (n, m) for n in "abc" for m in STEADY_MEASURES for _ in range(2)
    )
    orders = [tuple(n for n, _ in timed[i : i + 3]) for i in range(0, len(timed), 3)]
    assert len(orders) == 20 * len(STEADY_MEASURES)
    assert all(sorted(order) == ["a", "b", "c"] for order in orders)
    assert len(set(orders)) > 3, "the order must change from round to round"
    assert all(len(seconds[m][n]) == 20 for m in STEADY_MEASURES for n in "abc")
    again = []
    time_bursts(_recording_bursts("abc", again), rounds=20, order_seed=5)
    assert again == log  # reproducible from the recorded order seed


def test_a_burst_that_traces_during_the_timed_rounds_is_refused():
    class Counter:
        calls = 0

        def total(self):
            self.calls += 1
            return self.calls  # moves between "before" and "after"

    with pytest.raises(RetracedError, match="a: a timed burst traced"):
        time_bursts(_recording_bursts("a", []), rounds=2, order_seed=0, counters={"a": Counter()})


def _data(n=1024, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return [(x[i : i + 32], y[i : i + 32]) for i in range(0, 256, 32)], x


def _compiled(arch):
    model = build_model(arch, "sequential", seed=1)
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def _timed(models, reference, rounds, burst_seconds=0.02):
    batches, x = _data()
    return time_models(
        models,
        batches,
        x,
        reference=reference,
        rounds=rounds,
        order_seed=0,
        burst_seconds=burst_seconds,
    )


def _phase(models, reference, rounds, margin, burst_seconds=0.02):
    steps, seconds = _timed(models, reference, rounds, burst_seconds)
    return steps, {(m, s): c for m, s, c in paired_comparisons([seconds], reference, margin)}


def test_a_heavier_model_is_found_slower_beyond_the_margin():
    models = {"mlp": _compiled("mlp"), "cnn": _compiled("cnn")}  # the convnet costs far more
    steps, found = _phase(models, "mlp", rounds=6, margin=3)
    assert set(steps) == set(STEADY_MEASURES) and all(k >= 1 for k in steps.values())
    for measure in ("train_step", "predict"):
        c = found[(measure, "cnn")]
        assert c.kind == BEYOND and c.direction == "higher", (measure, c)
        assert c.estimate > 1.5


_SETTINGS = TrainSettings(
    epochs=1,
    batch_size=32,
    learning_rate=1e-3,
    validation_split=0.1,
    train_images=2048,
    test_images=1024,
    steps_per_execution=50,
)


def test_the_phase_records_raw_bursts_and_the_report_derives_every_verdict_from_them():
    mnist = random_mnist()
    settings = _SETTINGS
    records = [
        run_steady(
            SteadySpec(
                "mlp",
                STYLES,
                1,
                settings,
                rounds=3,
                order_seed=process,
                process=process,
                burst_seconds=0.005,
                build_order=balanced_build_order(STYLES, process, 0),
            ),
            mnist,
        )
        for process in range(2)
    ]
    record = records[1]
    assert record.status == "ok", record.error
    assert record.process == 1
    assert record.build_order == list(balanced_build_order(STYLES, 1, 0))
    again = SteadyRecord.from_dict(record.to_dict())
    assert again == record
    assert list(again.ordered_seconds()) == list(STEADY_MEASURES)
    for measure in STEADY_MEASURES:
        assert record.steps_per_burst[measure] >= 1
        for style in record.styles:
            assert len(record.seconds[measure][style]) == 3
            assert all(t > 0 for t in record.seconds[measure][style])
    entries, medians = paired_summary(records, margin=3)
    assert len(entries) == 2 * len(STEADY_MEASURES)  # every non-reference style, every measure
    for entry in entries:
        assert set(entry.to_dict()) >= PAIRED_KEYS, PAIRED_KEYS - set(entry.to_dict())
        assert entry.reference == "sequential"
        assert (entry.processes, entry.rounds, entry.interval_over) == (2, 6, "processes")
        assert entry.ci95_low <= entry.estimate <= entry.ci95_high
        assert (entry.n, entry.unit, entry.margin) == (2, "ratio", 3)
    assert {(m["style"], m["measure"]) for m in medians} == {
        (s, m) for s in record.styles for m in STEADY_MEASURES
    }


def test_each_style_is_timed_on_each_of_its_copies_and_a_round_sums_them(monkeypatch):
    spec = SteadySpec("mlp", STYLES, 1, _SETTINGS, rounds=4, build_order=STYLES, instances=2)
    assert spec.instances_in_build_order() == [(s, 0) for s in STYLES] + [
        (s, 1) for s in reversed(STYLES)
    ]
    timed = {}

    def fake_time_models(models, *args, reference, rounds, **kwargs):
        timed.update(models)
        seconds = {
            m: {name: [2.0 if "#" in name else 1.0] * rounds for name in models}
            for m in STEADY_MEASURES
        }
        return dict.fromkeys(STEADY_MEASURES, 1), seconds

    monkeypatch.setattr(steady, "time_models", fake_time_models)
    record = run_steady(spec, random_mnist())
    assert record.status == "ok", record.error
    assert sorted(timed) == sorted([*STYLES, *(f"{s}#1" for s in STYLES)])
    assert timed["functional#1"] is not timed["functional"]
    assert record.instances == 2
    assert all(record.seconds[m][s] == [3.0] * 4 for m in STEADY_MEASURES for s in STYLES)


def test_a_process_asked_for_some_measures_traces_and_times_only_those():
    spec = SteadySpec("mlp", STYLES, 1, _SETTINGS, rounds=3, measures=("latency",))
    assert SteadySpec.from_json(spec.to_json()) == spec
    record = run_steady(spec, random_mnist())
    assert record.status == "ok", record.error
    assert list(record.seconds) == ["latency"] and list(record.steps_per_burst) == ["latency"]
    assert all(len(record.seconds["latency"][s]) == 3 for s in STYLES)
    # the train step was never traced: no process time went to a measure it does not record
    model = build_model("mlp", "sequential", seed=1)
    model.compile(loss="sparse_categorical_crossentropy")
    steps, seconds = time_models(
        {"a": model},
        [],
        np.zeros((4, 28, 28, 1)),
        reference="a",
        rounds=2,
        order_seed=0,
        burst_seconds=0.001,
        measures=("predict",),
    )
    assert list(steps) == list(seconds) == ["predict"] and model.train_function is None
