"""Run trials, each in a fresh worker process, streaming events back to the caller.

Every executor (local here, Ray in ray_exec.py) turns a trial into a stream of the worker's
events that ends in exactly one ``result`` or ``failed``; ``drive`` runs the streams, a few at
a time, and hands records and progress events to the caller the same way for all of them.

A trial's process is forked from a fork server that has imported torch and grubench once
(``multiprocessing``'s forkserver, preloading ``grubench.run.warm``): the trial still has a
fresh process of its own, without paying a Python start and ``import torch`` each time.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.context
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing import forkserver, popen_forkserver
from multiprocessing import spawn as mp_spawn
from pathlib import Path
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
PRELOAD = ["grubench.run.warm"]
_lock = threading.RLock()


def thread_env(threads: int) -> dict[str, str]:
    """OpenMP/MKL pools sized like torch's, so N workers don't oversubscribe the cores."""
    return {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}


@contextmanager
def _environ(extra: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block ends, then deliver them to the handlers they
    had. A trial start sends file descriptors to the fork server; an interrupt in mid-send
    leaves the server reading a closed socket (it dies printing a traceback) and a child the
    runner does not yet know to stop. Off the main thread, where handlers cannot be set, it
    does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    kinds = (signal.SIGINT, signal.SIGTERM)
    before = {sig: signal.signal(sig, lambda signum, frame: held.append(signum)) for sig in kinds}
    try:
        yield
    finally:
        for sig, handler in before.items():
            # None: a handler set outside Python, which cannot be put back; the default can.
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        for sig in dict.fromkeys(held):
            signal.raise_signal(sig)


def _without_main(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v for k, v in data.items() if k not in ("init_main_from_path", "init_main_from_name")
    }


class _Popen(popen_forkserver.Popen):
    """The fork server's Popen, less the main module. multiprocessing re-runs the parent's
    ``__main__`` in every child (here the CLI script, pytest or a Ray worker), which would cost
    each trial an import of the CLI and could start work of its own; a trial needs only what
    the server preloaded and its target's module."""

    def _launch(self, process_obj: Any) -> None:
        real = mp_spawn.get_preparation_data
        with _lock:
            mp_spawn.get_preparation_data = lambda name: _without_main(real(name))
            try:
                super()._launch(process_obj)
            finally:
                mp_spawn.get_preparation_data = real


class TrialProcess(multiprocessing.context.ForkServerProcess):
    """A trial's process, forked from the warm server."""

    @staticmethod
    def _Popen(process_obj: Any) -> _Popen:  # noqa: N802  (multiprocessing's name)
        return _Popen(process_obj)


def start_fork_server(threads: int = 1, preload: tuple[str, ...] = ()) -> None:
    """Start this process's fork server if it is not running (with ``threads`` as the
    OpenMP/MKL default it reads at start-up; each trial still sets its own), preloading
    grubench and the ``preload`` modules the planned tasks' data need. A server already running
    keeps what it loaded: a module it lacks is imported by the trial, as a cold start would."""
    with _lock:
        forkserver.set_forkserver_preload(PRELOAD + [m for m in preload if m not in PRELOAD])
        with _environ(thread_env(threads)):
            forkserver.ensure_running()


