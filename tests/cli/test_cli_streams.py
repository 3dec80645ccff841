"""The command line as a tool: version, streams, --json, exit codes, imports kept light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from scale_helpers import TINY_TOML
from typer.testing import CliRunner

import grubench
from grubench.cli import app
from grubench.cli.app import Clock, ExecutorKind, Match

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "results" / "baselines" / "smoke"


def cli(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    """``grubench ARGS`` as a real process with stdout and stderr piped apart."""
    return subprocess.run(
        [sys.executable, "-m", "grubench", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )


@pytest.fixture(scope="module")
def failed_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess]:
    """The tiny suite (4 trials) with every gru trial crashing, run with pipes."""
    tmp = tmp_path_factory.mktemp("failed")
    suite = tmp / "tiny.toml"
    suite.write_text(TINY_TOML)
    out = tmp / "run"
    proc = cli("run", str(suite), "--out", str(out), "--json", GRUBENCH_FAULT="gru:*=crash")
    return out, proc


def test_version_is_the_package_version():
    proc = cli("--version")
    assert proc.returncode == 0
    assert proc.stdout == f"grubench {grubench.__version__}\n"


def test_help_names_the_exit_codes_and_the_choices():
    top = runner.invoke(app, ["--help"])
    assert "Exit codes: 0 ok; 1 a regression" in top.output and "130 interrupted" in top.output
    run = runner.invoke(app, ["run", "--help"]).output
    assert "params|hidden" in run and "local|ray" in run and "cuda:N" in run
    assert "auto|wall|cpu" in runner.invoke(app, ["speed", "--help"]).output


def test_the_choices_are_the_librarys_own():
    from grubench.measure.clocks import CLOCKS
    from grubench.models.sizing import MATCH_RULES
    from grubench.run.plan import EXECUTORS

    assert [m.value for m in Match] == list(MATCH_RULES)
    assert [e.value for e in ExecutorKind] == list(EXECUTORS)
    assert [c.value for c in Clock] == list(CLOCKS)


LIGHT = """
import sys
from grubench.cli import app
try:
    app({argv!r})
except SystemExit as e:
    code = e.code
