"""Scaling arithmetic: medians, ranges and speed-ups paired within a repetition."""

from __future__ import annotations

import pytest
from scale_helpers import TINY_TOML
from typer.testing import CliRunner

from grubench.cli import app
from grubench.studies.scaling import Sample, summarise


def _s(workers: int, rep: int, seconds: float) -> Sample:
    return Sample(workers, 2 // workers, rep, seconds, 8, 0, 1.0)


def test_speedup_is_the_median_of_paired_ratios_not_a_ratio_of_medians():
    samples = [_s(1, 0, 40.0), _s(2, 0, 20.0), _s(1, 1, 30.0), _s(2, 1, 25.0)]
    samples += [_s(1, 2, 36.0), _s(2, 2, 24.0)]
    one, two = summarise(samples)
    assert (one.median_s, one.min_s, one.max_s, one.speedup) == (36.0, 30.0, 40.0, 1.0)
    assert two.median_s == 24.0 and two.threads == 1
    assert two.speedup == pytest.approx(1.5)  # ratios 2.0, 1.2, 1.5
    assert (two.speedup_min, two.speedup_max) == (pytest.approx(1.2), pytest.approx(2.0))


@pytest.mark.slow
def test_scaling_command_times_interleaved_sweeps(tmp_path):
    suite = tmp_path / "tiny.toml"
    suite.write_text(TINY_TOML)
    result = CliRunner().invoke(
        app,
        [
            "scaling",
            str(suite),
            "--repeats",
            "1",
            "--warmup",
            "0",
            "--out",
            str(tmp_path / "s.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Sweep wall time by workers" in result.output and (tmp_path / "s.json").exists()
