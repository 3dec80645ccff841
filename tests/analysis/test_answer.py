"""The per-task answer: a winner only where the evidence holds, and every reason there is none."""

import pytest
from fake_records import paired_records, record, tuning_records

from grubench.analysis.answer import CUT, NO_PAIRS, SHORT, SOLVED, UNDERPOWERED, answers
from grubench.analysis.learned import (
    LEARN_MARGIN,
    NOT_LEARNED,
    budget_used_by,
    counts,
    learned,
    learned_by,
    used_budget,
)
from grubench.analysis.stats import NO_WINNER
from grubench.outputs.sections import verdict_line

GRU = [0.05, 0.06, 0.04, 0.05, 0.07, 0.05]
LSTM = [0.10, 0.12, 0.11, 0.10, 0.13, 0.12]


def _one(recs):
    (a,) = answers(recs)
    return a


def test_a_clear_converged_learned_difference_names_the_winner():
    a = _one(paired_records(GRU, LSTM, converged=True, target=None))
    assert (a.winner, a.reason, a.better) == ("gru", "", "gru")
    assert a.paired.p_perm == pytest.approx(2 / 64)
    assert a.learned == {"gru": True, "lstm": True}
    assert a.capped == {"gru": 0, "lstm": 0} and a.unknown == {"gru": 0, "lstm": 0}


def test_a_run_at_its_equal_budget_counts_and_a_run_cut_by_wall_time_withholds_the_winner():
    recs = paired_records(GRU, LSTM, converged=True, target=None)
    recs[-1].update(converged=False, stop_reason="steps")  # the loser used its whole budget
    a = _one(recs)
    assert (a.winner, a.reason, a.capped, a.cut) == (
        "gru",
        "",
        {"gru": 0, "lstm": 1},
        {"gru": 0, "lstm": 0},
    )
    assert a.unknown_at_cap == 0  # its convergence is known: it is not an unknown at the cap
    assert "At equal steps: runs that ended at the budget while still improving: LSTM 1/6." in (
        verdict_line(a)
    )
    recs[-1].update(stop_reason="seconds")  # the safety net measured the kernel, not the cell
    a = _one(recs)
    assert (a.winner, a.reason, a.cut) == (None, CUT, {"gru": 0, "lstm": 1})
    assert "Runs cut by the wall-clock safety net" in verdict_line(
        a
    ) and "LSTM 1/6" in verdict_line(a)


def test_a_diverged_run_is_reported_as_diverged_never_as_capped():
    # Six clean pairs plus a seventh LSTM run that diverged (older records wrote converged =
    # False for it; newer ones None): the answer stands on the six and names the divergence.
    recs = paired_records(GRU, LSTM, converged=True, target=None)
    for converged in (False, None):
        bad = record("lstm", 6, 0.5, status="diverged", converged=converged, target=None)
        bad["test_metric"] = None
        (a,) = answers([*recs, bad])
        assert (a.winner, a.reason) == ("gru", ""), converged
        assert a.capped == {"gru": 0, "lstm": 0} and a.unknown == {"gru": 0, "lstm": 0}
        assert a.diverged == {"gru": 0, "lstm": 1}
        assert "Diverged (left out of the pairs): LSTM 1/7." in verdict_line(a)


def test_a_winner_that_does_not_beat_the_trivial_baseline_by_the_margin_has_not_learned():
    # baseline 0.167: the GRU's interval must end below 0.167 × 0.9 = 0.150
    near = [0.155, 0.156, 0.154, 0.155, 0.157, 0.155]
    a = _one(paired_records(near, [0.2] * 6, converged=True, target=None))
    assert (a.winner, a.reason, a.better) == (None, NOT_LEARNED, "gru")
    assert a.paired.winner == "gru"  # the test alone would have named it
    assert a.learned["gru"] is False


