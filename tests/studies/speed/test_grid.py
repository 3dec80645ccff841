"""The claims' timing grid: its FLOP reference and the reuse of a finished grid."""

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from grubench.studies.speed.grid import Grid, flop_ratio, load_or_run


def test_flop_reference_is_three_quarters_at_equal_hidden_and_about_one_at_equal_params():
    g = Grid()
    assert flop_ratio("hidden", 512, g) == pytest.approx(0.75, abs=0.01)
    assert flop_ratio("params", 512, g) == pytest.approx(1.0, abs=0.02)


def test_a_grid_measured_on_the_same_points_is_reused_and_another_is_not(tmp_path: Path):
    grid = Grid(hidden=(64,), seq_len=(5,), rounds=3)
    kept = {"grid": json.loads(json.dumps(asdict(grid))), "rows": [{"ratio": 0.8}]}
    (tmp_path / "timing.json").write_text(json.dumps(kept))
    assert load_or_run(grid, tmp_path, execute=False)["rows"] == [{"ratio": 0.8}]
    other = Grid(hidden=(128,), seq_len=(5,), rounds=3)
    assert load_or_run(other, tmp_path, execute=False) is None