class Forked:
    """A trial running in a child of the fork server: its events, and how to stop it."""

    def __init__(
        self,
        spec: dict[str, Any],
        threads: int,
        env: dict[str, str] | None = None,
        cache: str | None = None,
        preload: tuple[str, ...] = (),
    ) -> None:
        from grubench.run.worker import forked

        start_fork_server(threads, preload)
        self.log = tempfile.NamedTemporaryFile(
            prefix="grubench-trial-", suffix=".log", delete=False
        )
        self.log.close()
        recv, send = multiprocessing.Pipe(duplex=False)
        # The runner's environment and folder as they are now, as a cold worker would get them
        # (the server holds those of its own start, which a later run may have changed).
        child_env = {
            **os.environ,
            **(env or {}),
            **thread_env(threads),
            PARENT_ENV: str(os.getpid()),
        }
        self.proc = TrialProcess(
            target=forked, args=(spec, send, self.log.name, child_env, os.getcwd(), cache)
        )
        # The stream's thread and kill() both wait for the exit; multiprocessing reads the
        # exit code off one pipe, so a second reader in parallel gets EOF and reports 255.
        self._exit_read = threading.Lock()
        self.proc.start()
        send.close()  # the child holds the only writer: its exit ends the stream
        self.recv = recv

    def events(self) -> Iterator[Event]:
        """The child's events, then ``failed`` with the reason if it gave none."""
        try:
            yield from until_exit(self._received(), self._exit_code, self._tail)
        finally:
            self.recv.close()
            Path(self.log.name).unlink(missing_ok=True)

    def _received(self) -> Iterator[Event]:
        while True:
            try:
                yield json.loads(self.recv.recv_bytes())
            except (EOFError, OSError):  # the child closed its end: it has exited
                return

    def _exit_code(self) -> int:
        with self._exit_read:
            self.proc.join()
        return self.proc.exitcode

    def _tail(self) -> list[str]:
        try:
            return Path(self.log.name).read_text(errors="replace").splitlines()[-20:]
        except OSError:
            return []

    def kill(self) -> None:
        self.proc.kill()
        with self._exit_read:
            self.proc.join()


def preloads(trials: list[Trial]) -> tuple[str, ...]:
    """The modules the trials' tasks ask the fork server to load (TaskDef.preload)."""
    from grubench.tasks import get_task

    return tuple(sorted({m for name in {t.task for t in trials} for m in get_task(name).preload}))


def spawn(
    trial: Trial,
    extra_env: dict[str, str] | None = None,
    cache: str | None = None,
    preload: tuple[str, ...] | None = None,
) -> Forked:
    """Fork ``trial``'s process from the warm server, its thread count pinned; ``preload``:
    what the server should load if this call starts it (default: what the trial's task asks)."""
    preload = preloads([trial]) if preload is None else preload
    return Forked(trial_to_dict(trial), trial.threads, extra_env, cache, preload)


def start_worker(
    spec: dict[str, Any], threads: int, extra_env: dict[str, str] | None = None
) -> subprocess.Popen:
    """A cold worker process (``python -m grubench.run.worker``) fed ``spec`` (a trial as JSON
    data; A/B runs pass another revision's, which this revision's ``Trial`` may not read, and
    whose code a fork server of this revision cannot run), its pools pinned to ``threads``."""
    env = {
        **os.environ,
        **(extra_env or {}),
        "PYTHONUNBUFFERED": "1",
        **thread_env(threads),
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


def until_exit(
    events: Iterator[Event], exit_code: Callable[[], int], tail: Callable[[], list[str]]
) -> Iterator[Event]:
    """A worker's ``events``, then, if none of them ended the trial, ``failed`` with the reason
    its exit status and the ``tail`` of its output give (one rule for cold and forked workers)."""
    ended = False
    for event in events:
        ended = ended or event["event"] in TERMINAL
        yield event
    code = exit_code()
    if not ended:
        yield {"event": "failed", "error": crash_reason(code, tail())}


def worker_events(proc: subprocess.Popen) -> Iterator[Event]:
    """The protocol events a cold worker prints, then ``failed`` with the reason if it gave
    none."""
    tail: deque[str] = deque(maxlen=20)
    reader = threading.Thread(target=lambda: tail.extend(proc.stderr), daemon=True)
    reader.start()

    def exit_code() -> int:
        code = proc.wait()
        reader.join(timeout=5)
        return code

    yield from until_exit(_protocol(proc.stdout), exit_code, lambda: list(tail))


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
                with interrupts_deferred():  # a started trial is always one we can stop
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


def run_local(
    trials: list[Trial],
    workers: int,
    on_record: RecordSink,
    on_event: Sink,
    cache: str | None = None,
) -> None:
    """Run every trial in its own process on this machine, ``workers`` at once; ``cache``: a
    folder where the trials of one (task, parameters, seed) share the data they build."""

    preload = preloads(trials)

    def launch(index: int, trial: Trial, events: queue.Queue) -> Callable[[], None]:
        worker = spawn(trial, cache=cache, preload=preload)
        feed(index, worker.events(), events)
        return worker.kill

    drive(trials, workers, launch, on_record, on_event)