def test_a_target_the_winners_mean_misses_means_not_learned():
    a = _one(paired_records(GRU, LSTM, converged=True, target=0.01))
    assert a.reason == NOT_LEARNED and a.target == 0.01
    assert _one(paired_records(GRU, LSTM, converged=True, target=0.06)).winner == "gru"


def test_four_pairs_are_underpowered_however_consistent():
    a = _one(paired_records(GRU[:4], LSTM[:4], converged=True, target=None))
    assert (a.winner, a.reason) == (None, UNDERPOWERED)
    assert a.paired.min_p == 2 / 16 and a.paired.p_perm == pytest.approx(2 / 16)


def test_ties_make_six_pairs_underpowered():
    lstm = [0.05, 0.06, 0.10, 0.10, 0.13, 0.12]  # two pairs equal: four left to flip
    a = _one(paired_records(GRU, lstm, converged=True, target=None))
    assert (a.reason, a.paired.ties, a.paired.min_p) == (UNDERPOWERED, 2, 2 / 16)


def test_mixed_signs_over_six_pairs_give_no_clear_difference():
    lstm = [0.06, 0.05, 0.05, 0.04, 0.08, 0.04]
    a = _one(paired_records(GRU, lstm, converged=True, target=None))
    assert (a.winner, a.reason) == (None, NO_WINNER)
    assert a.paired.min_p < 0.05 < a.paired.p_perm


def test_no_shared_seeds_give_no_complete_pairs():
    recs = [record("gru", s, 0.05, target=None) for s in range(3)]
    recs += [record("lstm", s, 0.1, target=None) for s in range(3, 6)]
    assert _one(recs).reason == NO_PAIRS


def test_older_records_leave_convergence_unknown_but_still_answer():
    recs = paired_records(GRU, LSTM, target=None, stop_reason="epochs")
    a = _one(recs)
    assert a.winner == "gru"
    assert a.unknown == {"gru": 6, "lstm": 6} and a.unknown_at_cap == 12


def test_tuning_trials_do_not_enter_the_answer():
    recs = paired_records(GRU, LSTM, converged=True, target=None)
    recs += tuning_records("lstm", {0.1: [0.0] * 6}, converged=False, target=None)
    a = _one(recs)
    assert a.winner == "gru" and a.runs == {"gru": 6, "lstm": 6}


def test_each_setting_answers_in_its_own_direction():
    recs = paired_records([0.9] * 6, [0.6] * 6, task="acc", direction="max", target=None)
    recs = [{**r, "converged": True} for r in recs]
    recs += paired_records(GRU, LSTM, converged=True, target=None)
    assert [(a.setting, a.winner) for a in answers(recs)] == [("acc", "gru"), ("adding", "gru")]


def test_learned_needs_the_margin_the_target_and_beats_a_zero_baseline_by_anything():
    assert LEARN_MARGIN == 0.10
    assert learned([0.149, 0.149, 0.149, 0.149], 0.167, "min")
    assert not learned([0.151, 0.151, 0.151, 0.151], 0.167, "min")
    assert learned([0.6, 0.6, 0.6], 0.5, "max") and not learned([0.54, 0.6, 0.6], 0.5, "max")
    assert learned([1.0, 1.0, 2.0], 0.0, "max") and not learned([0.0, 1.0, 2.0], 0.0, "max")
    assert not learned([0.02] * 4, 0.167, "min", target=0.01)
    assert not learned([], 0.167, "min")


def test_pairs_that_all_tie_show_no_difference_rather_than_too_few_pairs():
    a = _one(paired_records(GRU, GRU, converged=True, target=None))
    assert (a.winner, a.reason, a.better) == (None, NO_WINNER, None)
    assert a.paired.ties == 6


def _solved(gru_secs, lstm_secs):
    """Every run stopped on reaching the target 0.01, GRU a little further below it."""
    recs = []
    for seed, (g, m) in enumerate(zip(gru_secs, lstm_secs, strict=True)):
        for arch, secs, mse in (("gru", g, 0.003), ("lstm", m, 0.006)):
            recs.append(
                record(arch, seed, mse, to_target=secs, stop_reason="target", converged=True)
            )
    return recs


