"""Verdict rules on constructed findings: each combination gives its verdict and condition."""

import math

import numpy as np
import pytest

from grubench.analysis.findings import from_ratio, paired_finding, ratio_finding
from grubench.analysis.learned import NOT_LEARNED, learned
from grubench.analysis.verdicts import (
    AGAINST,
    CONTRADICTED,
    DEPENDS,
    FOR,
    INCONCLUSIVE,
    NONE,
    SUPPORTED,
    Finding,
    adjust,
    combine,
    hedged,
    holm,
    judge,
)

NOISE = np.array([0.01, -0.01, 0.02, -0.02, 0.005, -0.005, 0.015, -0.015, 0.0, 0.012])
BOTH = {"gru": True, "lstm": True}


def f(cond, outcome, decisive=True):
    return Finding(cond, outcome, "", decisive=decisive)


def test_unhedged_claims_need_every_decisive_condition():
    assert combine([f("x", FOR), f("y", FOR), f("z", AGAINST, False)]).verdict == SUPPORTED
    assert combine([f("x", NONE), f("y", NONE)]).verdict == INCONCLUSIVE
    assert combine([]).verdict == INCONCLUSIVE
    mix = combine([f("x", FOR), f("y", NONE), f("z", AGAINST)])
    assert (mix.verdict, mix.condition) == (DEPENDS, "holds for x; reversed for z")
    assert combine([f("x", AGAINST), f("y", AGAINST)]).verdict == CONTRADICTED


def test_a_hedged_claim_is_never_contradicted_by_a_single_condition():
    claim = "a GRU may beat an LSTM"
    assert hedged(claim) and not hedged("GRUs have fewer parameters")
    one = combine([f("x", AGAINST), f("y", NONE)], claim)
    assert one.verdict == INCONCLUSIVE and "only one decisive condition against: x" in one.condition
    # An indecisive condition against does not add to the count.
    assert combine([f("x", AGAINST), f("y", AGAINST, False)], claim).verdict == INCONCLUSIVE
    assert combine([f("x", AGAINST), f("y", AGAINST)], claim).verdict == CONTRADICTED
    # "may" is shown by one condition where it holds.
    assert combine([f("x", FOR), f("y", NONE)], claim).verdict == SUPPORTED
    assert combine([f("x", FOR), f("y", AGAINST)], claim).verdict == DEPENDS


def test_holm_adjusts_like_the_textbook():
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_within_a_claim_turns_a_lone_marginal_p_into_nothing():
    def t(name, p):
        return Finding(name, NONE, "", kind="timing", lean=FOR, p=p, min_p=0.0, better="gru")

    alone = adjust([t("x", 0.03)])
    assert alone[0].outcome == FOR and alone[0].p_holm == pytest.approx(0.03)
    three = adjust([t("x", 0.03), t("y", 0.5), t("z", 0.001)])
    assert [g.outcome for g in three] == [NONE, NONE, FOR]
    assert [g.p_holm for g in three] == pytest.approx([0.06, 0.5, 0.003])


def test_exact_ratios_count_only_beyond_the_five_percent_band():
    assert from_ratio("c", 0.74, 0.76, "params").outcome == FOR
    assert from_ratio("c", 0.96, 1.04, "FLOPs").outcome == NONE
    g = from_ratio("c", 1.2, 1.3, "FLOPs")
    assert g.outcome == AGAINST and g.interval == (1.2, 1.3)


def test_learned_means_reaching_the_target_or_clearing_the_baseline_by_the_margin():
    mse = 0.05 + NOISE
    assert learned(mse, 0.167, "min", target=0.06)  # median 0.053 reaches 0.06
    assert not learned(mse, 0.167, "min", target=0.01)
    acc = 0.6 + NOISE
    assert learned(acc, 0.5, "max", margin=0.05)
    assert not learned(acc, 0.5, "max", margin=0.11)  # interval's low end ~0.59 < 0.61
    assert not learned([], 0.5, "max")


