"""The analysis of records: statistics, verdicts against the reference style and across
backends, the paired phase's precision, and the warnings."""

import pytest

from bench.analysis.summary import (
    backend_comparisons,
    compare_pairs,
    mixed_records_warnings,
    summarize,
    undecided_warnings,
)
from bench.store.records import OneTimeRecord
from tests import factories
from tests.factories import record, steady_record
from tests.factories import three_styles as _records


def _stat(summary, style, metric):
    (row,) = [s for s in summary["stats"] if (s["style"], s["metric"]) == (style, metric)]
    return row


def _comparison(summary, style, metric):
    (row,) = [c for c in summary["comparisons"] if (c.style, c.measure) == (style, metric)]
    return row


def test_summary_statistics_match_the_records():
    summary = summarize(_records())
    step = _stat(summary, "sequential", "steady_step_ms")
    assert step["n"] == 3
    assert step["mean"] == pytest.approx(12.0)
    assert step["stdev"] == pytest.approx(1.0)
    assert step["ci95_low"] < 12.0 < step["ci95_high"]


def test_styles_are_judged_run_by_run_on_accuracy_alone():
    summary = summarize(_records())
    assert _comparison(summary, "functional", "test_accuracy").verdict == "equivalent"
    # the subclassed runs' steps are 1.2x slower, but a run's times are described, not judged
    assert _stat(summary, "subclassed", "steady_step_ms")["mean"] > 14.0
    assert {c.measure for c in summary["comparisons"]} == {"test_accuracy"}
    assert all(c.style != "sequential" for c in summary["comparisons"])


@pytest.mark.parametrize(
    ("factors", "verdict"),
    [
        ([1.004, 0.995, 1.002, 0.999, 1.003], "equivalent"),
        ([1.010, 1.014, 1.008, 1.012, 1.011], "slower, within margin"),
        ([1.09, 1.11, 1.10, 1.12, 1.08], "slower, beyond margin"),
        ([1.049, 1.019, 1.080, 1.030, 1.065], "slower, size unclear"),
        ([1.05, 0.94, 1.07, 0.96, 1.02], "inconclusive"),
    ],
)
def test_step_time_verdicts_of_pairs_on_noisy_seeds(factors, verdict):
    # the reference's own times vary from seed to seed too: nothing here has zero variance
    reference_ms = [10.0, 12.5, 9.0, 11.0, 13.0]
    pairs = [(ms * f, ms) for ms, f in zip(reference_ms, factors, strict=True)]
    c = compare_pairs("steady_step_ms", pairs, time_margin=3)
    assert c.n == 5 and c.ci95_low < c.ci95_high
    assert c.verdict == verdict, c


def test_accuracy_verdicts_through_summarize_are_in_points():
    rows = []
    for seed, (ref, cand) in enumerate([(0.990, 0.978), (0.991, 0.981), (0.989, 0.977)], 1):
        rows.append(record(style="sequential", seed=seed, accuracy=ref))
        rows.append(record(style="subclassed", seed=seed, accuracy=cand))
    c = _comparison(summarize(rows), "subclassed", "test_accuracy")
    assert c.unit == "points"
    assert c.estimate == pytest.approx(-1.13, abs=0.01)
    assert (c.verdict, c.direction) == ("lower, beyond margin", "lower")


def test_unstable_timings_are_warned_about_in_words():
    rows = [record(style="sequential", seed=s, build_seconds=b) for s, b in [(1, 1), (2, 2)]]
    warnings = summarize(rows)["warnings"]
    assert any("build s: unstable" in w for w in warnings)


def test_failed_and_diverged_runs_are_excluded_and_reported():
    rows = [*_records(), record(style="functional", seed=4, status="failed", error="Boom: x")]
    summary = summarize(rows)
    assert _stat(summary, "functional", "test_accuracy")["n"] == 3
    assert any("seed=4: failed. Boom: x" in w for w in summary["warnings"])


