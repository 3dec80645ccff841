"""Run trials, each in a fresh process, N at a time, streaming events back to the caller."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Any

from grubench import SCHEMA_VERSION
from grubench.config import Trial, trial_to_dict
from grubench.worker import PREFIX

Sink = Callable[[dict[str, Any]], None]


def failed_record(trial: Trial, error: str, status: str = "failed") -> dict[str, Any]:
    """The record of a trial that produced no result (crash, OOM, killed)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "trial_id": trial.id,
        "spec": trial_to_dict(trial),
        "task": trial.task,
        "task_params": dict(trial.task_params),
        "arch": trial.arch,
        "seed": trial.seed,
        "match": trial.match,
        "hidden_requested": trial.hidden,
        "layers": trial.layers,
        "status": status,
        "error": error,
        "diverged": False,
        "history": [],
        "test_metric": None,
        "device": trial.device,
        "threads": trial.threads,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _reader(index: int, stream: IO[str], events: queue.Queue) -> None:
    for line in stream:
        if line.startswith(PREFIX):
            try:
                events.put((index, json.loads(line[len(PREFIX) :])))
            except json.JSONDecodeError:
                pass
    events.put((index, {"event": "eof"}))


def run_local(trials: list[Trial], workers: int, on_record: Sink, on_event: Sink) -> None:
    """Run every trial in its own process, ``workers`` at once; records go to ``on_record``
    as each finishes. On KeyboardInterrupt the running trials are stopped and it re-raises."""
    pending = list(enumerate(trials))
    running: dict[int, tuple[subprocess.Popen, Trial, dict[str, Any]]] = {}
    events: queue.Queue = queue.Queue()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        while pending or running:
            while pending and len(running) < workers:
                index, trial = pending.pop(0)
                # A session of its own: Ctrl-C reaches the parent, which decides what stops.
                proc = subprocess.Popen(
                    [sys.executable, "-m", "grubench.worker"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env,
                    start_new_session=True,
                )
                proc.stdin.write(json.dumps(trial_to_dict(trial)))
                proc.stdin.close()
                state: dict[str, Any] = {"done": False, "stderr": []}
                threading.Thread(
                    target=_reader, args=(index, proc.stdout, events), daemon=True
                ).start()
                state["stderr_reader"] = threading.Thread(
                    target=lambda p=proc, s=state: s["stderr"].extend(p.stderr), daemon=True
                )
                state["stderr_reader"].start()
                running[index] = (proc, trial, state)
                on_event({"event": "start", "trial": trial, "started": time.time()})
            index, event = events.get()
            proc, trial, state = running[index]
            kind = event["event"]
            if kind == "epoch":
                on_event({**event, "trial": trial})
            elif kind == "result":
                state["done"] = True
                on_record(event["record"])
            elif kind == "failed":
                state["done"] = True
                on_record(failed_record(trial, event["error"]))
            elif kind == "eof":
                code = proc.wait()
                state["stderr_reader"].join(timeout=5)
                if not state["done"]:
                    on_record(failed_record(trial, _crash_reason(code, state["stderr"])))
                del running[index]
                on_event({"event": "finish", "trial": trial})
    except KeyboardInterrupt:
        for proc, _, _ in running.values():
            proc.kill()
            proc.wait()
        raise


def _crash_reason(code: int, stderr: list[str]) -> str:
    if code < 0:
        import signal

        name = signal.Signals(-code).name
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"worker killed by {name}{hint}"
    tail = [line.strip() for line in stderr if line.strip()]
    return f"worker exited with code {code}" + (f": {tail[-1]}" if tail else "")
