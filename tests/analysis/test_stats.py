"""The statistics module on constructed numbers: sample summaries, the small-n interval rules,
the sign-flip test with ties, and P(GRU better) with its exact interval."""

import math

import numpy as np
import pytest

from grubench.analysis.stats import (
    better_interval,
    given,
    mean_interval,
    p_floor,
    paired_test,
    pairs_needed,
    quantiles,
    sign_flip_p,
    summarise,
)


def test_summarise_gives_median_and_inclusive_quartiles():
    s = summarise([1.0, 2.0, 3.0, 4.0, 5.0])
    assert (s.median, s.q1, s.q3, s.n) == (3.0, 2.0, 4.0, 5)
    assert s.iqr == 2.0
    assert s.rel_iqr == pytest.approx(2 / 3)
    assert s.values == (1.0, 2.0, 3.0, 4.0, 5.0)


def test_one_value_has_zero_width_and_no_values_have_no_centre():
    s = summarise([7.0])
    assert (s.median, s.iqr, s.n, s.lo, s.hi, s.interval) == (7.0, 0.0, 1, 7.0, 7.0, "range")
    assert math.isnan(s.std)
    empty = summarise([None, float("nan")])
    assert (empty.n, empty.center, empty.interval) == (0, None, "")
    assert all(math.isnan(v) for v in quantiles([], [0.25, 0.75]))


