"""Statistics on values whose answers are known by hand."""

import math

import pytest

from bench.analysis.stats import (
    AT_MARGIN,
    BEYOND,
    EQUIVALENT,
    INCONCLUSIVE,
    TOO_FEW,
    UNCLEAR,
    WITHIN,
    compare_log_ratios,
    compare_points,
    compare_ratios,
    describe,
    paired_comparisons,
    verdict,
    verdict_kind,
)


def test_describe_known_sample():
    s = describe([1.0, 2.0, 3.0, 4.0, 5.0])
    assert (s.n, s.mean, s.min, s.max) == (5, 3.0, 1.0, 5.0)
    assert s.stdev == pytest.approx(math.sqrt(2.5))
    # t(0.975, df=4) = 2.776445; sem = sqrt(2.5)/sqrt(5)
    half = 2.776445 * math.sqrt(2.5) / math.sqrt(5)
    assert s.ci95_low == pytest.approx(3 - half, rel=1e-6)
    assert s.ci95_high == pytest.approx(3 + half, rel=1e-6)
    assert s.cv == pytest.approx(math.sqrt(2.5) / 3)
    assert s.unstable


def test_describe_single_value_has_no_spread():
    s = describe([7.5])
    assert (s.n, s.mean, s.stdev, s.ci95_low, s.ci95_high) == (1, 7.5, None, None, None)
    assert not s.unstable


def test_describe_constant_sample_has_point_interval():
    s = describe([0.99, 0.99, 0.99])
    assert s.stdev == 0
    assert s.ci95_low == s.ci95_high == pytest.approx(0.99)


def test_describe_rejects_empty():
    with pytest.raises(ValueError, match="empty"):
        describe([])


def test_stable_timing_is_not_flagged():
    assert not describe([10.0, 10.1, 9.9, 10.05]).unstable


def _ratios(percent_changes):
    """Candidate times that differ from a reference of 10 s by the given percentages."""
    return [10 * (1 + p / 100) for p in percent_changes], [10.0] * len(percent_changes)


# Non-degenerate samples (every one has a spread), one for each verdict, margin ±3 %.
@pytest.mark.parametrize(
    ("percent_changes", "expected"),
    [
        ([0.4, -0.5, 0.2, -0.1, 0.3, -0.4], EQUIVALENT),  # around 0, well inside ±3 %
        ([1.0, 1.4, 0.8, 1.2, 1.1, 0.9], WITHIN),  # +1.1 %, real but inside the margin
        ([9.0, 11.0, 10.0, 12.0, 8.0, 10.5], BEYOND),  # +10 %, wholly beyond ±3 %
        ([4.9, 1.9, 8.0, 3.0, 6.5, 5.0], UNCLEAR),  # excludes 0, straddles the margin
        ([3.0, 3.4, 2.6, 3.2, 2.8, 3.1], AT_MARGIN),  # +3 % to within ±0.5 %: the margin's size
        ([5.0, -6.0, 7.0, -4.0, 2.0, -3.0], INCONCLUSIVE),  # noise wider than the margin
        ([2.0], TOO_FEW),
    ],
)
def test_each_verdict_on_samples_with_spread(percent_changes, expected):
    c = compare_ratios("steady_step_ms", *_ratios(percent_changes), margin_percent=3)
    assert c.kind == expected, c


def test_a_difference_inside_the_margin_that_excludes_zero_is_not_plainly_different():
    # The example: +4.9 % [+1.9, +8.0] against ±5 % was once labelled "different".
    c = compare_ratios("x", *_ratios([4.9, 1.9, 8.0, 3.0, 6.5, 5.0]), margin_percent=5)
    assert c.kind == AT_MARGIN  # [+2.6 %, +7.2 %]: narrower than the margin, across its edge
    assert c.ci95_low > 1 and c.ci95_high > 1.05 > c.estimate


def test_ratios_are_geometric_means_so_either_direction_gives_the_inverse():
    forward = compare_ratios("x", [12.0, 8.0, 11.0], [10.0, 10.0, 10.0], margin_percent=3)
    backward = compare_ratios("x", [10.0, 10.0, 10.0], [12.0, 8.0, 11.0], margin_percent=3)
    assert forward.estimate == pytest.approx(1 / backward.estimate)
    assert forward.ci95_low == pytest.approx(1 / backward.ci95_high)
    assert forward.estimate == pytest.approx((1.2 * 0.8 * 1.1) ** (1 / 3))


def test_equivalence_uses_the_90_percent_interval_tost():
    c = compare_log_ratios("x", [0.035, -0.005, 0.03, 0.0, 0.015, 0.015], margin_percent=3)
    assert c.ci90_low > c.ci95_low and c.ci90_high < c.ci95_high
    # The 90 % interval is inside ±3 % while the 95 % one is not: TOST says equivalent.
    band = (1 / 1.03, 1.03)
    assert band[0] <= c.ci90_low and c.ci90_high <= band[1]
    assert c.ci95_high > band[1] or c.ci95_low < band[0]
    assert c.verdict == EQUIVALENT


