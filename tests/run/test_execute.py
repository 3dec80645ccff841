"""The executor protocol: one terminal event per trial, crash reasons, threads split evenly."""

from __future__ import annotations

import signal

import pytest
from scale_helpers import TINY

from grubench.config import default_threads, suite_from_dict
from grubench.errors import UserError
from grubench.run.local import crash_reason, guarded


def test_guarded_passes_one_terminal_event_and_drops_the_rest():
    events = [{"event": "epoch"}, {"event": "result", "record": 1}, {"event": "failed"}]
    assert list(guarded(iter(events))) == events[:2]


def test_guarded_turns_a_silent_end_or_an_error_into_failed():
    assert list(guarded(iter([{"event": "epoch"}])))[-1] == {
        "event": "failed",
        "error": "the worker ended without a result",
    }

    def broken():
        yield {"event": "epoch"}
        raise ConnectionError("node lost")

    assert list(guarded(broken()))[-1] == {"event": "failed", "error": "ConnectionError: node lost"}


def test_crash_reasons_name_the_signal_or_the_exit_code_and_last_stderr_line():
    assert crash_reason(-signal.SIGKILL, []).startswith("worker killed by SIGKILL (out of memory?")
    assert crash_reason(-signal.SIGSEGV, []) == "worker killed by SIGSEGV"
    assert crash_reason(1, ["x\n", "ValueError: bad\n", "\n"]) == (
        "worker exited with code 1 without a result: ValueError: bad"
    )


@pytest.mark.parametrize("cores, workers, threads", [(2, 1, 2), (2, 2, 1), (16, 3, 5), (2, 8, 1)])
def test_default_threads_split_the_cores_evenly(cores, workers, threads):
    assert default_threads(workers, cores) == threads


def test_a_serial_suite_runs_one_trial_at_a_time_whatever_the_workers():
    suite = suite_from_dict({**TINY, "serial": True, "workers": 4, "threads": None})
    assert suite.parallel == 1 and suite.workers == 4
    assert all(t.threads == default_threads(1) for t in suite.trials())
    assert suite_from_dict({**TINY, "workers": 3}).parallel == 3


def test_serial_must_be_a_boolean():
    with pytest.raises(UserError, match="serial must be bool, got 'yes'"):
        suite_from_dict({**TINY, "serial": "yes"})
