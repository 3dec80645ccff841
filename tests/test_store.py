import json
from pathlib import Path

import pytest

from grubench import SCHEMA_VERSION
from grubench.errors import UserError
from grubench.store import append_trial, atomic_write, latest_per_trial, read_run, read_trials


def rec(i: int, status: str = "ok") -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "trial_id": f"t{i}",
        "task": "adding",
        "arch": "gru",
        "seed": i,
        "status": status,
    }


def test_appended_lines_read_back_in_order(tmp_path: Path):
    for i in range(3):
        append_trial(tmp_path, rec(i))
    records, bad = read_trials(tmp_path)
    assert [r["trial_id"] for r in records] == ["t0", "t1", "t2"] and bad == []


def test_a_torn_line_is_named_by_number_or_skipped_on_request(tmp_path: Path):
    append_trial(tmp_path, rec(0))
    with open(tmp_path / "trials.jsonl", "a") as f:
        f.write('{"trial_id": "t1", "ta')  # a crash mid-write
    with pytest.raises(UserError, match=r"trials.jsonl:2: not valid JSON"):
        read_trials(tmp_path)
    records, bad = read_trials(tmp_path, skip_bad_lines=True)
    assert len(records) == 1 and bad[0].number == 2


def test_newer_schema_is_refused_even_when_skipping(tmp_path: Path):
    append_trial(tmp_path, {**rec(0), "schema_version": SCHEMA_VERSION + 1})
    with pytest.raises(UserError, match="newer than this grubench"):
        read_trials(tmp_path, skip_bad_lines=True)


def test_missing_keys_and_folders_are_user_errors(tmp_path: Path):
    (tmp_path / "trials.jsonl").write_text(json.dumps({"schema_version": 1}) + "\n")
    with pytest.raises(UserError, match="missing key 'trial_id'"):
        read_trials(tmp_path)
    with pytest.raises(UserError, match="does not exist"):
        read_trials(tmp_path / "nope")
    with pytest.raises(UserError, match="holds no trials.jsonl"):
        read_trials(tmp_path / "..")


def test_atomic_write_replaces_whole_files_and_leaves_no_temporaries(tmp_path: Path):
    target = tmp_path / "run.json"
    atomic_write(target, json.dumps({"schema_version": 1, "a": 1}))
    atomic_write(target, json.dumps({"schema_version": 1, "a": 2}))
    assert read_run(tmp_path)["a"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_latest_record_per_trial_wins():
    out = latest_per_trial([rec(0, "failed"), rec(1), rec(0, "ok")])
    assert {r["trial_id"]: r["status"] for r in out} == {"t0": "ok", "t1": "ok"}


def test_a_trial_result_round_trips_through_the_store(tmp_path: Path):
    from grubench.config import suite_from_dict
    from grubench.store import read_results
    from grubench.trial.result import TrialResult

    trial = suite_from_dict({"task": [{"name": "adding"}]}).trials()[0]
    result = TrialResult.of(
        trial,
        "ok",
        test_metric=0.01,
        converged=True,
        stop_reason="patience",
        peak_mem_mb=4.5,
        peak_eval_mb=20.25,
        node="host-a",
        history=[{"epoch": 1, "val_metric": 0.02}],
    )
    append_trial(tmp_path, result)
    (back,), bad = read_results(tmp_path)
    assert back == result and bad == []
    assert back.lr == trial.train.lr and back.role == "final" and back.lr_grid is None
    failed = TrialResult.failed(trial, "worker killed by SIGKILL", node="host-b")
    append_trial(tmp_path, failed)
    assert read_results(tmp_path)[0][1] == failed


def test_a_schema_1_record_is_read_with_the_new_fields_at_their_defaults(tmp_path: Path):
    old = {
        **rec(0),
        "schema_version": 1,
        "spec": {"train": {"lr": 0.005}},
        "peak_mem_mb": 36.7,
        "stop_reason": "epochs",
    }
    (tmp_path / "trials.jsonl").write_text(json.dumps(old) + "\n")
    (r,), _ = read_trials(tmp_path)
    assert r["role"] == "final" and r["lr"] == 0.005 and r["lr_grid"] is None
    assert r["converged"] is None and r["peak_eval_mb"] is None and r["node"] is None
    assert r["peak_mem_mb"] == 36.7 and r["schema_version"] == 1


def test_a_newer_schema_is_refused_in_one_line(tmp_path: Path):
    (tmp_path / "trials.jsonl").write_text(json.dumps({**rec(0), "schema_version": 99}) + "\n")
    with pytest.raises(UserError, match=r"schema version 99 is newer .* upgrade grubench$"):
        read_trials(tmp_path)
