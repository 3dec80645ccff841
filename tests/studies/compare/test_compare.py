"""The two-condition gate and the thresholds, on hand-made samples (no I/O, no timing)."""

from __future__ import annotations

import pytest

from grubench.analysis.stats import Sample, given, summarise
from grubench.errors import UserError
from grubench.studies.compare.rows import (
    Group,
    Thresholds,
    compare_groups,
    noise_test,
    regressions,
    relative_change,
    thresholds_from,
    verdict,
)

TH = Thresholds()


def group(arch: str = "gru", **stats: Sample) -> Group:
    return Group("adding", arch, "min", "mse", stats)


def test_rank_test_separates_eight_against_eight_at_p_0_0002():
    low, high = summarise(list(range(1, 9))), summarise(list(range(9, 17)))
    beyond, how, p = noise_test(low, high, TH)
    assert beyond is True
    assert p == pytest.approx(2 / 12870)  # the exact two-sided p of complete separation
    assert how.startswith("Mann–Whitney")


def test_interleaved_samples_are_within_noise():
    odd, even = summarise(list(range(1, 17, 2))), summarise(list(range(2, 17, 2)))
    beyond, _, p = noise_test(odd, even, TH)
    assert beyond is False and p > 0.5


def test_few_samples_use_welch():
    beyond, how, p = noise_test(summarise([1.0, 1.02, 0.99]), summarise([1.2, 1.22, 1.19]), TH)
    assert beyond is True and how.startswith("Welch") and p < 0.001
    # Disjoint but barely apart, with a wide spread: not shown to be real.
    assert noise_test(summarise([1.0, 1.3]), summarise([1.31, 1.6]), TH)[0] is False


def test_no_spread_in_either_run_means_any_difference_is_real():
    assert noise_test(summarise([2.0, 2.0]), summarise([3.0, 3.0]), TH)[0] is True
    assert noise_test(summarise([2.0, 2.0]), summarise([2.0, 2.0]), TH)[0] is False


def test_one_sample_per_run_has_unknown_noise():
    beyond, how, _ = noise_test(summarise([1.0]), summarise([2.0]), TH)
    assert beyond is None and "unknown" in how


def test_summary_statistics_use_welch():
    beyond, how, p = noise_test(given(1.0, 3, 0.01), given(1.2, 3, 0.01), TH)
    assert beyond is True and how.startswith("Welch") and p < 0.01


@pytest.mark.parametrize(
    "worse_by, beyond, exact, expected",
    [
        (0.05, True, False, "unchanged"),  # real but small
        (0.25, False, False, "inconclusive"),  # large but within the noise
        (0.25, None, False, "inconclusive"),  # large, noise unknown
        (0.25, True, False, "regression"),
        (-0.25, True, False, "improvement"),
        (0.01, None, True, "regression"),  # exact kinds need no noise test
    ],
)
def test_verdict_needs_both_conditions(worse_by, beyond, exact, expected):
    threshold = 0.0 if exact else 0.10
    assert verdict(worse_by, threshold, beyond, exact) == expected


def test_relative_change_handles_zero_base():
    assert relative_change(2.0, 2.5) == pytest.approx(0.25)
    assert relative_change(0.0, 0.0) == 0.0
    assert relative_change(0.0, 1.0) == float("inf")


def test_throughput_drop_is_worse_and_time_rise_is_worse():
    fast = group(throughput=summarise([100.0] * 6), sec_per_epoch=summarise([1.0] * 6))
    slow = group(throughput=summarise([80.0] * 6), sec_per_epoch=summarise([1.25] * 6))
    base, new = {("adding", "gru"): fast}, {("adding", "gru"): slow}
    rows = {r.metric: r for r in compare_groups(base, new, TH)}
    assert rows["throughput"].worse_by == pytest.approx(0.20)
    assert rows["sec_per_epoch"].worse_by == pytest.approx(0.25)
    assert {r.verdict for r in rows.values()} == {"regression"}


def test_normalised_times_cancel_a_uniformly_slower_machine():
    raw0, raw1 = [1.0, 1.02, 0.98, 1.01, 0.99, 1.0], [2.0, 2.04, 1.96, 2.02, 1.98, 2.0]
    g0 = group(sec_per_epoch=summarise(raw0))
    g1 = group(sec_per_epoch=summarise(raw1))
    # The same samples in probe units: the NEW machine's probe took twice as long too.
    n0 = Group(**{**g0.__dict__, "norm": {"sec_per_epoch": summarise([x / 0.005 for x in raw0])}})
    n1 = Group(**{**g1.__dict__, "norm": {"sec_per_epoch": summarise([x / 0.010 for x in raw1])}})
    (raw,) = compare_groups({("adding", "gru"): n0}, {("adding", "gru"): n1}, TH, normalise=False)
    (norm,) = compare_groups({("adding", "gru"): n0}, {("adding", "gru"): n1}, TH)
    assert raw.verdict == "regression" and raw.change == pytest.approx(1.0)
    assert norm.verdict == "unchanged" and norm.change == pytest.approx(0.0) and norm.normalised
    assert (norm.base, norm.base_norm) == (pytest.approx(1.0), pytest.approx(200.0))


def test_ratio_regressions_gate_only_when_asked():
    base = {("adding", "gru/lstm"): group("gru/lstm", sec_per_epoch=summarise([1.0] * 6))}
    new = {("adding", "gru/lstm"): group("gru/lstm", sec_per_epoch=summarise([1.3] * 6))}
    (row,) = compare_groups(base, new, TH)
    assert row.kind == "ratio" and not row.normalised and row.verdict == "regression"
    assert regressions([row]) == []
    (gated,) = compare_groups(base, new, Thresholds(gate_ratios=True))
    assert regressions([gated]) == [gated]


def test_a_new_failed_trial_is_a_regression():
    base = {("adding", "gru"): group(failures=given(0.0, 2))}
    new = {("adding", "gru"): group(failures=given(1.0, 2))}
    (row,) = compare_groups(base, new, TH)
    assert row.change == 1.0 and row.verdict == "regression"


def test_thresholds_override_and_validate():
    th = thresholds_from(TH, {"time": 0.15, "gate_ratios": True, "min_samples": 4}, "x")
    assert (th.time, th.gate_ratios, th.min_samples, th.metric) == (0.15, True, 4, 0.05)
    for bad in (
        {"speed": 0.1},
        {"time": -1},
        {"alpha": 1.5},
        {"gate_ratios": 1},
        {"min_samples": 1},
    ):
        with pytest.raises(UserError):
            thresholds_from(TH, bad, "x")


def test_throughput_shares_the_time_test_in_the_holm_family():
    sec0 = [1.0, 1.01, 0.99, 1.02, 0.98, 1.03, 0.97, 1.04]
    sec1 = [x + 0.3 for x in sec0]
    base = {
        ("adding", "gru"): group(
            sec_per_epoch=summarise(sec0), throughput=summarise([1 / x for x in sec0])
        )
    }
    new = {
        ("adding", "gru"): group(
            sec_per_epoch=summarise(sec1), throughput=summarise([1 / x for x in sec1])
        )
    }
    rows = compare_groups(base, new, TH)
    # One test in the family: the adjusted p is the raw p (2/12870), not twice it.
    assert [r.p_adjusted for r in rows] == [pytest.approx(2 / 12870)] * 2
