"""Bad inputs across CLI options, suite files and results files: one line, exit 2, no trace."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from scale_helpers import TINY, TINY_TOML
from typer.testing import CliRunner

from grubench.cli import app
from grubench.run import plan as runs

runner = CliRunner()
Setup = Callable[[Path], list[str]]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid results folder (run.json and two good trial lines) for cases to corrupt."""
    out = tmp_path_factory.mktemp("template") / "run"
    plan = runs.plan_new(dict(TINY), out)
    runs.start(plan)
    with (out / "trials.jsonl").open("w") as f:
        for t in plan.trials[:2]:
            rec = {"schema_version": 1, "trial_id": t.id, "task": t.task, "arch": t.arch}
            f.write(json.dumps({**rec, "seed": t.seed, "status": "ok"}) + "\n")
    return out


def suite_file(text: str | bytes) -> Setup:
    def setup(tmp: Path) -> list[str]:
        path = tmp / "suite.toml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return ["run", str(path)]

    return setup


def tiny_with(line: str) -> Setup:
    """The tiny suite with one top-level line added (TOML wants it before the tables)."""
    return suite_file(line + "\n" + TINY_TOML.replace(line.split("=")[0].strip() + " =", "#"))


def run_dir(mutate: Callable[[Path], None], *extra: str, command: str = "resume") -> Setup:
    """A copy of the template results folder, corrupted by ``mutate``, then resumed or read."""

    def setup(tmp: Path) -> list[str]:
        out = tmp / "run"
        shutil.copytree(tmp / "template", out)
        mutate(out)
        if command == "status":
            return ["status", str(out), *extra]
        return ["run", "--resume", str(out), *extra]

    return setup


def write(name: str, text: str) -> Callable[[Path], None]:
    return lambda out: (out / name).write_text(text)