def test_six_values_get_the_student_t_interval():
    s = summarise([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    # mean 3.5 ± t(0.975, 5) · sd / √6 = 3.5 ± 2.5706 · 1.8708 / 2.4495
    assert (s.lo, s.hi) == pytest.approx((1.53669, 5.46331), abs=1e-5)
    assert s.interval == "t"
    assert s.std == pytest.approx(1.8708287)


def test_three_values_or_fewer_give_their_range_and_say_so():
    s = summarise([0.3, 0.1, 0.2])
    assert (s.lo, s.hi, s.interval) == (0.1, 0.3, "range")
    assert mean_interval([2.0, 2.0, 2.0, 2.0]) == (2.0, 2.0)
    assert all(math.isnan(v) for v in mean_interval([]))


def test_a_nominal_95_interval_covers_93_to_97_percent_of_normal_samples_at_n_6():
    # 4000 samples: the coverage's standard error is 0.34%, so the band is about ±6 SE wide
    # and only a wrong interval (the percentile bootstrap covers 86% here) falls out.
    rng = np.random.default_rng(20260101)
    samples = rng.normal(10.0, 2.0, size=(4000, 6))
    covered = [lo <= 10.0 <= hi for lo, hi in map(mean_interval, samples)]
    assert 0.93 <= np.mean(covered) <= 0.97


def test_given_sample_holds_a_summary_tables_centre_and_scales():
    g = given(2.0, 4, std=0.5)
    assert (g.center, g.mean, g.n, g.std, g.values, g.interval) == (2.0, 2.0, 4, 0.5, (), "given")
    assert given(None, 3).center is None
    s = summarise([1.0, 2.0, 3.0, 4.0]).scaled(10.0)
    assert (s.median, s.q1, s.values) == (25.0, 17.5, (10.0, 20.0, 30.0, 40.0))


def test_zero_differences_neither_change_the_sign_flip_p_nor_count_toward_its_floor():
    with_ties = [0.1, 0.1, 0.1, 0.1, 0.0, 0.0]
    assert sign_flip_p(with_ties) == pytest.approx(2 / 2**4)  # 2 of the 16 flips of 4 pairs
    assert sign_flip_p(with_ties) == sign_flip_p(with_ties[:4])
    p = paired_test(np.array(with_ties) + 1.0, np.ones(6), "max")
    assert (p.ties, p.min_p) == (2, 2 / 2**4)  # the floor of 6 non-zero pairs would be 2/64
    assert p.p_wilcoxon == pytest.approx(0.125)  # zero differences dropped, as in the floor
    assert p.winner == "no clear difference"


def test_eight_pairs_with_two_ties_reach_the_floor_of_six():
    p = paired_test([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 3, 4, 5, 6, 7], "min")
    assert p.p_perm == pytest.approx(2 / 2**6) and p.min_p == pytest.approx(2 / 2**6)
    assert p.winner == "lstm"
    assert (p.p_a_better, p.p_a_better_lo) == (0.125, 0.0)  # two ties count half: 1/8


def test_floor_and_pairs_needed():
    assert [p_floor(m) for m in (0, 1, 5, 6)] == [1.0, 1.0, 0.0625, 0.03125]
    assert pairs_needed(0.05) == 6 and pairs_needed(0.01) == 8


def test_p_better_has_an_exact_clopper_pearson_interval():
    # six wins of six: the lower end is 0.025^(1/6)
    assert better_interval(6, 0, 6) == pytest.approx((0.025 ** (1 / 6), 1.0))
    assert better_interval(0, 0, 6) == pytest.approx((0.0, 1 - 0.025 ** (1 / 6)))
    # four wins, one tie, one loss: lower end counts the tie lost (4/6), upper end won (5/6)
    assert better_interval(4, 1, 6) == pytest.approx((0.222778, 0.995789), abs=1e-6)


def test_consistent_paired_difference_over_eight_seeds_names_the_winner():
    lstm = np.array([0.30, 0.25, 0.40, 0.35, 0.28, 0.33, 0.31, 0.29])
    gru = lstm - np.array([0.05, 0.04, 0.06, 0.05, 0.03, 0.05, 0.04, 0.06])
    p = paired_test(gru, lstm, "min")
    assert p.p_perm == pytest.approx(2 / 2**8)  # every sign agrees: the exact minimum
    assert p.p_wilcoxon == pytest.approx(2 / 2**8)
    assert p.winner == "gru"
    assert p.p_a_better == 1.0 and p.p_a_better_lo == pytest.approx(0.025 ** (1 / 8))
    assert p.diff == pytest.approx(-0.0475)
    assert p.diff_hi < 0 and p.interval == "t"  # the interval excludes no difference


def test_symmetric_differences_give_no_clear_difference():
    lstm = np.full(6, 1.0)
    gru = lstm + np.array([0.1, -0.1, 0.2, -0.2, 0.05, -0.05])
    p = paired_test(gru, lstm, "min")
    assert p.p_perm == pytest.approx(1.0)
    assert p.winner == "no clear difference"
    assert p.p_a_better == 0.5
    assert p.diff_lo < 0 < p.diff_hi


def test_three_seeds_can_never_be_significant_and_get_a_range():
    p = paired_test([1.0, 1.0, 1.0], [2.0, 2.5, 3.0], "min")
    assert p.min_p == 0.25 and p.p_perm == pytest.approx(0.25)
    assert p.winner == "no clear difference"
    assert (p.interval, p.diff_lo, p.diff_hi) == ("range", -2.0, -1.0)


def test_a_single_pair_is_never_significant():
    p = paired_test([1.0], [2.0], "min")
    assert (p.n, p.p_perm, p.p_wilcoxon, p.winner) == (1, 1.0, 1.0, "no clear difference")


def test_higher_is_better_direction_and_ratio_of_a_doubling():
    b = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    p = paired_test(2 * b, b, "max")
    assert p.winner == "gru"
    assert p.ratio == pytest.approx(2.0)
    assert (p.ratio_lo, p.ratio_hi) == pytest.approx((2.0, 2.0))
    assert paired_test(b, 2 * b, "max").winner == "lstm"


def test_ratio_interval_is_the_t_interval_of_the_mean_log_ratio():
    ratios = np.array([1.1, 1.3, 0.9, 1.2, 1.0, 1.25])
    p = paired_test(ratios, np.ones(6), "min")
    lo, hi = mean_interval(np.log(ratios))
    assert (p.ratio_lo, p.ratio_hi) == pytest.approx((math.exp(lo), math.exp(hi)))


def test_ratio_is_undefined_when_a_value_is_zero_and_no_pairs_give_nans():
    assert math.isnan(paired_test([0.0, 1.0], [1.0, 1.0], "max").ratio)
    p = paired_test([], [], "min")
    assert p.n == 0 and math.isnan(p.p_perm) and p.winner == "no clear difference"
