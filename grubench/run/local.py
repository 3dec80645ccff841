"""Run trials, each in a fresh worker process, streaming events back to the caller.

Every executor (local here, Ray in ray_exec.py) turns a trial into a stream of the worker's
events that ends in exactly one ``result`` or ``failed``; ``drive`` runs the streams, a few at
a time, and hands records and progress events to the caller the same way for all of them.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import IO, Any

from grubench.config import Trial, trial_to_dict
from grubench.run.worker import PARENT_ENV, PREFIX
from grubench.trial.result import TrialResult

Sink = Callable[[dict[str, Any]], None]
RecordSink = Callable[[TrialResult], None]
Event = dict[str, Any]
# Starts trial ``index`` feeding its events into the queue; returns how to stop it.
Launch = Callable[[int, Trial, queue.Queue], Callable[[], None]]
TERMINAL = ("result", "failed")


def spawn(trial: Trial, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``python -m grubench.run.worker`` for ``trial`` with its thread count pinned."""
    return start_worker(trial_to_dict(trial), trial.threads, extra_env)


def start_worker(
    spec: dict[str, Any], threads: int, extra_env: dict[str, str] | None = None
) -> subprocess.Popen:
    """A worker process fed ``spec`` (a trial as JSON data; A/B runs pass another revision's,
    which this revision's ``Trial`` may not read), its OpenMP/MKL pools pinned to ``threads``."""
    env = {
        **os.environ,
        **(extra_env or {}),
        "PYTHONUNBUFFERED": "1",
        # OpenMP/MKL pools sized like torch's, so N workers don't oversubscribe the cores.
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        PARENT_ENV: str(os.getpid()),
    }
    # A session of its own: Ctrl-C reaches the parent, which decides what stops.
    proc = subprocess.Popen(
        [sys.executable, "-m", "grubench.run.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(spec))
    proc.stdin.close()
    return proc


def worker_events(proc: subprocess.Popen) -> Iterator[Event]:
    """The protocol events a worker prints, then ``failed`` with the reason if it gave none."""
    tail: deque[str] = deque(maxlen=20)
    reader = threading.Thread(target=lambda: tail.extend(proc.stderr), daemon=True)
    reader.start()
    ended = False
    for event in _protocol(proc.stdout):
        ended = ended or event["event"] in TERMINAL
        yield event
    code = proc.wait()
    reader.join(timeout=5)
    if not ended:
        yield {"event": "failed", "error": crash_reason(code, list(tail))}


def _protocol(stream: IO[str]) -> Iterator[Event]:
    for line in stream:
        if line.startswith(PREFIX):
            try:
                yield json.loads(line[len(PREFIX) :])
            except json.JSONDecodeError:
                continue


def crash_reason(code: int, stderr: list[str]) -> str:
    """Why a worker ended without a result, from its exit status and last stderr line."""
    if code < 0:
        name = signal.Signals(-code).name
        hint = (
            " (out of memory? the kernel's OOM killer sends SIGKILL)" if name == "SIGKILL" else ""
        )
        return f"worker killed by {name}{hint}"
    tail = [line.strip() for line in stderr if line.strip()]
    return f"worker exited with code {code} without a result" + (f": {tail[-1]}" if tail else "")


def guarded(source: Iterator[Event]) -> Iterator[Event]:
    """``source``'s events with exactly one terminal event: later ones are dropped, an error
    or a silent end becomes ``failed``. It drains ``source``, so the worker has exited."""
    ended = False
    try:
        for event in source:
            if not ended:
                ended = event.get("event") in TERMINAL
                yield event
    except Exception as e:  # the executor itself failed (a lost node, a broken pipe)
        if not ended:
            yield {"event": "failed", "error": f"{type(e).__name__}: {e}".splitlines()[0]}
        return
    if not ended:
        yield {"event": "failed", "error": "the worker ended without a result"}


def feed(index: int, source: Iterator[Event], events: queue.Queue) -> threading.Thread:
    """A thread that moves ``source``'s events into ``events``, then an ``end`` marker."""

    def pump() -> None:
        for event in guarded(source):
            events.put((index, event))
        events.put((index, {"event": "end"}))

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def drive(
    trials: list[Trial], limit: int, launch: Launch, on_record: RecordSink, on_event: Sink
) -> None:
    """Run every trial with at most ``limit`` in flight; each record goes to ``on_record`` as
    its trial ends. On KeyboardInterrupt the trials in flight are stopped and it re-raises."""
    pending = deque(enumerate(trials))
    running: dict[int, tuple[Trial, Callable[[], None]]] = {}
    nodes: dict[int, str] = {}  # the node an executor said a trial runs on (Ray; none locally)
    events: queue.Queue = queue.Queue()
    try:
        while pending or running:
            while pending and len(running) < limit:
                index, trial = pending.popleft()
                running[index] = (trial, launch(index, trial, events))
                on_event({"event": "start", "trial": trial, "started": time.time()})
            index, event = events.get()
            trial, _ = running[index]
            kind = event["event"]
            where = {"node": nodes[index]} if index in nodes else {}
            if kind == "node":
                nodes[index] = event["node"]
                on_event({**event, "trial": trial})
            elif kind == "epoch":
                on_event({**event, "trial": trial})
            elif kind == "result":
                on_record(TrialResult.from_dict({**event["record"], **where}))
            elif kind == "failed":
                node = nodes.get(index, event.get("node"))
                on_record(TrialResult.failed(trial, event["error"], node=node))
            elif kind == "end":
                nodes.pop(index, None)
                del running[index]
                on_event({"event": "finish", "trial": trial})
    except KeyboardInterrupt:
        for _, stop in running.values():
            stop()
        raise


def _launch_local(index: int, trial: Trial, events: queue.Queue) -> Callable[[], None]:
    proc = spawn(trial)
    feed(index, worker_events(proc), events)

    def stop() -> None:
        proc.kill()
        proc.wait()

    return stop


def run_local(trials: list[Trial], workers: int, on_record: RecordSink, on_event: Sink) -> None:
    """Run every trial in its own process on this machine, ``workers`` at once."""
    drive(trials, workers, _launch_local, on_record, on_event)