def edit_run(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def mutate(out: Path) -> None:
        info = json.loads((out / "run.json").read_text())
        change(info)
        (out / "run.json").write_text(json.dumps(info))

    return mutate


def append(line: str) -> Callable[[Path], None]:
    def mutate(out: Path) -> None:
        with (out / "trials.jsonl").open("a") as f:
            f.write(line)

    return mutate


def args(*a: str) -> Setup:
    return lambda tmp: [x.replace("TMP", str(tmp)) for x in a]


def trials_dir(out: Path) -> None:
    (out / "trials.jsonl").unlink()
    (out / "trials.jsonl").mkdir()


CASES: list[tuple[str, Setup, str]] = [
    # CLI options
    ("workers-zero", args("run", "-t", "adding", "--workers", "0"), "--workers must be positive"),
    ("retune-low", args("claims", "--out", "TMP/c", "--retune", "5"), "--retune must be at least"),
    (
        "retune-unrun",
        args("claims", "--out", "TMP/c", "--retune", "2000", "--only", "a,e"),
        "run grubench claims first",
    ),
    (
        "reproduce-only",
        args("reproduce", "--out", "TMP/r", "--only", "chung2015"),
        "unknown set-up 'chung2015' (known: chung2014-jsb, weiss2018-anbn, adding-long)",
    ),
    (
        "reproduce-out",
        lambda tmp: (tmp / "f").write_text("x") and ["reproduce", "--out", str(tmp / "f")],
        "exists and is not a folder",
    ),
    (
        "subset-choice",
        suite_file('name = "x"\n[[task]]\nname = "chorales"\nsubset = "fold"\n'),
        "task 'chorales' parameter 'subset' must be one of fixed, seed, got 'fold'",
    ),
    ("threads-neg", args("run", "-t", "adding", "--threads", "-1"), "--threads must be positive"),
    ("seconds-neg", args("run", "-t", "adding", "--seconds", "-2"), "--seconds must be positive"),
    ("layers-zero", args("run", "-t", "adding", "--layers", "0"), "--layers must be positive"),
    (
        "executor",
        args("run", "-t", "adding", "--executor", "dask"),
        "'dask' is not one of 'local', 'ray'",
    ),
    ("address-local", args("run", "-t", "adding", "--address", "h:1"), "only for --executor ray"),
    (
        "address-form",
        args("run", "-t", "adding", "--executor", "ray", "--address", "nowhere"),
        "--address 'nowhere' is not HOST:PORT",
    ),
    (
        "address-dead",
        args("run", "-t", "adding", "--executor", "ray", "--address", "127.0.0.1:1"),
        "cannot reach Ray at '127.0.0.1:1'",
    ),
    (
        "skip-no-resume",
        args("run", "-t", "adding", "--skip-bad-lines"),
        "only applies with --resume",
    ),
    ("resume-option", run_dir(lambda out: None, "--epochs", "3"), "; drop --epochs"),
    (
        "out-is-file",
        args("run", "-t", "adding", "--out", "TMP/template/run.json"),
        "exists and is not a folder",
    ),
    (
        "out-has-results",
        args("run", "-t", "adding", "--out", "TMP/template"),
        "already holds results",
    ),
    ("status-missing", args("status", "TMP/nowhere"), "'TMP/nowhere' does not exist"),
    ("status-file", args("status", "TMP/template/run.json"), "run.json' is not a folder"),
    # suite files
    ("suite-empty", suite_file(""), "needs at least one [[task]] table"),
    ("suite-dir", args("run", "TMP/template"), "is a directory"),
    ("suite-unreadable", suite_file(b"name = '\xff\xfe'"), "cannot be read"),
    ("suite-bad-toml", suite_file("[[task]\nname="), "is not valid TOML"),
    ("suite-serial-type", tiny_with('serial = "yes"'), "serial must be bool, got 'yes'"),
    ("suite-workers-zero", tiny_with("workers = 0"), "workers must be positive, got 0"),
    ("suite-threads-float", tiny_with("threads = 1.5"), "threads must be int, got 1.5"),
    ("suite-unknown-key", tiny_with("executor = 'ray'"), "unknown key 'executor'"),
    ("suite-archs-empty", tiny_with("archs = []"), "archs must be a non-empty list"),
    ("suite-arch-unknown", tiny_with("archs = ['gru', 'tcn']"), "unknown arch 'tcn'"),
    ("suite-device", tiny_with("device = 'tpu'"), "unknown device 'tpu'"),
    ("suite-task-nameless", suite_file("[[task]]\nlength = 3"), "every [[task]] needs name"),
    (
        "suite-train-key",
        suite_file("[train]\nmomentum = 0.9\n[[task]]\nname = 'adding'"),
        "train.momentum",
    ),
    # results files
    (
        "resume-missing",
        args("run", "--resume", "TMP/gone"),
        "--resume 'TMP/gone' does not exist",
    ),
    ("resume-file", args("run", "--resume", "TMP/template/run.json"), "run.json' is not a folder"),
    ("run-json-absent", run_dir(lambda out: (out / "run.json").unlink()), "has no run.json"),
    ("run-json-empty", run_dir(write("run.json", "")), "run.json' is not valid JSON"),
    ("run-json-array", run_dir(write("run.json", "[1, 2]")), "run.json' is not a JSON object"),
    (
        "run-json-newer",
        run_dir(edit_run(lambda i: i.update(schema_version=99))),
        "schema version 99 is newer than this grubench understands (2)",
    ),
    (
        "run-json-no-version",
        run_dir(edit_run(lambda i: i.pop("schema_version"))),
        "missing or invalid schema_version",
    ),
    ("run-json-no-suite", run_dir(edit_run(lambda i: i.pop("suite_source"))), "has no run.json"),
    (
        "run-json-bad-suite",
        run_dir(edit_run(lambda i: i["suite_source"].update(seeds=-1))),
        "seeds must be positive, got -1",
    ),
    (
        "trials-torn",
        run_dir(append('{"schema_version": 1, "trial_id": "ab')),
        "trials.jsonl:3: not valid JSON (torn or corrupt line) (use --skip-bad-lines to skip it)",
    ),
    (
        "trials-missing-key",
        run_dir(append('{"schema_version": 1, "trial_id": "x", "task": "adding"}\n')),
        "trials.jsonl:3: missing key 'arch'",
    ),
    ("trials-not-object", run_dir(append("[1, 2]\n")), "trials.jsonl:3: not a JSON object"),
    (
        "trials-newer-even-skipping",
        run_dir(
            append(
                '{"schema_version": 7, "trial_id": "x", "task": "a", "arch": "g", "seed": 0, '
                '"status": "ok"}\n'
            ),
            "--skip-bad-lines",
        ),
        "trials.jsonl:3: schema version 7 is newer",
    ),
    ("trials-is-dir", run_dir(trials_dir), "trials.jsonl' is not a file"),
    ("status-torn", run_dir(append("{oops\n"), command="status"), "trials.jsonl:3: not valid JSON"),
]


@pytest.mark.parametrize("setup, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_on_stderr_and_exit_two(setup, message, template, tmp_path):
    shutil.copytree(template, tmp_path / "template")
    argv = setup(tmp_path)
    result = runner.invoke(app, argv)
    message = message.replace("TMP", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr


def test_there_are_at_least_25_cases_across_all_three_kinds():
    kinds = {c[0].split("-")[0] for c in CASES}
    assert len(CASES) >= 25 and {"suite", "run", "trials", "resume"} <= kinds


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "-t", "adding", "--workers", "0"], "error: --workers must be positive, got 0"),
        (["status", "/nonexistent/run"], "error: results folder '/nonexistent/run' does not exist"),
    ],
)
def test_a_real_process_prints_one_line_and_exits_two(argv, message):
    proc = subprocess.run(
        [sys.executable, "-m", "grubench", *argv], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == message and proc.stdout == ""
