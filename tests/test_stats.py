"""Statistics on values whose answers are known by hand."""

import math

import pytest

from bench.stats import (
    DIFFERENT,
    EQUIVALENT,
    INCONCLUSIVE,
    TOO_FEW,
    compare,
    describe,
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


def test_identical_accuracies_are_equivalent():
    c = compare("test_accuracy", [0.99, 0.98], [0.99, 0.98], margin=0.2, relative=False)
    assert (c.diff, c.ci95_low, c.ci95_high, c.verdict) == (0.0, 0.0, 0.0, EQUIVALENT)


def test_accuracy_difference_is_in_points():
    c = compare("test_accuracy", [0.991, 0.992, 0.990], [0.981, 0.980, 0.982], margin=0.2,
                relative=False)  # fmt: skip
    assert c.diff == pytest.approx(1.0)
    assert c.verdict == DIFFERENT


def test_times_are_compared_in_percent_of_reference():
    c = compare("steady_step_ms", [11.0, 22.0, 33.0], [10.0, 20.0, 30.0], margin=5, relative=True)
    assert c.diff == pytest.approx(10.0)
    assert c.ci95_low == pytest.approx(10.0)
    assert c.verdict == DIFFERENT


def test_noisy_times_are_inconclusive():
    c = compare("train_seconds", [9.0, 11.5, 10.0], [10.0, 10.0, 10.0], margin=5, relative=True)
    assert c.ci95_low < -5 or c.ci95_high > 5
    assert c.verdict == INCONCLUSIVE


def test_one_pair_is_too_few():
    c = compare("train_seconds", [10.0], [10.0], margin=5, relative=True)
    assert c.verdict == TOO_FEW


def test_unpaired_lengths_are_rejected():
    with pytest.raises(ValueError, match="received 2 and 1"):
        compare("x", [1.0, 2.0], [1.0], margin=1, relative=True)
