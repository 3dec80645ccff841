import pytest

from grubench.analysis.stats import summarise
from grubench.studies.speed.stats import (
    CONVERGED,
    MAX_REPEATS,
    TIME_CAP,
    gflops,
    paired_ratios,
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
