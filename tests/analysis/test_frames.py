"""Records as tables: settings, the summary per task × arch, and paired frames; tuning trials
and older records without the newer fields."""

import math

import pytest
from fake_records import paired_records, record, tuning_records

from grubench.analysis.frames import paired_frame, settings, summary
from grubench.store import finals_only


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


def test_summary_reports_the_interval_and_counts_failures_without_averaging_them():
    recs = paired_records([0.1, 0.2, 0.3, 0.4], [0.2, 0.2, 0.2, 0.2])
    recs.append(record("gru", 9, 99.0, status="failed"))
    s = summary(recs).set_index("arch")
    assert s.loc["gru", "n"] == 4 and s.loc["gru", "failed"] == 1
    assert s.loc["gru", "metric_mean"] == pytest.approx(0.25)
    assert s.loc["gru", "metric_lo"] <= 0.25 <= s.loc["gru", "metric_hi"]
    assert s.loc["lstm", "metric_std"] == 0.0


def test_tuning_trials_never_enter_the_summary_or_the_pairs():
    recs = paired_records([0.1] * 6, [0.2] * 6, lr=0.01, lr_grid=[0.001, 0.01])
    recs += tuning_records("gru", {0.001: [9.0, 9.0], 0.01: [9.0, 9.0]})
    assert len(finals_only(recs)) == 12
    s = summary(recs).set_index("arch")
    assert s.loc["gru", "n"] == 6 and s.loc["gru", "metric_mean"] == pytest.approx(0.1)
    assert (s.loc["gru", "lr"], s.loc["gru", "lr_grid"]) == (0.01, (0.001, 0.01))
    assert int(paired_frame(recs, "test_metric", "min")["n"].iloc[0]) == 6


def test_summary_counts_converged_and_capped_runs_and_unknown_stays_unknown():
    recs = paired_records([0.1] * 4, [0.2] * 4, converged=True)
    for r in recs[1::2][:3]:
        r["converged"] = False  # three LSTM runs hit the cap while still improving
    recs.append(record("gru", 9, 0.1))  # an older record: convergence unknown
    s = summary(recs).set_index("arch")
    assert (s.loc["gru", "converged"], s.loc["gru", "capped"], s.loc["gru", "n"]) == (4, 0, 5)
    assert (s.loc["lstm", "converged"], s.loc["lstm", "capped"]) == (1, 3)


def test_older_records_take_their_lr_from_the_spec_and_have_no_eval_peak():
    recs = paired_records([0.1] * 2, [0.2] * 2)
    for r in recs:
        r["spec"] = {"train": {"lr": 0.005}}
    s = summary(recs)
    assert list(s["lr"]) == [0.005, 0.005] and list(s["lr_grid"]) == [(), ()]
    assert all(math.isnan(v) for v in s["peak_eval_mb"])
    assert list(s["interval"]) == ["range", "range"]  # two seeds: the range, not an interval


def test_summary_rows_follow_the_settings_then_the_arch_registry():
    recs = paired_records([0.1] * 2, [0.2] * 2, params={"length": 10})
    recs += paired_records([0.1] * 2, [0.2] * 2, params={"length": 20})
    rows = list(zip(*(summary(recs)[c] for c in ("setting", "arch")), strict=True))
    assert rows == [
        ("adding length=10", "gru"),
        ("adding length=10", "lstm"),
        ("adding length=20", "gru"),
        ("adding length=20", "lstm"),
    ]
