"""Claim charts: exact ratios against size, ratio forest, and metric against a swept value."""

import pytest
from fake_records import paired_records

from grubench.studies.claims import plots as claim_plots
from grubench.studies.claims.judge import param_ratios
from grubench.studies.speed import plots as speed_plots


def test_exact_ratio_chart_plots_three_quarters_at_equal_hidden():
    fig = claim_plots.exact_ratios(param_ratios())
    params = fig.axes[0].get_lines()[0]
    assert list(params.get_xdata()) == [16, 64, 256, 1024]
    assert all(0.75 <= y < 0.76 for y in params.get_ydata())


def test_ratio_forest_has_one_row_per_comparison_in_order():
    rows = [("s/epoch, equal hidden", 1.5, 1.4, 1.6, "lstm"), ("seq/s", 0.7, 0.6, 0.8, "lstm")]
    fig = claim_plots.ratio_forest(rows, "t")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["seq/s", "s/epoch, equal hidden"]  # drawn bottom-up, read top-down


def test_sweep_panel_puts_each_value_on_the_x_axis():
    recs = paired_records([0.1] * 3, [0.2] * 3, params={"length": 25})
    recs += paired_records([0.3] * 3, [0.1] * 3, params={"length": 100})
    fig = claim_plots.sweep_panels([(recs, "length", "adding")], "e")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "length"
    gru, lstm = (c.lines[0] for c in ax.containers)  # each arch's mean line
    assert list(gru.get_ydata()) == pytest.approx([0.1, 0.3])
    assert list(lstm.get_ydata()) == pytest.approx([0.2, 0.1])


def test_crossover_draws_one_line_per_implementation_and_the_flop_reference():
    rows = [
        {
            "impl": impl,
            "match": "hidden",
            "hidden": h,
            "seq_len": 50,
            "ratio": r,
            "ratio_lo": r - 0.1,
            "ratio_hi": r + 0.1,
            "flop_ratio": 0.75,
        }
        for impl, rs in (("oneDNN on", (1.5, 0.9)), ("one loop", (0.8, 0.7)))
        for h, r in zip((64, 256), rs, strict=True)
    ]
    fig = speed_plots.crossover(rows)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(labels) == ["FLOP ratio", "one loop, T=50", "oneDNN on, T=50"]
    flops = next(line for line in ax.get_lines() if line.get_label() == "FLOP ratio")
    assert list(flops.get_ydata()) == [0.75, 0.75]
    assert list(ax.containers[0].lines[0].get_ydata()) == pytest.approx([1.5, 0.9])
