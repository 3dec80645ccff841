"""A run: a suite expanded into trials, a results folder, and what is already done there."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from grubench.config import Suite, Trial, suite_from_dict
from grubench.errors import UserError
from grubench.execute import Sink, run_local
from grubench.measure import environment
from grubench.store import TRIALS, append_trial, latest_per_trial, read_run, read_trials, write_run
from grubench.tasks import get_task

RESULTS = Path("results")
FINAL = ("ok", "diverged")  # statuses --resume keeps; failed trials are tried again


@dataclass(frozen=True)
class Plan:
    """What a run will do: where it writes, every trial, and those still to run."""

    suite: Suite
    source: dict[str, Any]  # the validated suite as plain data, so --resume can rebuild it
    out: Path
    trials: tuple[Trial, ...]
    todo: tuple[Trial, ...]


def default_out(suite: Suite) -> Path:
    return RESULTS / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{suite.name}"


def plan_new(source: dict[str, Any], out: Path | None) -> Plan:
    """A fresh run of ``source`` (raw suite data) into ``out`` (refuses to mix with old results)."""
    suite = suite_from_dict(source, where=str(source.get("name", "suite")))
    out = out or default_out(suite)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out '{out}' exists and is not a directory")
    if (out / TRIALS).exists():
        raise UserError(f"'{out}' already holds results: use --resume {out} or another --out")
    trials = tuple(suite.trials())
    return Plan(suite, source, out, trials, trials)


def plan_resume(out: Path, skip_bad_lines: bool = False) -> Plan:
    """Continue the run in ``out``: the same suite, only the trials without a final result."""
    if not out.is_dir():
        raise UserError(f"cannot resume: '{out}' is not a results folder")
    info = read_run(out)
    if "suite_source" not in info:
        raise UserError(f"cannot resume: '{out}' has no run.json with the suite it ran")
    suite = suite_from_dict(info["suite_source"], where=f"{out}/run.json")
    done: set[str] = set()
    if (out / TRIALS).exists():
        records, _ = read_trials(out, skip_bad_lines)
        done = {r["trial_id"] for r in latest_per_trial(records) if r["status"] in FINAL}
    trials = tuple(suite.trials())
    todo = tuple(t for t in trials if t.id not in done)
    return Plan(suite, info["suite_source"], out, trials, todo)


def start(plan: Plan) -> None:
    """Create the folder and record the suite and the environment before any trial runs."""
    plan.out.mkdir(parents=True, exist_ok=True)
    info = {
        "suite": asdict(plan.suite),
        "suite_source": plan.source,
        "trial_ids": [t.id for t in plan.trials],
        "environment": environment(),
        "workers": plan.suite.workers,
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    previous = read_run(plan.out)
    if previous:
        info["started_at"] = previous.get("started_at", info["started_at"])
        info["resumed_at"] = previous.get("resumed_at", []) + [
            datetime.now().astimezone().isoformat(timespec="seconds")
        ]
    write_run(plan.out, json.loads(json.dumps(info, default=str)))


def prepare(plan: Plan, on_progress: Callable[[str, int, int], None] | None = None) -> None:
    """Do each task's one-off preparation (parsing a corpus into its cache) here, once, rather
    than in every worker at the same time; ``on_progress(task, done, total)`` follows it."""
    seen: set[tuple[str, tuple]] = set()
    for t in plan.todo:
        task = get_task(t.task)
        if task.prepare is None or (t.task, t.task_params) in seen:
            continue
        seen.add((t.task, t.task_params))
        report = None
        if on_progress is not None:
            report = lambda done, total, name=t.task: on_progress(name, done, total)  # noqa: E731
        task.prepare(dict(t.task_params), report)


def execute(plan: Plan, on_event: Sink, on_record: Sink | None = None) -> None:
    """Run what is left, appending each result as it lands (an interrupt loses only trials in
    flight)."""

    def record(rec: dict[str, Any]) -> None:
        append_trial(plan.out, rec)
        if on_record:
            on_record(rec)

    run_local(list(plan.todo), plan.suite.workers, record, on_event)


def results(out: Path, skip_bad_lines: bool = False) -> list[dict[str, Any]]:
    """The final record of every trial in a results folder."""
    records, _ = read_trials(out, skip_bad_lines)
    return latest_per_trial(records)
