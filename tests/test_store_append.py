"""Appends after a crash: a torn last line stays its own line and costs no good record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grubench.errors import UserError
from grubench.store import append_trial, read_trials


def _rec(i: int) -> dict:
    return {
        "schema_version": 1,
        "trial_id": f"t{i}",
        "task": "adding",
        "arch": "gru",
        "seed": i,
        "status": "ok",
    }


def test_an_append_after_a_torn_line_starts_a_new_line(tmp_path: Path):
    append_trial(tmp_path, _rec(0))
    with (tmp_path / "trials.jsonl").open("a") as f:
        f.write(json.dumps(_rec(1))[:25])  # the runner died mid-write
    append_trial(tmp_path, _rec(2))
    with pytest.raises(UserError, match=r"trials.jsonl:2: not valid JSON \(torn or corrupt line\)"):
        read_trials(tmp_path)
    records, bad = read_trials(tmp_path, skip_bad_lines=True)
    assert [r["trial_id"] for r in records] == ["t0", "t2"]
    assert [b.number for b in bad] == [2]


def test_appends_to_a_clean_file_add_no_blank_lines(tmp_path: Path):
    for i in range(3):
        append_trial(tmp_path, _rec(i))
    text = (tmp_path / "trials.jsonl").read_text()
    assert text.count("\n") == 3 and "\n\n" not in text


def test_non_finite_numbers_are_refused_rather_than_written_as_invalid_json(tmp_path: Path):
    with pytest.raises(ValueError):
        append_trial(tmp_path, {**_rec(0), "test_metric": float("nan")})
    assert not (tmp_path / "trials.jsonl").exists() or (tmp_path / "trials.jsonl").read_text() == ""
