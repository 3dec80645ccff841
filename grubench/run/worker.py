"""The process that runs one trial, started in one of two ways, with one event protocol.

- Forked (the local and Ray executors): a child of a fork server that imported torch and
  grubench once (``grubench.run.warm``), so a trial pays for a ``fork()``, not for a Python
  start and ``import torch``. Events travel over a pipe; stdout and stderr go to a log file.
- Cold (``python -m grubench.run.worker``: the spec on stdin, ``PREFIX`` lines on stdout): how
  ``grubench ab`` runs another revision's code, which a fork server of this revision cannot.

Either way the trial has a process of its own, so its peak memory is its own and a crash, a
SIGKILL or the OOM killer takes only that trial.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import traceback
from collections.abc import Callable
from typing import Any

PREFIX = "@@grubench "  # protocol lines; anything else a library prints is passed over
PARENT_ENV = "GRUBENCH_PARENT_PID"
OOM_MARKERS = ("out of memory", "can't allocate memory", "cannot allocate memory")
# The name ps, top and psutil show for a forked trial (at most 15 bytes: the kernel's comm).
TRIAL_NAME = b"grubench-trial"


def emit(event: dict) -> None:
    sys.stdout.write(PREFIX + json.dumps(event, allow_nan=False, default=str) + "\n")
    sys.stdout.flush()


def _prctl(option: int, arg: Any) -> None:
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(option, arg)


def die_with_parent(parent_alive: Callable[[], bool] | None = None) -> None:
    """Ask Linux to SIGKILL this worker when its parent dies, so a runner killed with SIGKILL
    (or a Ray worker that is cancelled) leaves no orphan training on the cores. A forked trial's
    parent is the fork server, which exits when the runner does (it reads a pipe whose other end
    the runner holds)."""
    try:
        import signal

        _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if parent_alive is not None:
        if not parent_alive():
            os._exit(1)
        return
    parent = os.environ.get(PARENT_ENV)
    if parent and parent.isdigit() and os.getppid() != int(parent):
        os._exit(1)  # the parent died before the request took effect


def failure(e: BaseException) -> str:
    """The one-line reason recorded for an exception inside a trial."""
    text = f"{type(e).__name__}: {e}".splitlines()[0]
    if isinstance(e, MemoryError) or any(m in text.lower() for m in OOM_MARKERS):
        return f"out of memory ({text})"
    return text


def run_spec(spec: dict[str, Any], send: Callable[[dict], None], cache: str | None = None) -> int:
    """Run the trial ``spec`` describes, sending its events and then exactly one ``result`` or
    ``failed``; the exit status."""
    try:
        # Injected before the trial's own work, so the fault tests cost no training.
        from grubench.run import faults

        kind = faults.fault_for(spec["arch"], spec["seed"], os.environ.get(faults.ENV, ""))
        if kind:
            faults.inject(kind)
        from grubench.config import trial_from_dict
        from grubench.trial.train import run_trial

        trial = trial_from_dict(spec)
        record = run_trial(trial, on_event=send, cache=cache).with_node(socket.gethostname())
    except Exception as e:  # a crash inside one trial is recorded; the sweep goes on
        traceback.print_exc()
        send({"event": "failed", "error": failure(e), "node": socket.gethostname()})
        return 1
    send({"event": "result", "record": record.to_dict()})
    return 0


def forked(
    spec: dict[str, Any], conn: Any, log: str, env: dict[str, str], cwd: str, cache: str | None
) -> None:
    """The body of a forked trial (a ``multiprocessing`` target in the fork server's child)."""
    import psutil

    # A session of its own, as a cold worker has: Ctrl-C reaches the runner, which decides.
    os.setsid()
    try:
        _prctl(15, TRIAL_NAME)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass
    os.environ.clear()
    os.environ.update(env)
    try:
        os.chdir(cwd)
    except OSError:  # the runner's folder is gone; the trial reads nothing relative to it
        pass
    runner = int(env[PARENT_ENV])
    die_with_parent(lambda: psutil.pid_exists(runner))
    # What libraries print goes to the trial's log (the crash reason's tail), never to the
    # runner's terminal; events go over ``conn``.
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)

    def send(event: dict) -> None:
        # The same JSON as the cold protocol (NaN refused, odd types as text).
        conn.send_bytes(json.dumps(event, allow_nan=False, default=str).encode())

    code = run_spec(spec, send, cache)
    conn.close()
    sys.stdout.flush()
    sys.stderr.flush()
    # No interpreter teardown (atexit hooks, torch's and the fork server's inherited state):
    # the record has been sent, and the exit status is the trial's own.
    os._exit(code)


def main() -> int:
    die_with_parent()
    return run_spec(json.loads(sys.stdin.read()), emit, os.environ.get("GRUBENCH_DATA_CACHE"))


if __name__ == "__main__":
    sys.exit(main())
