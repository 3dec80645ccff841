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
