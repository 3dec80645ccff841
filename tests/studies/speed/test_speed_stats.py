import math

import pytest

from grubench.analysis.stats import crossing, paired_ratios, summarise
from grubench.studies.speed.stats import (
    CONVERGED,
    MAX_REPEATS,
    TIME_CAP,
    gflops,
    percent_of,
    stop_reason,
    train_flops,
)


def test_paired_ratios_divide_round_by_round():
    assert paired_ratios([2.0, 3.0, 8.0], [1.0, 3.0, 4.0]) == [2.0, 1.0, 2.0]
    with pytest.raises(ValueError):
        paired_ratios([1.0], [1.0, 2.0])


def test_paired_ratio_cancels_a_slow_spell_that_hits_both_archs():
    # round 3 ran while the machine was busy: both times triple, the ratio does not move
    gru, lstm = [2.0, 2.0, 6.0, 2.0], [1.0, 1.0, 3.0, 1.0]
    assert summarise(paired_ratios(gru, lstm)).iqr == 0.0
    assert summarise(gru).rel_iqr > 0


def test_stop_reason_converges_only_after_min_rounds_with_tight_iqrs():
    tight = {"a": [1.0, 1.01, 0.99, 1.0, 1.0], "b": [2.0, 2.0, 2.01, 1.99, 2.0]}
    assert stop_reason(tight, 5, 0.1, 5, 30, 0.05, 10) == CONVERGED
    assert stop_reason({k: v[:4] for k, v in tight.items()}, 4, 0.1, 5, 30, 0.05, 10) is None


def test_stop_reason_waits_for_the_noisiest_arch():
    mixed = {"a": [1.0] * 6, "b": [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]}
    assert stop_reason(mixed, 6, 0.1, 5, 30, 0.05, 10) is None
    assert stop_reason(mixed, 30, 0.1, 5, 30, 0.05, 10) == MAX_REPEATS
    assert stop_reason(mixed, 6, 11.0, 5, 30, 0.05, 10) == TIME_CAP


def test_time_cap_never_stops_before_min_rounds():
    noisy = {"a": [1.0, 3.0]}
    assert stop_reason(noisy, 2, 100.0, 5, 30, 0.05, 10) is None


def test_flop_arithmetic():
    assert gflops(3e9, 1.5) == pytest.approx(2.0)
    assert train_flops(10.0) == 30.0
    assert percent_of(25.0, 200.0) == 12.5


def test_the_crossing_is_interpolated_in_log_log_between_the_last_length_at_or_above_one():
    # Ratio 2 at 64, 0.5 at 256: log r falls from log 2 to -log 2, so it crosses halfway in log
    # T, at 128; rounds that all agree give an interval of that one point.
    c = crossing([64, 256], [[2.0] * 5, [0.5] * 5])
    assert c.where == "within"
    assert c.at == pytest.approx(128.0)
    assert (c.lo, c.hi) == (pytest.approx(128.0), pytest.approx(128.0))
    # A dip below 1 that comes back does not count: the last length at or above 1 decides.
    c = crossing([64, 128, 256, 512], [[0.8] * 3, [1.0] * 3, [1.2] * 3, [0.6] * 3])
    assert 256 < c.at < 512
    # Lengths out of order are sorted with their ratios.
    assert crossing([256, 64], [[0.5] * 5, [2.0] * 5]).at == pytest.approx(128.0)


def test_no_crossing_within_the_grid_says_which_side():
    faster = crossing([64, 128], [[0.5] * 4, [0.4] * 4])
    assert (faster.where, faster.at) == ("below", 64.0)
    slower = crossing([64, 128], [[1.5] * 4, [1.2] * 4])
    assert slower.where == "above" and math.isinf(slower.at) and math.isinf(slower.lo)
    assert slower.lengths == (64, 128)


def test_noisy_rounds_widen_the_interval_to_the_lengths_that_could_hold_the_crossing():
    # At 128 the rounds straddle 1: some resamples cross before 128, some after it.
    c = crossing(
        [64, 128, 256], [[3.0] * 9, [0.7, 0.8, 0.9, 0.95, 1.05, 1.1, 1.2, 1.3, 0.85], [0.3] * 9]
    )
    assert c.where == "within"
    assert 64 < c.lo < 128 < c.hi < 256
    assert c.lo <= c.at <= c.hi
    # The same draws for the same seed: the interval is reproducible.
    again = crossing(
        [64, 128, 256], [[3.0] * 9, [0.7, 0.8, 0.9, 0.95, 1.05, 1.1, 1.2, 1.3, 0.85], [0.3] * 9]
    )
    assert (again.lo, again.hi) == (c.lo, c.hi)
