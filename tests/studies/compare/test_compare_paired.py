"""The paired test of an A/B run, on constructed pairs (no I/O, no timing)."""

from __future__ import annotations

import math

import pytest
from scipy import stats as st

from grubench.analysis.stats import paired_change, paired_t, pairs_of, summarise
from grubench.studies.compare.rows import Group, Thresholds, compare_groups

TH = Thresholds()


def test_pairs_match_by_seed_not_by_position():
    base = summarise([1.0, 2.0, 3.0], keys=[0, 1, 2])
    new = summarise([3.3, 1.1], keys=[2, 0])  # seed 1 failed on NEW
    assert pairs_of(base, new) == [(1.0, 1.1), (3.0, 3.3)]


def test_a_steady_20_percent_slowdown_is_beyond_pair_noise():
    base = [0.30, 0.42, 0.25, 0.51, 0.36, 0.28]  # machine load moves each pair a lot…
    wobble = [1.02, 0.99, 1.01, 0.98, 1.00, 1.03]  # …but both trials of a pair alike
    pairs = [(b, b * 1.2 * w) for b, w in zip(base, wobble, strict=True)]
    beyond, how, p = paired_t(pairs, 0.05)
    logs = [math.log(n / b) for b, n in pairs]
    assert p == pytest.approx(st.ttest_1samp(logs, 0).pvalue)
    assert beyond is True and p < 1e-5 and how == f"paired t p={p:.2g} (6 pairs)"
    assert paired_change(pairs) == pytest.approx(1.2 * math.exp(sum(map(math.log, wobble)) / 6) - 1)
    # The same samples unpaired: the spread between pairs hides the change.
    assert st.ttest_ind([b for b, _ in pairs], [n for _, n in pairs]).pvalue > 0.05


def test_noise_in_both_directions_is_not_flagged():
    pairs = [(1.0, 1.05), (1.0, 0.96), (1.0, 1.02), (1.0, 0.97), (1.0, 1.01), (1.0, 0.99)]
    beyond, _, p = paired_t(pairs, 0.05)
    assert beyond is False and p > 0.5


def test_identical_constant_and_single_pairs():
    assert paired_t([(0.15, 0.15), (0.16, 0.16)], 0.05) == (
        False,
        "identical in all 2 pairs",
        None,
    )
    # A deterministic metric that moved the same way in every pair: real, whatever its size.
    assert paired_t([(1.0, 1.1), (2.0, 2.2)], 0.05) == (
        True,
        "the same change in all 2 pairs",
        None,
    )
    assert paired_t([(1.0, 1.3)], 0.05) == (None, "1 pair: spread unknown", None)
    # Not positive: plain differences, and no geometric change.
    assert paired_change([(0.0, 1.0), (1.0, 2.0)]) is None


def test_paired_rows_use_the_pairs_change_and_test():
    def g(values: list[float]) -> dict[tuple[str, str], Group]:
        stats = {"sec_per_epoch": summarise(values, keys=[0, 1, 2, 3])}
        return {("adding", "gru"): Group("adding", "gru", "min", "mse", stats)}

    base = [0.2, 0.4, 0.3, 0.5]
    slow = [x * 1.25 * w for x, w in zip(base, [1.01, 0.99, 1.0, 1.02], strict=True)]
    (row,) = compare_groups(g(base), g(slow), TH, normalise=False, paired=True)
    assert row.verdict == "regression" and row.base_n == 4
    assert row.change == pytest.approx(0.255, abs=0.01)
    assert row.noise.startswith("paired t p=") and row.p_value < 0.001
    (unpaired,) = compare_groups(g(base), g(slow), TH, normalise=False)
    assert unpaired.verdict == "inconclusive"  # Welch's t on the same numbers sees no change
