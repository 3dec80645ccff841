"""Entry point of the fresh process that runs one trial: spec on stdin, events on stdout.

A fresh process per trial makes its peak memory its own and its failures contained.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import traceback

PREFIX = "@@grubench "  # protocol lines; anything else a library prints is passed over
PARENT_ENV = "GRUBENCH_PARENT_PID"
OOM_MARKERS = ("out of memory", "can't allocate memory", "cannot allocate memory")


def emit(event: dict) -> None:
    sys.stdout.write(PREFIX + json.dumps(event, allow_nan=False, default=str) + "\n")
    sys.stdout.flush()


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when its parent dies, so a runner killed with SIGKILL
    (or a Ray worker that is cancelled) leaves no orphan training on the cores."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
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


def main() -> int:
    die_with_parent()
    spec = json.loads(sys.stdin.read())
    try:
        # Injected before torch is imported, so the fault tests cost no torch start-up.
        from grubench.run import faults

        kind = faults.fault_for(spec["arch"], spec["seed"], os.environ.get(faults.ENV, ""))
        if kind:
            faults.inject(kind)
        from grubench.config import trial_from_dict
        from grubench.trial.train import run_trial

        record = run_trial(trial_from_dict(spec), on_event=emit).with_node(socket.gethostname())
    except Exception as e:  # a crash inside one trial is recorded; the sweep goes on
        traceback.print_exc()
        emit({"event": "failed", "error": failure(e), "node": socket.gethostname()})
        return 1
    emit({"event": "result", "record": record.to_dict()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
