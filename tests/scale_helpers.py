"""Tiny suites and process helpers for the executor, resume and fault tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from grubench.run import plan as runs
from grubench.run.worker import TRIAL_NAME

# One thread per trial: CPU training is then bit-for-bit deterministic per seed.
TINY: dict[str, Any] = {
    "name": "tiny",
    "archs": ["gru", "lstm"],
    "seeds": 2,
    "hidden": 8,
    "threads": 1,
    "workers": 2,
    "train": {"epochs": 2, "batch_size": 32},
    "task": [{"name": "adding", "length": 10, "n_train": 64, "n_val": 32, "n_test": 32}],
}

TINY_TOML = """
name = "tiny"
archs = ["gru", "lstm"]
seeds = 2
hidden = 8
threads = 1
workers = 2

[train]
epochs = 2
batch_size = 32

[[task]]
name = "adding"
length = 10
n_train = 64
n_val = 32
n_test = 32
"""


def run_in_process(out: Path, source: dict[str, Any] | None = None, **how: Any) -> list[dict]:
    """A whole run through the library; returns the events it emitted, with arrival times."""
    plan = runs.plan_new(dict(source or TINY), out)
    executor = runs.Executor(**how)
    runs.start(plan, executor)
    events: list[dict] = []
    runs.execute(plan, lambda ev: events.append({**ev, "at": time.time()}), executor=executor)
    return events


def metrics(out: Path) -> dict[str, float | None]:
    """trial id -> test metric of a results folder."""
    return {r["trial_id"]: r["test_metric"] for r in runs.results(out)}


def lines(out: Path) -> list[str]:
    path = out / "trials.jsonl"
    return path.read_text().splitlines() if path.exists() else []


def start_cli(args: list[str], **env: str) -> subprocess.Popen:
    """``grubench ARGS`` as a real process (so signals reach it as they would from a shell)."""
    return subprocess.Popen(
        [sys.executable, "-m", "grubench", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        # As a terminal's foreground job gets it: SIGINT at its default. A test run started in
        # the background of a non-interactive shell (`cmd &`, nohup) inherits SIGINT ignored,
        # and the child would then never see the Ctrl-C the test sends.
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for_lines(out: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> int:
    """Poll until trials.jsonl has ``n`` lines (or the process ends); returns the count."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if len(lines(out)) >= n:
            break
        time.sleep(0.02)
    return len(lines(out))


def is_trial(p: psutil.Process) -> bool:
    """A trial's process: forked from the fork server (named by the worker) or a cold one."""
    try:
        return p.name() == TRIAL_NAME.decode() or "grubench.run.worker" in p.cmdline()
    except psutil.NoSuchProcess:
        return False


def workers_of(proc: subprocess.Popen) -> list[psutil.Process]:
    """The trial processes under ``proc`` (a forked trial is a child of the fork server)."""
    return [p for p in psutil.Process(proc.pid).children(recursive=True) if is_trial(p)]


def kill(proc: subprocess.Popen, sig: signal.Signals) -> tuple[int, str, str]:
    os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def all_json(out: Path) -> list[dict]:
    return [json.loads(line) for line in lines(out)]
