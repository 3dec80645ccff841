"""Timing ratios: a ±5% band of "the same cost", and the grid point as the unit of replication."""

from __future__ import annotations

import math

from grubench.analysis.findings import ratio_finding
from grubench.analysis.verdicts import AGAINST, FOR, NONE
from grubench.studies.claims.evidence import timing_findings


def _around(ratio: float, spread: float = 0.02, n: int = 12) -> list[float]:
    return [math.log(ratio) + spread * ((i % 3) - 1) for i in range(n)]


def test_a_ratio_whose_interval_stays_inside_five_percent_is_the_same_cost():
    f = ratio_finding("c", _around(1.047, 0.03), "step")
    lo, hi = f.interval
    assert 1.0 < lo < 1.05 < hi  # significant, yet not past the band
    assert f.lean == NONE
    assert ratio_finding("c", _around(0.80), "step").lean == FOR
    assert ratio_finding("c", _around(1.30), "step").lean == AGAINST
    assert ratio_finding("c", _around(0.97, 0.001), "step").lean == NONE  # tight, inside


def _row(impl, match, hidden, seq_len, ratio, rounds=10):
    return {
        "impl": impl,
        "match": match,
        "hidden": hidden,
        "seq_len": seq_len,
        "log_ratios": [math.log(ratio) + 0.01 * ((i % 2) * 2 - 1) for i in range(rounds)],
    }


def test_a_condition_over_several_grid_points_tests_one_value_per_point():
    loop = "one Python loop (gru-seed, lstm-seed)"
    rows = [_row(loop, "hidden", h, t, 0.75) for h in (64, 128, 256) for t in (25, 100)]
    rows += [_row("torch kernels (oneDNN on)", "hidden", 256, 50, 0.8)]
    timing = {"rows": rows}
    (same,) = timing_findings(timing, shipped=False)
    assert "n=6" in same.evidence and "grid points" in same.evidence  # 6 points, not 60 rounds
    (shipped,) = timing_findings(timing, shipped=True)
    assert "n=10" in shipped.evidence and "rounds" in shipped.evidence  # one point: its rounds
    assert same.lean == shipped.lean == FOR