heavy = sorted(m for m in ("torch", "pandas", "matplotlib", "scipy") if m in sys.modules)
print(code, heavy, file=sys.stderr)
"""


@pytest.mark.parametrize(
    "argv, allowed",
    [
        (["--help"], []),
        (["--version"], []),
        (["suites"], []),
        (["compare", str(BASELINE), str(BASELINE)], ["pandas", "scipy"]),
    ],
    ids=["help", "version", "suites", "compare"],
)
def test_light_commands_do_not_import_torch(argv: list[str], allowed: list[str]):
    code = LIGHT.format(argv=argv)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("0 "), proc.stderr
    assert eval(last.split(" ", 1)[1]) == allowed  # noqa: S307  (our own repr of a list)


def test_report_does_not_import_torch(tmp_path: Path):
    folder = tmp_path / "smoke"
    folder.mkdir()
    for name in ("run.json", "trials.jsonl"):
        (folder / name).write_text((BASELINE / name).read_text())
    # with a paper's figure to print beside ours, as a suite's [[published]] gives one
    info = json.loads((folder / "run.json").read_text())
    task = json.loads((folder / "trials.jsonl").read_text().splitlines()[0])["task"]
    figure = {"task": task, "arch": "gru", "value": 0.1, "quantity": "q", "source": "a paper"}
    info["suite"]["published"] = [figure]
    (folder / "run.json").write_text(json.dumps(info))
    code = LIGHT.format(argv=["report", str(folder)])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.stderr.strip().splitlines()[-1].startswith("0 ")
    assert "torch" not in proc.stderr.strip().splitlines()[-1]
    assert (folder / "report.html").exists()
    assert "Published figures beside ours" in (folder / "report.md").read_text()


def test_a_run_with_failed_trials_exits_one(failed_run):
    out, proc = failed_run
    assert proc.returncode == 1, proc.stderr
    assert "2 trial(s) failed" in proc.stderr


def test_results_go_to_stdout_and_progress_to_stderr(failed_run):
    out, proc = failed_run
    summary = json.loads(proc.stdout)  # stdout is the JSON and nothing else
    assert summary["counts"] == {"failed": 2, "ok": 2}
    assert {p["arch"] for p in summary["problems"]} == {"gru"}
    rows = {r["arch"]: r for r in summary["summary"]}
    assert rows["gru"]["failed"] == 2 and rows["gru"]["metric_mean"] is None
    assert rows["lstm"]["n"] == 2 and rows["lstm"]["metric_mean"] > 0
    lines = [line for line in proc.stderr.splitlines() if line.startswith("[")]
    # Not a terminal: one plain line per finished trial, numbered, with its outcome.
    assert len(lines) == 4 and all("/4] adding " in line for line in lines)
    assert sum("failed: RuntimeError: injected crash" in line for line in lines) == 2
    assert sum(": ok, test mse " in line for line in lines) == 2
    assert "\x1b[" not in proc.stderr  # no live bars or colour codes in a log
    # The closing lines say how much of the workers' time went into training.
    assert "efficiency: " in proc.stderr and " of worker time training (" in proc.stderr
    assert 0 < summary["efficiency"]["ratio"] < 1 and summary["efficiency"]["trials"] == 4
    # The answer per task is in the JSON too; every GRU trial failed, so there are no pairs.
    assert summary["answers"] == ["adding: no winner (no complete pairs)"]


def test_trials_csv_and_history_csv_are_flat(failed_run):
    out, _ = failed_run
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 4
    assert list(trials.columns[:5]) == ["trial_id", "task", "setting", "arch", "seed"]
    assert {"task_params.length", "budget.epochs", "test_metrics.mse", "status"} <= set(trials)
    assert "history" not in trials and "spec.arch" not in trials
    assert sorted(trials["status"]) == ["failed", "failed", "ok", "ok"]
    history = pd.read_csv(out / "history.csv")
    ok = trials[trials["status"] == "ok"]
    assert len(history) == ok["epochs_run"].sum() == 4  # 2 ok trials × 2 epochs
    assert set(history["trial_id"]) == set(ok["trial_id"])
    assert {"epoch", "train_loss", "val_metric", "val.mse", "seconds"} <= set(history)
    assert history.groupby("trial_id")["epoch"].apply(list).tolist() == [[1, 2], [1, 2]]


def test_status_json_says_what_resume_would_run(failed_run):
    out, _ = failed_run
    result = runner.invoke(app, ["status", str(out), "--json"])
    assert result.exit_code == 0
    status = json.loads(result.stdout)
    assert status["planned"] == 4 and status["counts"] == {"failed": 2, "ok": 2}
    assert status["to_run"] == 2 and status["missing"] == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["size", "--input", "3", "--hidden", "16"],
        ["tasks"],
        ["archs"],
        ["suites"],
    ],
    ids=lambda a: a[0],
)
def test_every_listing_command_has_json(argv: list[str]):
    result = runner.invoke(app, [*argv, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data
    if argv[0] == "archs":
        assert [a["name"] for a in data][:2] == ["gru", "lstm"]
    if argv[0] == "suites":
        assert {"default", "smoke"} <= {s["name"] for s in data}


def test_compare_prints_json_or_writes_it_to_a_file(tmp_path: Path):
    to_file = tmp_path / "c.json"
    result = runner.invoke(
        app, ["compare", str(BASELINE), str(BASELINE), "--json", "--json-file", str(to_file)]
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["regressions"] == 0 and printed["rows"]
    assert json.loads(to_file.read_text()) == printed


def test_an_unexpected_exception_is_one_line_exit_three(monkeypatch, tmp_path: Path):
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug\nsecond line")

    monkeypatch.setattr("grubench.run.plan.progress", broken)
    result = runner.invoke(app, ["status", str(tmp_path)])
    assert result.exit_code == 3
    line = result.stderr.strip()
    assert line.startswith("internal error: ZeroDivisionError: a bug (traceback in ")
    saved = Path(line.split("traceback in ")[1].rstrip(")"))
    assert "raise ZeroDivisionError" in saved.read_text()
    saved.unlink()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "-t", "adding", "--out", "/proc/grubench"], "cannot write in '/proc'"),
        (["run", "-t", "adding", "--out", "TMP/file/run"], "'TMP/file' is not a folder"),
        (["report", "TMP/missing"], "results folder 'TMP/missing' does not exist"),
        (["report", "TMP/file"], "results folder 'TMP/file' is not a folder"),
        (["compare", "TMP/missing", "TMP/file"], "error: BASE 'TMP/missing' does not exist"),
        (
            ["compare", "SMOKE", "SMOKE", "--thresholds", "TMP/none.toml"],
            "--thresholds 'TMP/none.toml' does not exist",
        ),
        (["compare", "SMOKE", "SMOKE", "--markdown", "TMP"], "--markdown 'TMP' is a folder"),
        (
            ["compare", "SMOKE", "SMOKE", "--chart", "/proc/x/c.png"],
            "--chart '/proc/x/c.png': cannot write in '/proc'",
        ),
        (["speed", "--out", "TMP/file"], "--out 'TMP/file' exists and is not a folder"),
        (["scaling", "smoke", "--out", "TMP"], "--out 'TMP' is a folder, not a file"),
        (["claims", "--out", "TMP/file", "--no-run"], "--out 'TMP/file' exists and is not a"),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else None,
)
def test_a_path_that_cannot_be_used_is_one_line_exit_two(argv, message, tmp_path: Path):
    (tmp_path / "file").write_text("not a folder")
    fill = {"TMP": str(tmp_path), "SMOKE": str(BASELINE)}
    for key, value in fill.items():
        argv = [a.replace(key, value) for a in argv]
        message = message.replace(key, value)
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == result.stderr.strip().splitlines()[0]
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr


def test_suites_list_and_show_the_packaged_files():
    listing = runner.invoke(app, ["suites"])
    names = [line.split()[0] for line in listing.stdout.splitlines()]
    assert names == sorted(p.stem for p in (ROOT / "tasks").glob("*.toml"))
    shown = runner.invoke(app, ["suites", "show", "smoke"])
    assert shown.stdout == (ROOT / "tasks" / "smoke.toml").read_text()
    missing = runner.invoke(app, ["suites", "show", "nope"])
    assert missing.exit_code == 2 and "no packaged suite 'nope'" in missing.stderr


def test_the_packaged_suites_are_the_repositorys_tasks_folder():
    packaged = ROOT / "grubench" / "tasks" / "suites"
    assert packaged.is_symlink() and packaged.resolve() == (ROOT / "tasks").resolve()


def test_a_packaged_suite_runs_by_name_from_another_folder(tmp_path: Path, monkeypatch):
    out = tmp_path / "r"
    monkeypatch.chdir(tmp_path)  # in-process: where the suite is found from is what matters
    argv = ["run", "smoke", "--epochs", "1", "--seeds", "1", "--arch", "gru", "--out", "r"]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "run.json").read_text())["suite"]["name"] == "smoke"
    assert len(pd.read_csv(out / "trials.csv")) == 1


def test_a_missing_optional_package_names_the_extra(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "aeon" else real(name, *a)
    )
    result = runner.invoke(app, ["run", "--task", "ucr:GunPoint"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: ucr:GunPoint needs aeon, which is not installed: pip install 'grubench[real]'"
    )


def test_a_name_finds_the_working_folders_tasks_before_the_packaged_suites(tmp_path, monkeypatch):
    from grubench.run.suites import find_suite

    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "mine.toml").write_text('name = "mine"\n')
    (tmp_path / "tasks" / "smoke.toml").write_text('name = "my smoke"\n')
    monkeypatch.chdir(tmp_path)
    assert find_suite("mine") == Path("tasks/mine.toml")
    assert find_suite("smoke") == Path("tasks/smoke.toml")  # a copy here shadows the packaged one
    (tmp_path / "tasks" / "smoke.toml").unlink()
    assert find_suite("smoke").parent.name == "suites"  # none here: the packaged suite


def test_a_study_of_several_runs_counts_trials_without_one_runs_total():
    """claims runs one suite per experiment: each run's "planned" total (36 for adding) is not
    the study's, which printed [37/36] when the next experiment began."""
    from scale_helpers import TINY

    from grubench.cli.app import TrialProgress
    from grubench.config import suite_from_dict

    trial = suite_from_dict(dict(TINY)).trials()[0]
    study, run = TrialProgress(None), TrialProgress(4)
    for p in (study, run):
        p.live = False
        p.on_event({"event": "planned", "total": 6})
    assert (study.total, run.total) == (None, 6)
    study.on_event({"event": "finish", "trial": trial})
    assert study.done == 1 and study.total is None  # printed as [1], never as [1/6]