def test_when_every_run_stopped_at_the_target_the_pair_is_judged_on_time_to_target():
    # The GRU ends further below the target in every pair (0.003 vs 0.006) but reached it no
    # sooner: where each stopped is no win.
    a = _one(_solved([2.0, 3.1, 2.2, 2.9, 2.5, 2.6], [2.1, 3.0, 2.3, 2.8, 2.4, 2.7]))
    assert (a.winner, a.reason, a.compared) == (None, SOLVED, "seconds to target")
    assert a.paired.mean_a == pytest.approx(sum([2.0, 3.1, 2.2, 2.9, 2.5, 2.6]) / 6)
    # The LSTM reaching it sooner in every pair names it the winner.
    a = _one(_solved([4.0, 4.2, 3.9, 4.1, 4.4, 4.0], [2.0, 2.1, 1.9, 2.2, 2.0, 2.1]))
    assert (a.winner, a.reason) == ("lstm", "")
    assert a.paired.p_perm == pytest.approx(2 / 64)
    assert "compared instead: seconds to target" in verdict_line(a)


def test_learned_is_judged_on_validation_not_on_the_test_split():
    # Test metrics a clear GRU win; validation says the GRU never left the trivial level.
    recs = paired_records(GRU, LSTM, converged=True, target=None)
    for r in recs:
        if r["arch"] == "gru":
            r["best_val_metric"] = 0.16
    a = _one(recs)
    assert a.learned == {"gru": False, "lstm": True} and a.reason == NOT_LEARNED
    # The validation baseline, where recorded, is the one the validation scores are held to.
    for r in recs:
        r.update(val_baseline=0.30, best_val_metric=0.20)
    assert learned_by(recs, ("gru", "lstm")) == {"gru": True, "lstm": True}


def test_the_margin_is_the_tasks_where_it_declares_one():
    recs = paired_records(GRU, LSTM, converged=True, target=None, learned_margin=0.09)
    assert learned_by(recs, ("gru", "lstm")) == {"gru": True, "lstm": False}  # 0.167 − 0.09


def test_a_run_used_its_budget_unless_cut_diverged_or_stopped_on_patience_under_protocol_1():
    ok = {"status": "ok"}
    assert all(used_budget({**ok, "stop_reason": s}) for s in ("target", "steps", "epochs"))
    assert used_budget({**ok, "stop_reason": "patience", "protocol": 2})
    assert not used_budget({**ok, "stop_reason": "patience"})  # protocol 1: maybe on the plateau
    assert not used_budget({**ok, "stop_reason": "seconds", "protocol": 2})
    assert not used_budget({"status": "diverged", "stop_reason": "diverged", "protocol": 2})


def test_a_loser_that_neither_learned_nor_used_its_budget_withholds_the_winner():
    recs = paired_records(GRU, [0.2] * 6, converged=True, target=None, protocol=2)
    for r in recs:
        r["stop_reason"] = "patience"
    assert _one(recs).winner == "gru"  # the LSTM did not learn, but trained to its end
    recs[-1]["stop_reason"] = "patience"
    recs[-1]["protocol"] = 1  # one LSTM run stopped where it may still have been on the plateau
    a = _one(recs)
    assert (a.winner, a.reason) == (None, SHORT)
    assert a.budget_used == {"gru": True, "lstm": False}
    assert "LSTM neither learned the task nor used its whole budget" in verdict_line(a)
    assert budget_used_by(recs, ("gru", "lstm")) == {"gru": True, "lstm": False}
    assert counts("gru", {"gru": True, "lstm": False}, {"lstm": False}).startswith("LSTM neither")
    assert counts("gru", {"gru": True, "lstm": True}, {"lstm": False}) == ""
    assert (
        counts("lstm", {"gru": True, "lstm": False}, {}) == "LSTM wins but did not learn the task"
    )


