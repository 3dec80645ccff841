"""Charts: labelled axes, one series per arch, and byte-identical PNGs for the same records."""

from pathlib import Path

import pytest
from fake_records import paired_records, tuning_records

from grubench.outputs import plots


def _recs():
    return paired_records([0.05, 0.06, 0.04], [0.10, 0.12, 0.11], to_target=2.0)


def test_learning_curves_show_both_archs_against_epoch_and_time():
    fig = plots.learning_curves(_recs(), "adding")
    by_epoch, by_time = fig.axes
    assert by_epoch.get_xlabel() == "epoch"
    assert by_time.get_xlabel().startswith("training time (s")
    assert by_epoch.get_ylabel() == "validation mse"
    assert [t.get_text() for t in by_epoch.get_legend().get_texts()] == ["gru (n=3)", "lstm (n=3)"]
    gru_line = by_epoch.get_lines()[0]
    assert list(gru_line.get_xdata()) == [1, 2, 3, 4]
    # the mean validation curve ends at the mean final metric (0.05)
    assert gru_line.get_ydata()[-1] == pytest.approx(0.05)


def test_runs_of_a_single_epoch_are_drawn_as_points_with_error_bars():
    recs = paired_records([0.05, 0.06, 0.04], [0.10, 0.12, 0.11], epochs=1)
    by_epoch, _ = plots.learning_curves(recs, "adding").axes
    gru = by_epoch.get_lines()[0]
    assert gru.get_marker() == "o" and list(gru.get_xdata()) == [1]
    assert by_epoch.containers  # the interval as an error bar, not a band of zero width


def test_same_records_give_identical_png_bytes(tmp_path: Path):
    a = plots.save(plots.cost_bars(_recs(), "adding"), tmp_path / "a.png")
    b = plots.save(plots.cost_bars(_recs(), "adding"), tmp_path / "b.png")
    assert a.read_bytes() == b.read_bytes()
    assert b"Software" not in a.read_bytes()


def test_time_to_target_is_drawn_as_kaplan_meier_steps_with_censoring_ticks():
    recs = _recs()
    for r in recs[1::2]:
        r["time_to_target_s"] = None  # the LSTM never gets there: censored at its 4 s
    ax = plots.time_to_target_km(recs, "adding").axes[0]
    gru, gru_ticks, _, lstm, lstm_ticks, _, horizon = ax.get_lines()
    assert list(gru.get_xdata()) == [0.0, 2.0, 4.0]  # all three GRU runs reach it at 2 s
    assert list(gru.get_ydata()) == [0.0, 1.0, 1.0]
    assert gru.get_drawstyle() == "steps-post" and len(gru_ticks.get_xdata()) == 0
    assert list(lstm.get_ydata()) == [0.0, 0.0] and list(lstm_ticks.get_xdata()) == [4.0] * 3
    assert list(horizon.get_xdata()) == [2.0, 2.0]  # τ of the restricted mean, as in the table
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["gru (3/3)", "lstm (0/3)"]
    assert ax.get_xlabel() == "training time (s)"


def test_lr_curve_has_a_log_axis_medians_and_a_ring_at_the_chosen_lr():
    tunes = tuning_records("gru", {0.001: [0.3, 0.5, 0.4], 0.01: [0.1, 0.2, 0.3]})
    tunes += tuning_records("lstm", {0.001: [0.2, 0.2, 0.2], 0.01: [0.6, 0.5, 0.4]})
    ax = plots.lr_curves(tunes, {"gru": 0.01, "lstm": 0.001}, "adding").axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel().startswith("learning rate")
    gru, gru_ring, lstm, lstm_ring = ax.get_lines()
    assert list(gru.get_ydata()) == [0.4, 0.2]  # medians over the tuning seeds
    assert (list(gru_ring.get_xdata()), list(gru_ring.get_ydata())) == ([0.01], [0.2])
    assert (list(lstm_ring.get_xdata()), list(lstm_ring.get_ydata())) == ([0.001], [0.2])


def test_lr_curve_marks_the_rates_tuning_could_not_tell_apart_and_bridges_only_neighbours():
    grid = {0.001: [0.3, 0.4], 0.003: [0.2, 0.3], 0.01: [0.5, 0.6], 0.03: [0.25, 0.3]}
    tunes = tuning_records("gru", grid) + tuning_records("lstm", grid)
    within = {"gru": (0.001, 0.003), "lstm": (0.003, 0.03)}  # the LSTM's two are not neighbours
    fig = plots.lr_curves(tunes, {"gru": 0.003, "lstm": 0.003}, "adding", within)
    ax = fig.axes[0]
    pale = [line for line in ax.get_lines() if line.get_alpha() == 0.18]
    blobs = [
        (line.get_color(), list(line.get_xdata())) for line in pale if len(line.get_xdata()) == 1
    ]
    bars = [list(line.get_xdata()) for line in pale if len(line.get_xdata()) == 2]
    assert sorted(x for _, (x,) in blobs) == [0.001, 0.003, 0.003, 0.03]
    assert bars == [[0.001, 0.003]]  # the GRU's; none across 0.01 for the LSTM
    assert "band: within 1 SE" in ax.get_title()
    plain = plots.lr_curves(tunes, {"gru": 0.003, "lstm": 0.003}, "adding").axes[0]
    assert not [line for line in plain.get_lines() if line.get_alpha() == 0.18]


def test_whiskers_never_go_negative():
    assert plots.whiskers([1.0], [1.0 + 1e-17], [2.0]).tolist() == [[0.0], [1.0]]
    assert plots.slug("adding length=10") == "adding_length=10"
