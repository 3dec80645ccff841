"""Trials forked from the warm server: the same numbers as a cold process, memory of their
own, the runner's environment of the moment, and data built once per seed."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import replace
from multiprocessing import forkserver, reduction
from pathlib import Path

import pytest
import torch
from scale_helpers import TINY

from grubench.config import suite_from_dict, trial_to_dict
from grubench.run import faults
from grubench.run.local import (
    drive,
    feed,
    interrupts_deferred,
    run_local,
    spawn,
    start_fork_server,
    start_worker,
    worker_events,
)
from grubench.run.plan import Efficiency
from grubench.tasks import get_task, resolve_params
from grubench.tasks.shared import build_shared


def _record(events) -> dict:
    last = list(events)[-1]
    assert last["event"] == "result", last
    return last["record"]


@pytest.fixture(scope="module")
def pair() -> tuple[dict, dict]:
    """One trial run cold (``python -m grubench.run.worker``) and forked from the server."""
    trial = suite_from_dict({**TINY, "seeds": 1}).trials()[1]  # the LSTM
    cold = _record(worker_events(start_worker(trial_to_dict(trial), trial.threads)))
    forked = _record(spawn(trial).events())
    return cold, forked


def test_a_forked_trial_gives_the_cold_processs_numbers_bit_for_bit(pair):
    cold, forked = pair
    assert forked["test_metric"] == cold["test_metric"]
    assert [h["val_metric"] for h in forked["history"]] == [
        h["val_metric"] for h in cold["history"]
    ]
    assert forked["params_total"] == cold["params_total"]


def test_a_forked_trials_memory_peaks_are_its_own(pair):
    cold, forked = pair
    # The server's pages (about 260 MiB resident) are shared, not the trial's: the peaks above
    # the trial's own baseline stay those of a cold process, within the few MiB by which two
    # identical cold processes differ here (8.5-11.3 MiB over seven runs of one trial).
    assert abs(forked["peak_mem_mb"] - cold["peak_mem_mb"]) < 4.0, (forked, cold)
    assert abs(forked["peak_eval_mb"] - cold["peak_eval_mb"]) < 4.0
    assert forked["mem_baseline_mb"] > 100  # the server's pages are there, and not counted


def test_a_forked_trial_pays_little_set_up(pair):
    cold, forked = pair
    # What the server loaded once (imports, the first optimiser) is not paid again: a cold
    # process pays about 2 s before its first epoch on one core, a forked one a fraction.
    assert forked["setup_seconds"] < cold["setup_seconds"] / 3


def test_a_forked_trial_sees_the_runners_environment_of_the_moment(monkeypatch):
    trials = suite_from_dict({**TINY, "seeds": 1, "archs": ["gru"]}).trials()
    got: list = []
    run_local(trials, 1, got.append, lambda ev: None)  # the server is up from here on
    assert got[0].status == "ok"
    monkeypatch.setenv(faults.ENV, "gru:0=crash")
    run_local(trials, 1, got.append, lambda ev: None)
    assert got[1].status == "failed" and got[1].error == "RuntimeError: injected crash"
    monkeypatch.delenv(faults.ENV)
    run_local(trials, 1, got.append, lambda ev: None)
    assert got[2].status == "ok" and got[2].test_metric == got[0].test_metric


def test_library_output_stays_out_of_the_runners_streams(capfd):
    trials = suite_from_dict({**TINY, "seeds": 1, "archs": ["gru"]}).trials()
    got: list = []
    run_local(trials, 1, got.append, lambda ev: None)
    out, err = capfd.readouterr()
    assert got[0].status == "ok" and out == "" and err == ""


def test_the_data_of_a_seed_are_built_once_and_shared_bit_for_bit(tmp_path: Path, monkeypatch):
    task = get_task("adding")
    params = resolve_params(task, {"length": 10, "n_train": 64, "n_val": 32, "n_test": 32})
    builds: list[int] = []

    def counting(p, seed):
        builds.append(seed)
        return task.build(p, seed)

    counted = replace(task, build=counting)
    first = build_shared(counted, params, 3, str(tmp_path))
    second = build_shared(counted, params, 3, str(tmp_path))
    other = build_shared(counted, params, 4, str(tmp_path))
    assert builds == [3, 4]  # the second trial of seed 3 loaded the first one's file
    fresh = task.build(params, 3)
    for a, b in [(first, fresh), (second, fresh)]:
        assert torch.equal(a.train.x, b.train.x) and torch.equal(a.test.y, b.test.y)
        assert a.baseline == b.baseline
    assert not torch.equal(other.train.x, first.train.x)
    # A damaged file is rebuilt, never trusted.
    for p in tmp_path.glob("*.pt"):
        p.write_bytes(b"not a torch file")
    again = build_shared(counted, params, 3, str(tmp_path))
    assert len(builds) == 3 and torch.equal(again.train.x, fresh.train.x)


def test_efficiency_is_training_over_worker_time():
    e = Efficiency(trials=4, workers=2, train_seconds=80.0, wall_seconds=50.0, setup_median_s=0.1)
    assert e.ratio == pytest.approx(0.8)
    assert e.line().startswith("efficiency: 0.80 of worker time training (80 s over 2 workers")
    assert json.loads(json.dumps(e.as_dict()))["ratio"] == pytest.approx(0.8)
    assert Efficiency(0, 2, 0.0, 0.0, None).ratio is None


def test_the_server_preloads_what_the_planned_tasks_data_need():
    from grubench.run.local import preloads

    adding = suite_from_dict({**TINY, "seeds": 1}).trials()
    assert preloads(adding) == ()
    pytest.importorskip("aeon", reason="the UCR tasks need grubench[real]")
    ucr = suite_from_dict(
        {**TINY, "seeds": 1, "task": [{"name": "ucr:ArrowHead"}, {"name": "adding"}]}
    ).trials()
    assert preloads(ucr) == ("aeon.datasets",)


def test_signals_in_a_deferred_block_reach_their_handlers_when_it_ends():
    seen: list[str] = []

    def handler(signum, frame):
        seen.append(signal.Signals(signum).name)

    before = signal.signal(signal.SIGTERM, handler)
    try:
        with interrupts_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGTERM)
            seen.append("block ended")
        assert signal.getsignal(signal.SIGTERM) is handler
    finally:
        signal.signal(signal.SIGTERM, before)
    assert seen == ["block ended", "SIGTERM"]  # held, then once


def test_an_interrupt_during_a_trial_start_finishes_the_start_then_stops_the_trial(monkeypatch):
    """Ctrl-C between connecting to the fork server and sending it the descriptors used to
    leave the server reading a closed socket: it died printing a traceback, and the child was
    not one the runner knew to stop."""
    trial = suite_from_dict({**TINY, "seeds": 1}).trials()[0]
    start_fork_server()
    server = forkserver._forkserver._forkserver_pid
    real = reduction.sendfds

    def interrupted(sock, fds):
        os.kill(os.getpid(), signal.SIGINT)
        return real(sock, fds)

    monkeypatch.setattr(reduction, "sendfds", interrupted)
    started = []

    def launch(index, trial, events):
        worker = spawn(trial)
        started.append(worker)
        feed(index, worker.events(), events)
        return worker.kill

    records: list = []
    with pytest.raises(KeyboardInterrupt):
        drive([trial], 1, launch, records.append, lambda event: None)
    assert len(started) == 1 and started[0].proc.exitcode == -signal.SIGKILL and records == []
    assert os.waitpid(server, os.WNOHANG) == (0, 0)  # the server lives on
    assert forkserver._forkserver._forkserver_pid == server
