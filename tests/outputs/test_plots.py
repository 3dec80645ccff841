"""Charts: labelled axes, one series per arch, and byte-identical PNGs for the same records."""

from pathlib import Path

import pytest
from fake_records import paired_records

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


def test_same_records_give_identical_png_bytes(tmp_path: Path):
    a = plots.save(plots.cost_bars(_recs(), "adding"), tmp_path / "a.png")
    b = plots.save(plots.cost_bars(_recs(), "adding"), tmp_path / "b.png")
    assert a.read_bytes() == b.read_bytes()
    assert b"Software" not in a.read_bytes()


def test_time_to_target_bars_hatch_the_censored_arch():
    recs = _recs()
    for r in recs[1::2]:
        r["time_to_target_s"] = None
    fig = plots.time_to_target_bars(recs, "adding")
    bars = fig.axes[0].patches
    assert [b.get_hatch() or "" for b in bars] == ["", "//"]
    assert bars[0].get_height() == 2.0  # GRU: KM median of three hits at 2 s
    assert bars[1].get_height() == 4.0  # LSTM: censored at its 4 s of training


def test_whiskers_never_go_negative():
    assert plots.whiskers([1.0], [1.0 + 1e-17], [2.0]).tolist() == [[0.0], [1.0]]
    assert plots.slug("adding length=10") == "adding_length=10"
