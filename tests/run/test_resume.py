"""Resume after SIGKILL and Ctrl-C: the final set of trials equals a clean run's."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import psutil
import pytest
from scale_helpers import (
    TINY,
    TINY_TOML,
    all_json,
    kill,
    lines,
    metrics,
    start_cli,
    wait_for_lines,
    workers_of,
)
from typer.testing import CliRunner

from grubench.cli import app
from grubench.run import plan as runs

runner = CliRunner()


@pytest.fixture
def clean(tiny_clean: tuple[Path, list[dict]]) -> tuple[Path, list[dict]]:
    """The tiny suite run once without interruption (4 trials, 2 workers), shared."""
    return tiny_clean


def test_two_workers_run_two_trials_at_once_and_never_more(clean):
    _, events = clean
    live, most = 0, 0
    for ev in events:
        live += {"start": 1, "finish": -1}.get(ev["event"], 0)
        most = max(most, live)
    assert most == 2
    assert sum(ev["event"] == "finish" for ev in events) == 4


def test_clean_run_is_deterministic_per_seed(clean):
    out, _ = clean
    records = runs.results(out)
    assert len(records) == 4 and all(r["status"] == "ok" for r in records)
    by_key = {(r["arch"], r["seed"]): r["test_metric"] for r in records}
    assert by_key[("gru", 0)] != by_key[("gru", 1)]  # the seed matters...
    assert all(r["threads"] == 1 for r in records)  # ...and nothing else varies


def test_sigkill_mid_run_then_resume_equals_the_clean_run(clean, tmp_path: Path):
    suite = tmp_path / "tiny.toml"
    suite.write_text(TINY_TOML)
    out = tmp_path / "killed"
    proc = start_cli(["run", str(suite), "--out", str(out)])
    assert wait_for_lines(out, 1, proc) >= 1, proc.communicate()
    orphans = workers_of(proc)
    code, _, _ = kill(proc, signal.SIGKILL)
    at_kill = len(lines(out))
    assert code == -signal.SIGKILL
    assert 1 <= at_kill < 4  # really mid-way: some trials done, some not
    # The workers die with their runner instead of training on as orphans.
    _, alive = psutil.wait_procs(orphans, timeout=10)
    assert alive == []

    plan = runs.plan_resume(out)
    assert len(plan.todo) == 4 - at_kill
    result = runner.invoke(app, ["run", "--resume", str(out)])
    assert result.exit_code == 0, result.output
    assert f"({at_kill} already done)" in result.output
    assert metrics(out) == metrics(clean[0])  # same trial ids, bit-identical test metrics
    assert len(lines(out)) == 4  # nothing ran twice


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_an_interrupt_records_what_finished_and_prints_the_resume_command(
    tmp_path: Path, sig: signal.Signals
):
    suite = tmp_path / "tiny.toml"
    suite.write_text(TINY_TOML)
    out = tmp_path / "interrupted"
    proc = start_cli(["run", str(suite), "--out", str(out)])
    assert wait_for_lines(out, 1, proc) >= 1
    in_flight = workers_of(proc)
    code, _, err = kill(proc, sig)
    assert code == 130
    assert f"grubench run --resume {out}" in err
    assert "Traceback" not in err
    records = all_json(out)  # every line complete JSON, none for the trials cut short
    assert 1 <= len(records) < 4 and all(r["status"] == "ok" for r in records)
    _, alive = psutil.wait_procs(in_flight, timeout=10)
    assert alive == []
    assert len(runs.plan_resume(out).todo) == 4 - len(records)
    status = runner.invoke(app, ["status", str(out)])
    assert status.exit_code == 0
    assert f"4 trials planned: {len(records)} ok, {4 - len(records)} missing" in status.output
    assert f"{4 - len(records)} to run: grubench run --resume {out}" in status.output


def test_the_run_records_how_much_of_its_worker_time_went_into_training(clean):
    out, _ = clean
    efficiency = json.loads((out / "run.json").read_text())["efficiency"]
    records = runs.results(out)
    assert efficiency["trials"] == 4 and efficiency["workers"] == 2
    assert efficiency["train_seconds"] == pytest.approx(sum(r["train_seconds"] for r in records))
    assert 0 < efficiency["ratio"] < 1
    assert efficiency["ratio"] == pytest.approx(
        efficiency["train_seconds"] / (2 * efficiency["wall_seconds"])
    )


def test_trials_that_crash_are_killed_or_run_out_of_memory_fail_alone_and_resume_completes(
    clean, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    suite = tmp_path / "tiny.toml"
    suite.write_text(TINY_TOML)
    out = tmp_path / "faults"
    monkeypatch.setenv("GRUBENCH_FAULT", "lstm:0=sigkill,gru:1=memory,lstm:1=crash")
    first = runner.invoke(app, ["run", str(suite), "--out", str(out)])
    assert first.exit_code == 1, first.output
    by = {(r["arch"], r["seed"]): r for r in runs.results(out)}
    assert by[("gru", 0)]["status"] == "ok"  # the one trial without a fault finished
    assert by[("lstm", 0)]["error"].startswith("worker killed by SIGKILL")
    assert by[("gru", 1)]["error"].startswith("out of memory (MemoryError")
    assert by[("lstm", 1)]["error"] == "RuntimeError: injected crash"
    monkeypatch.delenv("GRUBENCH_FAULT")
    again = runner.invoke(app, ["run", "--resume", str(out)])
    assert again.exit_code == 0, again.output
    assert "(1 already done)" in again.output
    assert metrics(out) == metrics(clean[0])  # the same numbers as a run without faults


def test_resume_with_other_workers_finds_the_same_trials(clean):
    out, _ = clean
    one = runs.plan_resume(out, workers=1)
    assert one.suite.parallel == 1 and one.todo == ()
    assert [t.id for t in one.trials] == json.loads((out / "run.json").read_text())["trial_ids"]


def test_default_threads_are_pinned_in_the_run_so_resume_matches(tmp_path: Path):
    source = {k: v for k, v in TINY.items() if k != "threads"}
    plan = runs.plan_new(source, tmp_path / "r")
    assert plan.source["threads"] == plan.suite.threads >= 1
    assert all(t.threads == plan.suite.threads for t in plan.trials)
