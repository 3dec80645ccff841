"""Censored time to target: Kaplan–Meier median, restricted mean and the log-rank test."""

import math

import pytest
from fake_records import record

from grubench.analysis.survival import (
    km_median,
    logrank_p,
    rmst,
    survival_curve,
    time_to_target,
    time_to_target_frame,
)

TIMES = [1.0, 2.0, 3.0, 10.0, 10.0]


def test_censored_runs_count_toward_the_median_instead_of_being_dropped():
    reached = [True, True, True, False, False]
    assert km_median(TIMES, reached) == 3.0
    dropped = km_median(TIMES[:3], reached[:3])
    assert dropped == 2.0  # dropping the two failures would flatter the arch


def test_kaplan_meier_steps_and_restricted_mean_by_hand():
    t, s = survival_curve(TIMES, [True, True, True, False, False])
    assert list(t[:4]) == [0.0, 1.0, 2.0, 3.0]
    assert list(s[:4]) == pytest.approx([1.0, 0.8, 0.6, 0.4])
    # area: 1·1 + 0.8·1 + 0.6·1 + 0.4·7
    assert rmst(TIMES, [True, True, True, False, False], 10.0) == pytest.approx(5.2)
    assert rmst(TIMES, [True, True, True, False, False], 2.5) == pytest.approx(2.1)


def test_no_median_when_fewer_than_half_reach_the_target():
    summary = time_to_target(TIMES, [True, True, False, False, False])
    assert math.isnan(summary.median)
    assert summary.reached == 2 and summary.n == 5
    assert summary.rmst == pytest.approx(1 + 0.8 + 0.6 * 8)


def test_nobody_reaching_it_gives_a_flat_curve_and_the_full_horizon():
    assert rmst([4.0, 5.0], [False, False], 5.0) == 5.0
    assert math.isnan(km_median([4.0, 5.0], [False, False]))


def _timed(arch, seed, to_target, sec_per_epoch=1.0, epochs=20, **fields):
    return record(
        arch, seed, 0.05, sec_per_epoch=sec_per_epoch, to_target=to_target, epochs=epochs, **fields
    )


def test_frame_uses_one_horizon_for_both_archs_and_censors_at_training_time():
    recs = [_timed("gru", s, 2.0 + s) for s in range(4)]
    recs += [_timed("lstm", s, None, epochs=8) for s in range(4)]
    df = time_to_target_frame(recs).set_index("arch")
    # The horizon is as long as both curves are known: every GRU run reached the target (its
    # curve is 0 from 5 s on), the LSTM's were censored at 8 s, so both means are over [0, 8].
    assert df.loc["gru", "tau"] == df.loc["lstm", "tau"] == 8.0
    assert df.loc["gru", "median"] == 3.0
    assert df.loc["gru", "rmst"] == pytest.approx(2 + 0.75 + 0.5 + 0.25)
    assert df.loc["lstm", "reached"] == 0 and df.loc["lstm", "rmst"] == 8.0
    # A GRU censored at 5 s shortens it to 5: past that its curve is unknown.
    recs[3] = _timed("gru", 3, None, epochs=5)
    df = time_to_target_frame(recs).set_index("arch")
    assert df.loc["gru", "tau"] == 5.0 and df.loc["lstm", "rmst"] == 5.0
    epochs = time_to_target_frame(recs, "epochs").set_index("arch")
    assert epochs.loc["gru", "median"] == 3.0


def test_logrank_separates_fast_from_never_and_not_equal_archs():
    fast = [_timed("gru", s, 1.0 + 0.1 * s) for s in range(8)]
    never = [_timed("lstm", s, None) for s in range(8)]
    assert logrank_p(fast + never, "gru", "lstm")["p_logrank"].iloc[0] < 0.001
    same = [_timed("lstm", s, 1.0 + 0.1 * s) for s in range(8)]
    assert logrank_p(fast + same, "gru", "lstm")["p_logrank"].iloc[0] > 0.5


def test_steps_to_target_are_censored_like_seconds_and_older_records_have_none():
    recs = [
        _timed("gru", s, 2.0 + s, steps_to_target=40 * (s + 1), steps_run=200) for s in range(4)
    ]
    recs += [_timed("lstm", s, None, epochs=8, steps_run=320) for s in range(4)]
    steps = time_to_target_frame(recs, "steps").set_index("arch")
    assert steps.loc["gru", "median"] == 80.0 and steps.loc["gru", "reached"] == 4
    assert steps.loc["lstm", "reached"] == 0 and steps.loc["lstm", "max_time"] == 320
    old = [_timed("gru", 0, 2.0), _timed("lstm", 0, None)]
    assert time_to_target_frame(old, "steps").empty
