"""Summaries, bootstrap CIs and paired GRU/LSTM tests on constructed data with known answers."""

import math

import numpy as np
import pytest
from fake_records import paired_records, record

from grubench.analysis.stats import (
    bootstrap_ci,
    describe,
    paired_frame,
    paired_test,
    settings,
    summary,
)


def test_bootstrap_ci_covers_the_true_mean_and_shrinks_with_n():
    rng = np.random.default_rng(1)
    small = rng.normal(5.0, 1.0, 10)
    large = rng.normal(5.0, 1.0, 400)
    lo_s, hi_s = bootstrap_ci(small)
    lo_l, hi_l = bootstrap_ci(large)
    assert lo_s < 5.0 < hi_s and lo_l < 5.0 < hi_l
    assert hi_l - lo_l < (hi_s - lo_s) / 3  # about sqrt(40) narrower
    assert 0.15 < hi_l - lo_l < 0.25  # 2 × 1.96 / sqrt(400) = 0.196


def test_bootstrap_ci_is_reproducible_and_degenerate_data_gives_a_point():
    x = [0.1, 0.4, 0.2, 0.9]
    assert bootstrap_ci(x) == bootstrap_ci(x)
    assert bootstrap_ci([2.0, 2.0, 2.0]) == (2.0, 2.0)
    assert all(math.isnan(v) for v in bootstrap_ci([]))


def test_describe_gives_mean_and_sample_std():
    d = describe([1.0, 2.0, 3.0, 4.0, float("nan")])
    assert d.n == 4
    assert d.mean == 2.5
    assert d.std == pytest.approx(1.2909944, rel=1e-6)
    assert d.lo >= 1.0 and d.hi <= 4.0


def test_consistent_paired_difference_over_eight_seeds_names_the_winner():
    lstm = np.array([0.30, 0.25, 0.40, 0.35, 0.28, 0.33, 0.31, 0.29])
    gru = lstm - np.array([0.05, 0.04, 0.06, 0.05, 0.03, 0.05, 0.04, 0.06])
    p = paired_test(gru, lstm, "min")
    assert p.p_perm == pytest.approx(2 / 2**8)  # every sign agrees: the exact minimum
    assert p.p_wilcoxon == pytest.approx(2 / 2**8)
    assert p.winner == "gru"
    assert p.p_a_better == 1.0
    assert p.diff == pytest.approx(-0.0475)
    assert p.diff_hi < 0  # the CI excludes no difference


def test_symmetric_differences_give_no_clear_difference():
    lstm = np.full(6, 1.0)
    gru = lstm + np.array([0.1, -0.1, 0.2, -0.2, 0.05, -0.05])
    p = paired_test(gru, lstm, "min")
    assert p.p_perm == pytest.approx(1.0)
    assert p.winner == "no clear difference"
    assert p.p_a_better == 0.5
    assert p.diff_lo < 0 < p.diff_hi


def test_three_seeds_can_never_be_significant():
    p = paired_test([1.0, 1.0, 1.0], [2.0, 2.0, 2.0], "min")
    assert p.min_p == 0.25 and p.p_perm == pytest.approx(0.25)
    assert p.winner == "no clear difference"


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


def test_ratio_is_undefined_when_a_value_is_zero():
    p = paired_test([0.0, 1.0], [1.0, 1.0], "max")
    assert math.isnan(p.ratio)


def test_paired_frame_matches_by_seed_and_setting_not_by_order():
    recs = paired_records([0.1] * 6, [0.2] * 6, params={"length": 10})
    recs += paired_records([0.5] * 6, [0.4] * 6, params={"length": 20})
    recs.reverse()  # pairing must not depend on file order
    df = paired_frame(recs, "test_metric", "min").set_index("setting")
    assert list(df["n"]) == [6, 6]
    assert df.loc["adding length=10", "diff"] == pytest.approx(-0.1)
    assert df.loc["adding length=10", "winner"] == "gru"
    assert df.loc["adding length=20", "winner"] == "lstm"


def test_unpaired_and_failed_trials_drop_out_of_the_pairing():
    recs = paired_records([0.1, 0.2, 0.3], [0.2, 0.3, 0.4])
    recs[0]["status"] = "failed"
    recs.append(record("gru", 7, 0.1))
    df = paired_frame(recs, "test_metric", "min")
    assert int(df["n"].iloc[0]) == 2


def test_setting_labels_name_only_the_parameters_that_vary():
    recs = [
        record("gru", 0, 0.1, params={"length": 10, "n_train": 50}),
        record("gru", 0, 0.1, params={"length": 20, "n_train": 50}),
        record("gru", 0, 0.5, task="anbn", params={"max_n": 10}, direction="max"),
    ]
    assert settings(recs) == ["adding length=10", "adding length=20", "anbn"]


def test_summary_reports_ci_and_counts_failures_without_averaging_them():
    recs = paired_records([0.1, 0.2, 0.3, 0.4], [0.2, 0.2, 0.2, 0.2])
    recs.append(record("gru", 9, 99.0, status="failed"))
    s = summary(recs).set_index("arch")
    assert s.loc["gru", "n"] == 4 and s.loc["gru", "failed"] == 1
    assert s.loc["gru", "metric_mean"] == pytest.approx(0.25)
    assert s.loc["gru", "metric_lo"] <= 0.25 <= s.loc["gru", "metric_hi"]
    assert s.loc["lstm", "metric_std"] == 0.0