def test_a_condition_no_arch_learned_reads_not_learned_and_counts_for_nothing():
    gru, lstm = 0.16 + NOISE, 0.20 + NOISE  # GRU clearly lower, but both near the trivial 0.167
    never = {"gru": False, "lstm": False}
    g = paired_finding("T=200", gru, lstm, "min", "lstm", "mse", never)
    assert g.note == NOT_LEARNED and g.lean == AGAINST
    (out,) = adjust([g])
    assert out.outcome == NONE and out.p_holm is None  # left out of the Holm family
    v = combine([out], "an LSTM may be preferred")
    assert (v.verdict, v.condition) == (INCONCLUSIVE, f"{NOT_LEARNED} by either arch")


def test_a_winner_that_did_not_learn_is_no_evidence():
    gru, lstm = 0.10 + NOISE, 0.30 + NOISE
    g = paired_finding("d", gru, lstm, "min", "gru", "mse", {"gru": False, "lstm": True})
    (out,) = adjust([g])
    assert out.lean == FOR and out.outcome == NONE
    assert out.note == "GRU wins but did not learn the task"
    ok = adjust([paired_finding("d", gru, lstm, "min", "gru", "mse", BOTH)])[0]
    assert ok.outcome == FOR


def test_a_loser_stopped_short_of_its_budget_without_learning_is_no_evidence():
    gru, lstm = 0.10 + NOISE, 0.30 + NOISE
    won = {"gru": True, "lstm": False}
    short = paired_finding("d", gru, lstm, "min", "gru", "mse", won, True, {"lstm": False})
    (out,) = adjust([short])
    assert out.outcome == NONE and out.note == "LSTM neither learned nor used its whole budget"
    ended = paired_finding("d", gru, lstm, "min", "gru", "mse", won, True, {"lstm": True})
    assert adjust([ended])[0].outcome == FOR  # it trained to its end and still lost


def test_paired_finding_reports_the_effect_interval_and_p_gru_better():
    gru, lstm = 0.10 + NOISE, 0.15 + NOISE[::-1]
    g = paired_finding("x", gru, lstm, "min", "gru", "mse", BOTH)
    d = gru - lstm
    assert g.effect == pytest.approx(d.mean())
    half = 2.262 * d.std(ddof=1) / math.sqrt(10)  # t(0.975, 9)
    assert g.interval == pytest.approx((d.mean() - half, d.mean() + half), abs=1e-3)
    assert g.p_gru_better == 1.0
    lo, hi = g.p_gru_better_interval
    assert hi == 1.0 and lo == pytest.approx(0.6915, abs=1e-3)  # Clopper–Pearson 10/10
    assert g.p == pytest.approx(2 / 2**10)


def test_three_seeds_are_underpowered_and_say_so():
    g = paired_finding("x", [0.1, 0.11, 0.12], [0.2, 0.21, 0.22], "min", "gru", "mse", BOTH)
    (out,) = adjust([g])
    assert out.min_p == 0.25 and out.underpowered and out.outcome == NONE
    assert combine([out], "x").condition.startswith("underpowered")


def test_ratio_finding_leans_to_the_cheaper_arch_with_a_t_interval():
    logs = np.log([0.7, 0.72, 0.75, 0.69, 0.71])
    g = ratio_finding("same loop", logs, "train step")
    assert g.lean == FOR and g.effect == pytest.approx(math.exp(logs.mean()))
    assert g.interval[0] < g.effect < g.interval[1] < 1
    assert g.p_gru_better == 1.0
    assert ratio_finding("x", np.log([1.3, 1.4, 1.2]), "t").lean == AGAINST


def test_judge_applies_holm_and_carries_the_scope():
    def t(name, p, lean):
        return Finding(name, NONE, "", kind="timing", lean=lean, p=p, min_p=0.0)

    v = judge(
        [t("x", 0.001, FOR), t("y", 0.002, AGAINST)], "so GRUs train faster", {"device": "cpu"}
    )
    assert (v.verdict, v.condition) == (DEPENDS, "holds for x; reversed for y")
    assert v.scope == {"device": "cpu"}
    assert v.findings[1].as_dict()["p_holm"] == pytest.approx(0.002)