def test_an_answer_carries_the_settings_facts_in_its_own_direction():
    # Accuracy (higher is better): mixed signs, so no significant winner, yet the GRU's mean is
    # higher and the answer names it as the better one.
    gru = [0.90, 0.80, 0.92, 0.91, 0.70, 0.93]
    lstm = [0.85, 0.82, 0.86, 0.84, 0.75, 0.83]
    recs = paired_records(gru, lstm, task="acc", direction="max", target=None, converged=True)
    (a,) = answers(recs, alpha=0.01)
    assert (a.task, a.setting, a.metric, a.baseline, a.target) == (
        "acc",
        "acc",
        "accuracy",
        0.5,
        None,
    )
    assert a.alpha == 0.01 and a.winner is None and a.better == "gru"
    assert a.unknown_at_cap == 0
    # The same numbers the other way round: the LSTM is the better mean.
    (b,) = answers(
        paired_records(lstm, gru, task="acc", direction="max", target=None, converged=True)
    )
    assert b.better == "lstm"
    # And a lower-is-better metric reads the opposite way.
    (c,) = answers(paired_records(gru, lstm, target=None, converged=True))
    assert c.better == "lstm" and c.metric == "mse" and c.baseline == 0.167


def test_answers_come_in_suite_order_for_any_two_archs():
    recs = paired_records(GRU, LSTM, task="copy", converged=True, target=None)
    recs += paired_records(GRU, LSTM, converged=True, target=None)
    assert [a.task for a in answers(recs)] == ["copy", "adding"]
    other = [{**r, "arch": "mingru" if r["arch"] == "gru" else "minlstm"} for r in recs]
    (a, _) = answers(other, archs=("mingru", "minlstm"))
    assert (a.winner, a.archs, a.runs) == (
        "mingru",
        ("mingru", "minlstm"),
        {"mingru": 6, "minlstm": 6},
    )


def test_records_without_a_stop_reason_still_answer():
    recs = paired_records(GRU, LSTM, converged=True, target=None)
    for r in recs:
        del r["stop_reason"]
    a = _one(recs)
    assert a.winner == "gru" and a.cut == {"gru": 0, "lstm": 0} and a.unknown_at_cap == 0


def test_a_smallest_p_exactly_at_alpha_is_underpowered():
    a = _one(paired_records(GRU[:5], LSTM[:5], converged=True, target=None))
    assert a.paired.min_p == 2 / 32 and a.reason == UNDERPOWERED
    (b,) = answers(paired_records(GRU[:5], LSTM[:5], converged=True, target=None), alpha=2 / 32)
    assert b.reason == UNDERPOWERED and b.alpha == 2 / 32


def test_a_time_to_target_winner_carries_its_test_and_alpha():
    recs = _solved([4.0, 4.2, 3.9, 4.1, 4.4, 4.0], [2.0, 2.1, 1.9, 2.2, 2.0, 2.1])
    (a,) = answers(recs, alpha=0.01)
    # 2/64 is not below 0.01: no winner at this alpha, though the LSTM was faster every time.
    assert (a.winner, a.reason, a.alpha) == (None, SOLVED, 0.01)
    (b,) = answers(recs)
    assert (b.winner, b.better, b.compared) == ("lstm", "lstm", "seconds to target")
    assert b.paired.winner == "lstm" and b.paired.n == 6


def test_records_missing_a_metric_name_target_or_baseline_still_answer():
    recs = paired_records(GRU, LSTM, converged=True, target=None)
    for r in recs:
        del r["target"]
        r["metric"] = None
        r["baseline"] = None
    a = _one(recs)
    assert (a.metric, a.target, a.baseline) == ("metric", None, None)
    for r in recs:
        del r["metric"], r["baseline"]
    a = _one(recs)
    # No baseline anywhere: nothing shows either arch learned.
    assert (a.metric, a.target, a.baseline, a.reason) == ("metric", None, None, NOT_LEARNED)