def test_undecided_paired_verdicts_are_warned_about_with_why():
    about = dict(arch="mlp", style="functional", processes=8)
    open_ = factories.verdict(
        measure="predict", ci95_low=0.96, ci95_high=1.04, verdict="inconclusive", **about
    )
    settled = factories.verdict(ci95_low=0.99, ci95_high=1.01, **about)
    (warning,) = undecided_warnings([open_, settled])
    assert warning == (
        "mlp/functional paired predict, 1,024 images: undecided after 8 process(es): "
        "[0.960, 1.040] holds 1 and reaches past the ±3 % margin"
    )


def test_the_report_warns_when_a_models_runs_ran_on_different_kinds_of_node():
    fast = {"id": "a", "cpu_model": "EPYC 9654", "cpu_cores": 96}
    slow = {"id": "b", "cpu_model": "EPYC 7551", "cpu_cores": 2}
    records = [
        record(style="sequential", seed=1, node=fast),
        record(style="functional", seed=1, node=slow),
        record(arch="mlp", style="sequential", seed=1, node=fast),
        record(arch="mlp", style="functional", seed=1, node=dict(fast, id="c")),
    ]
    warnings = summarize(records)["warnings"]
    mixed = [w for w in warnings if "different kinds of node" in w]
    assert len(mixed) == 1 and mixed[0].startswith("cnn: its runs ran on"), warnings
    assert "EPYC 7551 (2 cores)" in mixed[0] and "EPYC 9654 (96 cores)" in mixed[0]


def _on(backend, seed, step_ms, shared=True, **changes):
    import dataclasses

    from bench.plan.specs import RunSpec
    from tests.factories import SETTINGS

    settings = dataclasses.replace(SETTINGS, backend=backend, shared_start=shared)
    spec = RunSpec("mlp", "functional", seed, settings)
    return record(step_ms=step_ms, spec=spec, **changes)


def test_other_backends_are_compared_with_tensorflow_seed_by_seed_when_they_shared_a_start():
    records = [_on("tensorflow", seed, 10.0 + seed / 10, accuracy=0.98) for seed in (1, 2, 3)]
    records += [_on("jax", seed, 5.0 + seed / 10, accuracy=0.981) for seed in (1, 2, 3)]
    found = {c.measure: c for c in backend_comparisons(records)}
    assert set(found) == {
        "test_accuracy",
        "first_epoch_seconds",
        "steady_step_ms",
        "predict_images_per_second",
        "predict_latency_ms",
    }
    step = found["steady_step_ms"]
    assert (step.backend, step.reference, step.n) == ("jax", "tensorflow", 3)
    assert 0.48 < step.estimate < 0.53 and step.verdict == "faster, beyond margin"
    assert step.direction == "lower"
    assert found["test_accuracy"].estimate == pytest.approx(0.1)  # points
    # without a shared start the backends began from different weights: no comparison
    unshared = [_on(b, seed, 10.0, shared=False) for b in ("tensorflow", "jax") for seed in (1, 2)]
    assert backend_comparisons(unshared) == []


def test_a_phase_pooling_processes_recorded_with_other_options_is_warned_about():
    alike = [steady_record(process=p, rounds=20) for p in range(3)]
    assert mixed_records_warnings(alike) == []
    mixed = [
        *alike,
        steady_record(process=3, rounds=16),
        steady_record(process=4, rounds=8, status="failed"),
    ]
    (line,) = mixed_records_warnings(mixed)
    assert line.startswith("cnn paired timing: its processes were recorded with different")
    assert "(rounds 16 and 20)" in line  # the failed process's rounds are not pooled

    def one_time(process, cycles):
        return OneTimeRecord(
            arch="mlp",
            styles=["sequential", "functional"],
            reference="sequential",
            seed=1,
            settings_key="k",
            cycles=cycles,
            order_seed=0,
            process=process,
            backend="jax",
            seconds={},
            build_orders=[],
        )

    lines = mixed_records_warnings([*alike, one_time(0, 6), one_time(1, 3)])
    assert lines == [
        line.replace("cnn paired timing", "jax/mlp one-time costs").replace(
            "rounds 16 and 20", "cycles 3 and 6"
        )
    ]
