"""Reading the two sides of a comparison: folders, summaries, schema checks and warnings."""

from __future__ import annotations

import json

import pytest
from synthetic_runs import make_run

import grubench.store
from grubench.analysis.frames import summary
from grubench.errors import UserError
from grubench.store import atomic_write, read_run, write_run
from grubench.studies.compare.load import compare_runs, differences, load_run, load_thresholds
from grubench.studies.compare.rows import Thresholds

TH = Thresholds()


def test_differences_name_sizes_environment_and_missing_groups(tmp_path):
    a = load_run(make_run(tmp_path / "a", 0), "BASE")
    b = load_run(make_run(tmp_path / "b", 1, hidden=48, torch_version="2.14.0", seeds=3), "NEW")
    found = differences(a, b)
    assert "hidden size differ for adding gru: 37 vs 48" in found
    assert "environment differs: torch 2.13.0 vs 2.14.0" in found
    assert "seeds differ for adding: [0, 1] vs [0, 1, 2]" in found


def test_different_schema_versions_are_refused(tmp_path, monkeypatch):
    now = grubench.store.SCHEMA_VERSION
    a = load_run(make_run(tmp_path / "a", 0), "BASE")
    monkeypatch.setattr(grubench.store, "SCHEMA_VERSION", now + 1)
    b = load_run(make_run(tmp_path / "b", 1, schema=now + 1), "NEW")
    with pytest.raises(UserError, match=rf"schema versions: BASE \[{now}\], NEW \[{now + 1}\]"):
        compare_runs(a, b, TH, absolute=False)


def test_trial_probes_normalise_when_every_trial_has_one(tmp_path):
    a = load_run(make_run(tmp_path / "a", 0), "BASE")
    b = load_run(make_run(tmp_path / "b", 1, slow=2.0, probe=0.004), "NEW")
    c = compare_runs(a, b, TH, absolute=False)
    assert c.notes[0].startswith("times normalised by each trial's GEMM probe")
    epoch = next(r for r in c.rows if (r.arch, r.metric) == ("gru", "sec_per_epoch"))
    assert epoch.change == pytest.approx(0.0, abs=0.05) and epoch.verdict == "unchanged"
    assert epoch.base_norm == pytest.approx(0.12 / 0.002, rel=0.05)


def test_latency_is_normalised_by_single_gemms_and_epochs_by_blocks(tmp_path):
    # Other load: blocks (and epochs) twice as slow; single GEMMs (and inference calls) not.
    a = load_run(make_run(tmp_path / "a", 0), "BASE")
    b = make_run(tmp_path / "b", 1, probe=0.004, op_probe=0.002, slow=1.0)
    path = b / "trials.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for r in records:
        for h in r["history"]:
            h["epoch_seconds"] *= 2
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    rows = {(r.arch, r.metric): r for r in compare_runs(a, load_run(b, "NEW"), TH, False).rows}
    for arch in ("gru", "lstm"):
        assert rows[(arch, "sec_per_epoch")].change == pytest.approx(0.0, abs=0.06)
        assert rows[(arch, "latency_ms")].change == pytest.approx(0.0, abs=0.1)
        assert rows[(arch, "latency_ms")].normalised


def test_run_probes_normalise_older_records_without_trial_probes(tmp_path):
    a = load_run(make_run(tmp_path / "a", 0, trial_probes=False), "BASE")
    b = load_run(make_run(tmp_path / "b", 1, slow=2.0, probe=0.004), "NEW")
    c = compare_runs(a, b, TH, absolute=False)
    assert c.notes[0].startswith("times normalised by the runs' GEMM probes")
    assert {r.verdict for r in c.rows if r.metric == "sec_per_epoch"} == {"unchanged"}


def test_missing_probes_fall_back_to_raw_times_with_a_warning(tmp_path):
    a = load_run(make_run(tmp_path / "a", 0, probe=None), "BASE")
    b = load_run(make_run(tmp_path / "b", 1), "NEW")
    c = compare_runs(a, b, TH, absolute=False)
    assert c.probes is None
    assert "BASE has no speed probe: times compared raw" in c.warnings
    assert not any(r.normalised for r in c.rows)


def test_a_run_whose_machine_slowed_down_is_warned_about(tmp_path):
    a = load_run(make_run(tmp_path / "a", 0), "BASE")
    b = make_run(tmp_path / "b", 1)
    info = read_run(b)
    info["probe_end"] = {"gemm": {"seconds": 0.003}}  # 1.5× the start's 2 ms
    write_run(b, info)
    c = compare_runs(a, load_run(b, "NEW"), TH, absolute=False)
    assert c.probes[1] == pytest.approx((0.002 * 0.003) ** 0.5)
    assert any(
        w.startswith("NEW: the machine's speed changed") and "1.50×" in w for w in c.warnings
    )


def test_summary_files_compare_with_welch_on_the_metric(tmp_path):
    for name, seed, mse in (("a", 0, 1.0), ("b", 1, 1.3)):
        run = load_run(make_run(tmp_path / name, seed, mse=mse, seeds=3), name)
        atomic_write(tmp_path / f"{name}.csv", summary(list(run.records)).to_csv(index=False))
    c = compare_runs(
        load_run(tmp_path / "a.csv", "BASE"), load_run(tmp_path / "b.csv", "NEW"), TH, False
    )
    rows = {(r.arch, r.metric): r for r in c.rows}
    assert rows[("gru", "test_metric")].verdict == "regression"
    assert rows[("gru", "test_metric")].noise.startswith("Welch")
    assert any("summary file" in n for n in c.notes)


def test_unreadable_inputs_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="BASE '.*nope' does not exist"):
        load_run(tmp_path / "nope", "BASE")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="holds no trials.jsonl"):
        load_run(tmp_path / "empty", "NEW")
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(UserError, match="not a grubench summary: missing column 'task'"):
        load_run(tmp_path / "bad.csv", "NEW")


def test_thresholds_from_toml_then_command_line(tmp_path):
    f = tmp_path / "th.toml"
    f.write_text("time = 0.2\nmemory = 0.3\n")
    th = load_thresholds(f, ["time=0.15", "gate_ratios=true"])
    assert (th.time, th.memory, th.gate_ratios) == (0.15, 0.3, True)
    f.write_text("[thresholds]\nmetric = 0.01\n")
    assert load_thresholds(f, []).metric == 0.01
    with pytest.raises(UserError, match="unknown threshold 'speed'"):
        load_thresholds(None, ["speed=0.1"])
    with pytest.raises(UserError, match="expected KEY=VALUE"):
        load_thresholds(None, ["time"])
    with pytest.raises(UserError, match="does not exist"):
        load_thresholds(tmp_path / "missing.toml", [])


def test_gpu_trials_are_compared_raw(tmp_path):
    a = make_run(tmp_path / "a", 0)
    path = a / "trials.jsonl"
    path.write_text(path.read_text().replace('"device": "cpu"', '"device": "cuda"'))
    run = load_run(a, "BASE")
    c = compare_runs(run, run, TH, absolute=False)
    assert c.notes[0].startswith("times compared raw: trials on cuda")
    assert not any(r.normalised for r in c.rows)
