"""Entry point of the fresh process that runs one trial: spec on stdin, events on stdout.

A fresh process per trial makes its peak memory its own and its failures contained.
"""

from __future__ import annotations

import json
import sys
import traceback

from grubench.config import trial_from_dict
from grubench.train import run_trial

PREFIX = "@@grubench "  # protocol lines; anything else a library prints is passed over


def emit(event: dict) -> None:
    sys.stdout.write(PREFIX + json.dumps(event, allow_nan=False, default=str) + "\n")
    sys.stdout.flush()


def main() -> int:
    trial = trial_from_dict(json.loads(sys.stdin.read()))
    try:
        record = run_trial(trial, on_event=emit)
    except MemoryError:
        emit({"event": "failed", "error": "out of memory"})
        return 1
    except Exception as e:  # a crash inside one trial is recorded; the sweep goes on
        if "out of memory" in str(e).lower():
            emit({"event": "failed", "error": f"out of memory: {str(e).splitlines()[0]}"})
        else:
            traceback.print_exc()
            emit({"event": "failed", "error": f"{type(e).__name__}: {e}".splitlines()[0]})
        return 1
    emit({"event": "result", "record": record})
    return 0


if __name__ == "__main__":
    sys.exit(main())
