"""The machine-speed probe: what it measures, and that every run records it in run.json."""

from __future__ import annotations

import json

import pytest
import torch

from grubench.measure.probe import (
    gemm_operands,
    gemm_probe,
    probe_drift,
    probe_seconds,
    time_gemm,
)
from grubench.run import plan as runs
from grubench.store import read_run


def test_gemm_probe_reports_a_median_and_consistent_gflops():
    p = gemm_probe(threads=1, n=128, repeats=5)
    assert (p["n"], p["threads"], p["repeats"]) == (128, 1, 5)
    assert 0 < p["seconds"] < 1 and p["iqr_seconds"] >= 0 and 0 < p["op_seconds"] < 1
    assert p["gflops"] == pytest.approx(2 * 128**3 / p["seconds"] / 1e9)


def test_gemm_probe_restores_the_thread_count():
    before = torch.get_num_threads()
    gemm_probe(threads=1, n=64, repeats=3)
    assert torch.get_num_threads() == before


def test_probe_seconds_reads_run_json_or_none():
    assert probe_seconds({"probe": {"gemm": {"seconds": 0.007}}}) == 0.007
    assert probe_seconds({}) is None
    assert probe_seconds({"probe": {"gemm": {"seconds": 0}}}) is None


def test_start_and_end_probes_are_averaged_geometrically_and_drift_is_their_ratio():
    info = {"probe": {"gemm": {"seconds": 0.004}}, "probe_end": {"gemm": {"seconds": 0.009}}}
    assert probe_seconds(info) == pytest.approx(0.006)
    assert probe_drift(info) == pytest.approx(2.25)
    assert probe_drift({"probe": {"gemm": {"seconds": 0.004}}}) is None


def test_every_run_stores_the_probe_and_a_resume_keeps_the_first(tmp_path):
    source = {"name": "t", "seeds": 1, "threads": 1, "task": [{"name": "adding"}]}
    plan = runs.plan_new(source, tmp_path / "run")
    runs.start(plan)
    first = read_run(plan.out)["probe"]["gemm"]
    assert first["threads"] == 1 and first["seconds"] > 0
    runs.start(runs.plan_resume(plan.out))
    info = read_run(plan.out)
    assert info["probe"]["gemm"] == first
    assert len(info["probes_resumed"]) == 1


def test_execute_probes_again_at_the_end(tmp_path):
    source = {"name": "t", "seeds": 1, "threads": 1, "task": [{"name": "adding"}]}
    plan = runs.plan_new(source, tmp_path / "run")
    runs.start(plan)
    # Every trial already finished (as on resuming a complete run): nothing is trained.
    with (plan.out / "trials.jsonl").open("w") as f:
        for t in plan.trials:
            rec = {"schema_version": 2, "trial_id": t.id, "task": t.task, "arch": t.arch}
            f.write(json.dumps({**rec, "seed": t.seed, "status": "ok"}) + "\n")
    efficiency = runs.execute(plan, on_event=lambda ev: None)
    assert efficiency.trials == 0
    assert read_run(plan.out)["probe_end"]["gemm"]["seconds"] > 0


def test_gemm_probe_blocks_are_means_of_consecutive_single_gemms(monkeypatch):
    # Fixed clock readings: the probe's arithmetic on them, not the machine, is under test.
    readings = iter([1.0, 3.0, 2.0, 2.0, 10.0, 20.0])
    monkeypatch.setattr("grubench.measure.probe.time_calls", lambda *a: next(readings))
    p = gemm_probe(threads=1, n=8, block=2, repeats=3)
    assert p["seconds"] == 2.0  # blocks 2, 2, 15
    assert p["op_seconds"] == 2.5  # median of the six
    assert p["gflops"] == pytest.approx(2 * 8**3 / 2.0 / 1e9)


def test_time_gemm_samples_until_told_and_writes_the_product(monkeypatch):
    seen = []
    samples, number, why = time_gemm(
        (3, 4, 5), "cpu", lambda s, _: "enough" if len(s) == 4 else None, number=2
    )
    assert (len(samples), number, why) == (4, 2, "enough") and min(samples) > 0
    a, b, out = gemm_operands(3, 4, 5)
    assert out.shape == (3, 5) and torch.equal(gemm_operands(3, 4, 5)[0], a)  # seeded
    monkeypatch.setattr("grubench.measure.probe.calibrate", lambda *a, **k: seen.append(1) or 7)
    assert time_gemm((2, 2, 2), "cpu", lambda s, _: "one")[1] == 7 and seen == [1]
