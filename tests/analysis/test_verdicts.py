"""Verdict rules on constructed findings: each combination gives its verdict and condition."""

import math

import numpy as np
import pytest

from grubench.analysis.findings import from_ratio, paired_finding, ratio_finding
from grubench.analysis.learned import NOT_LEARNED, learned
from grubench.analysis.stats import holm
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


def test_holm_never_adjusts_above_one():
    assert holm([0.6, 0.7]) == [1.0, 1.0]
    assert holm([]) == []


def _t(name, p, lean=FOR, min_p=0.0, decisive=True, **kw):
    return Finding(
        name, NONE, "", kind="timing", lean=lean, p=p, min_p=min_p, decisive=decisive, **kw
    )


def test_a_p_of_zero_is_a_p_and_counts():
    (g,) = adjust([_t("x", 0.0)])
    assert g.p_holm == 0.0 and g.outcome == FOR


def test_an_adjusted_p_exactly_at_alpha_does_not_count():
    (g,) = adjust([_t("x", 0.05)])
    assert g.p_holm == 0.05 and g.outcome == NONE


def test_context_and_untested_conditions_pass_through_in_order_and_keep_their_raw_p():
    fs = [
        _t("context", 0.001, decisive=False),
        Finding("untested", NONE, "", kind="exact", lean=FOR),
        _t("a", 0.01),
        _t("b", 0.02, lean=AGAINST),
    ]
    out = adjust(fs)
    assert [g.condition for g in out] == ["context", "untested", "a", "b"]
    assert out[0] == fs[0] and out[1] == fs[1]  # untouched: no p_holm, no outcome
    assert [g.outcome for g in out[2:]] == [FOR, AGAINST]
    assert [g.p_holm for g in out[2:]] == pytest.approx([0.02, 0.02])


def test_underpowered_means_the_smallest_p_times_the_family_size_reaches_alpha():
    # Family of two: a floor of 0.025 reaches 0.05 exactly (underpowered), 0.02 does not.
    two = adjust([_t("x", 0.3, min_p=0.025), _t("y", 0.3, min_p=0.02)])
    assert [g.underpowered for g in two] == [True, False]
    # The same floors alone: 0.03 < 0.05.
    assert not adjust([_t("x", 0.3, min_p=0.03)])[0].underpowered
    assert adjust([_t("x", 0.3, min_p=0.03), _t("y", 0.3)])[0].underpowered
    # A test with no floor (a t-test) is never underpowered.
    (g,) = adjust([_t("x", 0.3, min_p=None)])
    assert g.underpowered is False and g.outcome == NONE


def test_every_verdict_carries_its_findings_and_says_why_in_words():
    claim = "a GRU may beat an LSTM"

    def g(name, outcome, **kw):
        return Finding(name, outcome, "", **kw)

    def check(findings, claim, verdict, condition):
        v = combine(findings, claim)
        assert (v.verdict, v.condition) == (verdict, condition)
        assert v.findings == tuple(findings)

    not_learned = g("m", NONE, kind="metric", note=NOT_LEARNED)
    check([not_learned], "", INCONCLUSIVE, f"{NOT_LEARNED} by either arch")
    weak = g("w", NONE, underpowered=True)
    check([weak], "", INCONCLUSIVE, "underpowered: too few seeds to reach significance")
    check([g("x", NONE)], "", INCONCLUSIVE, "no decisive condition was significant")
    check([g("x", FOR), g("y", AGAINST)], claim, DEPENDS, "holds for x; reversed for y")
    check([g("x", FOR), g("y", FOR)], claim, SUPPORTED, "holds for x, y")
    check([g("x", AGAINST), g("y", AGAINST)], claim, CONTRADICTED, "x; y")
    check([g("x", AGAINST)], claim, INCONCLUSIVE, "only one decisive condition against: x")
    check([g("x", FOR), g("y", FOR)], "", SUPPORTED, "")
    # Unhedged: all against reads "contradicted" with no list; some against, some not
    # significant, lists those against.
    check([g("x", AGAINST), g("y", AGAINST)], "", CONTRADICTED, "")
    check([g("x", AGAINST), g("y", NONE), g("z", AGAINST)], "", CONTRADICTED, "x; z")
    check(
        [g("x", FOR), g("y", AGAINST), g("z", AGAINST)],
        "",
        DEPENDS,
        "holds for x; reversed for y, z",
    )
    check([g("x", FOR), g("y", NONE)], "", DEPENDS, "holds for x")
    check(
        [g("x", FOR), g("y", FOR), g("z", AGAINST)], "", DEPENDS, "holds for x, y; reversed for z"
    )


def test_judge_reads_the_claims_hedge():
    v = judge([_t("x", 0.001, lean=AGAINST)], "GRUs may train faster")
    assert (v.verdict, v.condition) == (INCONCLUSIVE, "only one decisive condition against: x")
    assert judge([_t("x", 0.001, lean=AGAINST)], "GRUs train faster").verdict == CONTRADICTED


def test_a_condition_is_stored_with_every_field_and_non_finite_numbers_as_null():
    full = Finding(
        "adding T=100",
        FOR,
        "GRU 0.01 vs LSTM 0.02",
        kind="metric",
        decisive=False,
        learned={"gru": True, "lstm": False},
        budget_used={"gru": True, "lstm": True},
        effect=-0.01,
        interval=(-0.02, math.nan),
        p=0.004,
        p_holm=math.inf,
        p_gru_better=0.9,
        p_gru_better_interval=(0.8, 0.95),
        underpowered=True,
        note="n",
    )
    assert full.as_dict() == {
        "name": "adding T=100",
        "kind": "metric",
        "decisive": False,
        "counts": FOR,
        "learned": {"gru": True, "lstm": False},
        "budget_used": {"gru": True, "lstm": True},
        "effect": -0.01,
        "interval": [-0.02, None],
        "p": 0.004,
        "p_holm": None,
        "p_gru_better": 0.9,
        "p_gru_better_interval": [0.8, 0.95],
        "underpowered": True,
        "note": "n",
        "evidence": "GRU 0.01 vs LSTM 0.02",
    }
    bare = Finding("x", NONE, "e").as_dict()
    assert bare["interval"] is None and bare["p_gru_better_interval"] is None
    assert bare["effect"] is None and bare["p"] is None and bare["decisive"] is True
    assert bare["kind"] == "exact" and bare["underpowered"] is False and bare["note"] == ""
    assert type(Finding("x", NONE, "", effect=1).as_dict()["effect"]) is float
