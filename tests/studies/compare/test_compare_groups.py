"""Grouping a run's records into samples per task × arch, raw and in probe units."""

from __future__ import annotations

import pytest
from synthetic_runs import TRUTH, make_run

from grubench.studies.compare.groups import groups_of, task_labels
from grubench.studies.compare.load import load_run


def test_groups_hold_one_sample_per_trial_keyed_by_seed(tmp_path):
    run = load_run(make_run(tmp_path / "a", 0, noise=0.0), "BASE")
    g = groups_of(run.records, None, run.info)
    assert set(g) == {("adding", "gru"), ("adding", "lstm"), ("adding", "gru/lstm")}
    gru = g[("adding", "gru")].stats
    assert gru["sec_per_epoch"].n == 2  # 2 seeds, not 2 × 3 epochs
    assert gru["sec_per_epoch"].keys == (0, 1)
    assert gru["sec_per_epoch"].center == pytest.approx(TRUTH["gru"]["epoch"])
    assert gru["throughput"].center == pytest.approx(1000 / TRUTH["gru"]["epoch"])
    ratio = g[("adding", "gru/lstm")].stats["sec_per_epoch"]
    assert ratio.n == 2 and ratio.center == pytest.approx(1.2)


def test_a_trials_sample_is_its_fastest_epoch(tmp_path):
    # Interference only adds time: two disturbed epochs (0.5, 0.3) leave the sample at 0.2.
    run = load_run(make_run(tmp_path / "a", 0, noise=0.0, seeds=1), "BASE")
    records = [dict(r) for r in run.records]
    gru = next(r for r in records if r["arch"] == "gru")
    gru["history"] = [{"epoch_seconds": s} for s in (0.5, 0.2, 0.3, 0.21)]
    stat = groups_of(tuple(records), None, run.info)[("adding", "gru")].stats["sec_per_epoch"]
    assert stat.values == (0.2,)


def test_groups_are_keyed_by_task_parameters(tmp_path):
    run = load_run(make_run(tmp_path / "a", 0, noise=0.0, seeds=2), "BASE")
    records = [dict(r) for r in run.records]
    for r in records:
        if r["seed"] == 1:  # the second seed ran a longer sequence: another group
            r["task_params"] = {"length": 50}
    assert task_labels(records)[("adding", '{"length": 50}')] == "adding[length=50]"
    g = groups_of(tuple(records), None, run.info)
    assert {k for k in g if "/" not in k[1]} == {
        (f"adding[length={n}]", arch) for n in (30, 50) for arch in ("gru", "lstm")
    }
    assert g[("adding[length=50]", "gru")].stats["sec_per_epoch"].keys == (1,)
    # One setting in the run: the plain task name.
    assert set(task_labels(run.records).values()) == {"adding"}


def test_trial_probes_turn_times_into_probe_units(tmp_path):
    run = load_run(make_run(tmp_path / "a", 0, noise=0.0, probe=0.002, op_probe=0.0005), "BASE")
    g = groups_of(run.records, None, run.info, probe="trial")[("adding", "lstm")]
    assert g.norm["sec_per_epoch"].center == pytest.approx(0.10 / 0.002, rel=0.02)
    assert g.norm["latency_ms"].center == pytest.approx(0.17e-3 / 0.0005, rel=0.02)
    assert g.stats["latency_ms"].center == pytest.approx(0.17)  # raw stays in ms
    assert groups_of(run.records, None, run.info)[("adding", "lstm")].norm == {}
