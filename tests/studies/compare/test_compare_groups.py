"""Grouping a run's records into samples per task × arch, raw and in probe units."""

from __future__ import annotations

import pytest
from synthetic_runs import TRUTH, make_run

from grubench.studies.compare.groups import groups_of
from grubench.studies.compare.load import load_run


def test_groups_hold_per_epoch_samples_and_seed_paired_ratios(tmp_path):
    run = load_run(make_run(tmp_path / "a", 0, noise=0.0), "BASE")
    g = groups_of(run.records, None, run.info)
    assert set(g) == {("adding", "gru"), ("adding", "lstm"), ("adding", "gru/lstm")}
    gru = g[("adding", "gru")].stats
    assert gru["sec_per_epoch"].n == 6  # 2 seeds × 3 epochs
    assert gru["sec_per_epoch"].center == pytest.approx(TRUTH["gru"]["epoch"])
    assert gru["throughput"].center == pytest.approx(1000 / TRUTH["gru"]["epoch"])
    ratio = g[("adding", "gru/lstm")].stats["sec_per_epoch"]
    assert ratio.n == 6 and ratio.center == pytest.approx(1.2)


def test_trial_probes_turn_times_into_probe_units(tmp_path):
    run = load_run(make_run(tmp_path / "a", 0, noise=0.0, probe=0.002, op_probe=0.0005), "BASE")
    g = groups_of(run.records, None, run.info, probe="trial")[("adding", "lstm")]
    assert g.norm["sec_per_epoch"].center == pytest.approx(0.10 / 0.002, rel=0.02)
    assert g.norm["latency_ms"].center == pytest.approx(0.17e-3 / 0.0005, rel=0.02)
    assert g.stats["latency_ms"].center == pytest.approx(0.17)  # raw stays in ms
    assert groups_of(run.records, None, run.info)[("adding", "lstm")].norm == {}
