"""Verdict rules on constructed findings: each combination gives its verdict and condition."""

import numpy as np

from grubench.analysis.stats import paired_test
from grubench.analysis.verdicts import (
    AGAINST,
    CONTRADICTED,
    DEPENDS,
    FOR,
    INCONCLUSIVE,
    NONE,
    SUPPORTED,
    Finding,
    beats_baseline,
    combine,
    from_logrank,
    from_paired,
    from_ratio,
)


def f(cond, outcome):
    return Finding(cond, outcome, "")


def test_all_for_is_supported_and_nothing_significant_is_inconclusive():
    assert combine([f("x", FOR), f("y", FOR)]).verdict == SUPPORTED
    assert combine([f("x", NONE), f("y", NONE)]).verdict == INCONCLUSIVE
    assert combine([]).verdict == INCONCLUSIVE


def test_a_mix_depends_and_names_where_the_claim_holds():
    v = combine([f("equal hidden", FOR), f("equal params", NONE)])
    assert v.verdict == DEPENDS
    assert v.condition == "holds for equal hidden"
    v = combine([f("short", FOR), f("long", AGAINST)])
    assert v.condition == "holds for short; reversed for long"


def test_against_without_any_for_is_contradicted():
    assert combine([f("a", AGAINST), f("b", AGAINST)]).verdict == CONTRADICTED
    v = combine([f("a", AGAINST), f("b", NONE)])
    assert (v.verdict, v.condition) == (CONTRADICTED, "a")


def test_exact_ratios_count_only_beyond_the_five_percent_band():
    assert from_ratio("c", 0.75, 0.76, "params").outcome == FOR
    assert from_ratio("c", 0.98, 1.046, "FLOPs").outcome == NONE
    assert from_ratio("c", 1.2, 1.3, "FLOPs").outcome == AGAINST
    assert "×0.750–0.760" in from_ratio("c", 0.75, 0.76, "params").evidence


def test_paired_finding_follows_the_significant_winner_and_the_favoured_arch():
    lstm = np.arange(1.0, 9.0)
    faster_gru = paired_test(lstm * 0.5, lstm, "min")
    assert from_paired("s/epoch", faster_gru, "s/epoch").outcome == FOR
    assert from_paired("T=100", faster_gru, "mse", favoured="lstm").outcome == AGAINST
    noise = paired_test(lstm + np.array([1, -1, 1, -1, 1, -1, 1, -1]) * 0.1, lstm, "min")
    assert from_paired("s/epoch", noise, "s/epoch").outcome == NONE
    assert "p=" in from_paired("s/epoch", faster_gru, "s/epoch").evidence


def test_a_winner_that_does_not_beat_the_trivial_baseline_is_no_evidence():
    lstm = np.full(8, 0.60) + np.linspace(0, 0.01, 8)
    gru = lstm - 0.2  # significantly better, yet still worse than trivial (0.35)
    p = paired_test(gru, lstm, "min")
    learned = {"gru": beats_baseline(gru, 0.35, "min"), "lstm": beats_baseline(lstm, 0.35, "min")}
    assert learned == {"gru": False, "lstm": False}
    f = from_paired("copy delay=40", p, "test metric", favoured="lstm", learned=learned)
    assert f.outcome == NONE and "does not beat the trivial baseline" in f.evidence
    assert from_paired("x", p, "m", favoured="lstm", learned={"gru": True}).outcome == AGAINST
    assert beats_baseline([12.0, 14.0, 13.0], 0.0, "max")
    assert not beats_baseline([0.0, 1.0, 0.0], 0.0, "max")


def test_time_to_target_counts_only_with_a_significant_log_rank():
    assert from_logrank("tt", 2.0, 5.0, 0.01, "6/6").outcome == FOR
    assert from_logrank("tt", 5.0, 2.0, 0.01, "6/6").outcome == AGAINST
    assert from_logrank("tt", 2.0, 5.0, 0.30, "6/6").outcome == NONE
