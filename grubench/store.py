"""The results folder: ``run.json`` (suite + environment), ``trials.jsonl`` (one line a trial).

Writes are atomic: a trials.jsonl line is appended with one ``write`` call and fsynced, so after
any crash a line is complete or absent; whole files go to a temporary name and are renamed.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grubench import SCHEMA_VERSION
from grubench.errors import UserError
from grubench.trial.result import TrialResult

TRIALS = "trials.jsonl"
RUN = "run.json"


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; results are meant to be shared
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append_trial(run_dir: Path, record: TrialResult | dict[str, Any]) -> None:
    """Append one result as a single JSON line (one write, O_APPEND, fsync); a torn last line
    left by a crash stays a line of its own. A dict is read as a TrialResult first, so every
    line has the same shape."""
    if isinstance(record, dict):
        record = TrialResult.from_dict(record)
    line = (json.dumps(record.to_dict(), allow_nan=False, default=str) + "\n").encode()
    fd = os.open(run_dir / TRIALS, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            # A runner killed mid-write left a torn line: end it, or this record would be glued
            # onto it and lost with it.
            line = b"\n" + line
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_run(run_dir: Path, info: dict[str, Any]) -> None:
    atomic_write(
        run_dir / RUN,
        json.dumps({"schema_version": SCHEMA_VERSION, **info}, indent=2, default=str) + "\n",
    )


def check_schema(version: Any, where: str) -> None:
    """Refuse results written by a newer (or unknown) schema than this code reads."""
    if not isinstance(version, int):
        raise UserError(f"{where}: missing or invalid schema_version")
    if version > SCHEMA_VERSION:
        raise UserError(
            f"{where}: schema version {version} is newer than this grubench "
            f"understands ({SCHEMA_VERSION}); upgrade grubench"
        )
    if version < 1:
        raise UserError(f"{where}: unknown schema version {version}")


REQUIRED = ("trial_id", "task", "arch", "seed", "status")


@dataclass(frozen=True)
class BadLine:
    number: int
    problem: str


def read_trials(
    run_dir: Path, skip_bad_lines: bool = False
) -> tuple[list[dict[str, Any]], list[BadLine]]:
    """Every complete trial record as a dict, in file order, upgraded to this schema (fields an
    older file lacks hold their defaults); a bad line is an error unless skipped."""
    results, bad = read_results(run_dir, skip_bad_lines)
    return [r.to_dict() for r in results], bad


def read_results(
    run_dir: Path, skip_bad_lines: bool = False
) -> tuple[list[TrialResult], list[BadLine]]:
    """Every complete trial record as a TrialResult, in file order; a bad line is an error
    unless skipped."""
    path = _trials_path(run_dir)
    records, bad = [], []
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"cannot read '{path}': {e}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        problem = None
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                problem = "not a JSON object"
            else:
                missing = [k for k in REQUIRED if k not in rec]
                if missing:
                    problem = f"missing key '{missing[0]}'"
                else:
                    check_schema(rec.get("schema_version"), f"{path}:{number}")
        except json.JSONDecodeError:
            problem = "not valid JSON (torn or corrupt line)"
        except UserError as e:
            if "newer" in str(e):
                raise
            problem = str(e).split(": ", 1)[-1]
        if problem:
            if not skip_bad_lines:
                raise UserError(f"{path}:{number}: {problem} (use --skip-bad-lines to skip it)")
            bad.append(BadLine(number, problem))
        else:
            records.append(TrialResult.from_dict(rec))
    return records, bad


def _trials_path(run_dir: Path) -> Path:
    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise UserError(f"results folder '{run_dir}' does not exist")
    path = run_dir / TRIALS if run_dir.is_dir() else run_dir
    if path.exists() and not path.is_file():
        raise UserError(f"'{path}' is not a file")
    if not path.is_file():
        raise UserError(f"'{run_dir}' holds no {TRIALS}")
    return path


def read_run(run_dir: Path) -> dict[str, Any]:
    """The run's metadata; absent is allowed (an empty dict), corrupt is an error."""
    path = Path(run_dir) / RUN
    if not path.exists():
        return {}
    try:
        info = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"'{path}' is not valid JSON: {e}") from None
    if not isinstance(info, dict):
        raise UserError(f"'{path}' is not a JSON object")
    check_schema(info.get("schema_version"), str(path))
    return info


def latest_per_trial(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per trial id (the last written wins: a resumed retry replaces a failure)."""
    by_id: dict[str, dict[str, Any]] = {}
    for r in records:
        by_id[r["trial_id"]] = r
    return list(by_id.values())


def planned(records: list[dict[str, Any]], info: dict[str, Any]) -> list[dict[str, Any]]:
    """The latest record of each trial the run plans now (``info``: its run.json): every
    tuning trial, and the final trials ``trial_ids`` names (all where it names none). A final
    trial at a rate tuning no longer chooses (the rule changed and a resume re-planned the
    finals) stays in trials.jsonl, for the record, but is not a result. Tuning trials always
    count: a grid that grew mid-run has trials run.json does not list yet."""
    latest = latest_per_trial(records)
    ids = info.get("trial_ids")
    if not isinstance(ids, list):
        return latest
    keep = set(ids)
    return [r for r in latest if r.get("role") == "tune" or r.get("trial_id") in keep]


def finals_only(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records of final trials: tuning trials only chose a learning rate and are not
    results (a record without ``role`` predates tuning and is final)."""
    return [r for r in records if r.get("role", "final") != "tune"]