def test_the_verdict_function_partitions_by_the_intervals():
    assert verdict((-0.01, 0.02), (-0.005, 0.015), 0.03) == EQUIVALENT
    assert verdict((0.005, 0.02), (0.007, 0.018), 0.03) == WITHIN
    assert verdict((0.04, 0.09), (0.05, 0.08), 0.03) == BEYOND
    assert verdict((-0.09, -0.04), (-0.08, -0.05), 0.03) == BEYOND
    assert verdict((0.01, 0.09), (0.02, 0.08), 0.03) == UNCLEAR
    # straddling the margin's edge, no wider than the margin: the difference is about its size
    assert verdict((0.02, 0.049), (0.025, 0.045), 0.03) == AT_MARGIN
    assert verdict((-0.045, -0.016), (-0.04, -0.02), 0.03) == AT_MARGIN
    assert verdict((0.02, 0.051), (0.025, 0.046), 0.03) == UNCLEAR
    assert verdict((-0.02, 0.05), (-0.01, 0.04), 0.03) == INCONCLUSIVE
    assert verdict(None, None, 0.03) == TOO_FEW


def test_accuracy_differences_are_in_points_with_the_same_rules():
    c = compare_points("test_accuracy", [0.991, 0.992, 0.990], [0.981, 0.980, 0.982], 0.2)
    assert c.estimate == pytest.approx(1.0)
    assert c.unit == "points"
    assert c.verdict == "higher, beyond margin" and c.direction == "higher"
    same = compare_points("test_accuracy", [0.99, 0.98], [0.99, 0.98], 0.2)
    assert (same.estimate, same.ci95_low, same.verdict) == (0.0, 0.0, EQUIVALENT)


def test_a_verdict_names_its_direction_in_the_metrics_words():
    slower = compare_ratios("x", *_ratios([9.0, 11.0, 10.0, 12.0]), margin_percent=3)
    assert (slower.verdict, slower.kind) == ("slower, beyond margin", BEYOND)
    faster = compare_ratios("x", *_ratios([-9.0, -11.0, -10.0, -12.0]), margin_percent=3)
    assert faster.verdict == "faster, beyond margin"
    throughput = compare_ratios("x", *_ratios([-9.0, -11.0, -10.0, -12.0]), 3, ("more", "less"))
    assert throughput.verdict == "less, beyond margin"
    same = compare_ratios("x", [1.0, 1.0], [1.0, 1.0], 3)
    assert (same.verdict, same.kind) == (EQUIVALENT, EQUIVALENT)
    assert verdict_kind("faster, size unclear") == UNCLEAR
    assert verdict_kind(TOO_FEW) == TOO_FEW


def test_paired_comparisons_divide_round_by_round():
    seconds = {
        "train_step": {"sequential": [1.0, 2.0, 1.0], "functional": [1.1, 2.2, 1.1]},
        "latency": {"sequential": [1.0, 1.0], "functional": [1.0, 1.0]},
    }
    found = paired_comparisons([seconds], "sequential", 3)
    assert [(m, s) for m, s, _ in found] == [
        ("train_step", "functional"),
        ("latency", "functional"),
    ]
    assert found[0][2].estimate == pytest.approx(1.1)
    assert found[0][2].kind == BEYOND  # a constant +10 %: a zero-width interval
    assert found[1][2].verdict == EQUIVALENT


def test_with_several_processes_the_process_is_the_unit():
    # Each process alone is sure of itself (+5 % in one, -4 % in the other, tight within), as
    # single-image latency was in two real runs. Pooled, the interval spans the disagreement.
    def process(factor, rounds=50):
        jitter = [1 + 0.002 * ((i % 5) - 2) for i in range(rounds)]
        return {
            "latency": {"sequential": [1.0] * rounds, "functional": [factor * j for j in jitter]}
        }

    one, other = process(1.05), process(0.96)
    assert paired_comparisons([one], "sequential", 3)[0][2].kind == BEYOND
    assert paired_comparisons([other], "sequential", 3)[0][2].kind == BEYOND
    pooled = paired_comparisons([one, other], "sequential", 3)[0][2]
    assert pooled.n == 2
    assert pooled.ci95_low < 0.96 and pooled.ci95_high > 1.05
    assert pooled.verdict == INCONCLUSIVE


def test_unpaired_lengths_are_rejected():
    with pytest.raises(ValueError, match="received 2 and 1"):
        compare_ratios("x", [1.0, 2.0], [1.0], margin_percent=1)
