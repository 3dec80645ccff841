"""Faults inside trials: each is recorded with its reason, and the sweep goes on."""

from __future__ import annotations

from dataclasses import replace

import pytest
from scale_helpers import TINY

from grubench.config import suite_from_dict
from grubench.errors import UserError
from grubench.run import faults
from grubench.run.local import run_local


def test_fault_spec_matches_arch_and_seed_with_wildcards():
    spec = "lstm:1=sigkill, gru:*=memory,*:7=exit"
    assert faults.fault_for("lstm", 1, spec) == "sigkill"
    assert faults.fault_for("lstm", 0, spec) is None
    assert faults.fault_for("gru", 5, spec) == "memory"
    assert faults.fault_for("rnn", 7, spec) == "exit"
    assert faults.fault_for("gru", 0, "") is None


@pytest.mark.parametrize("spec", ["lstm=sigkill", "lstm:1", "lstm:1=melt", ":1=crash"])
def test_malformed_fault_specs_are_user_errors(spec):
    with pytest.raises(UserError, match="want ARCH:SEED=KIND"):
        faults.parse(spec)


def test_each_fault_is_recorded_with_its_reason_and_the_others_finish(monkeypatch):
    suite = suite_from_dict({**TINY, "archs": ["gru", "lstm", "rnn"], "seeds": 2})
    trials = suite.trials()
    # A learning rate of 1e30 makes the loss overflow: divergence needs no hook.
    trials.append(replace(trials[0], train=replace(trials[0].train, lr=1e30), seed=9))
    monkeypatch.setenv(
        faults.ENV,
        "lstm:0=sigkill,lstm:1=memory,rnn:0=alloc,rnn:1=crash,gru:1=exit",
    )
    results: list = []
    events: list[dict] = []
    run_local(trials, 2, results.append, events.append)
    records = [r.to_dict() for r in results]

    by = {(r["arch"], r["seed"]): r for r in records}
    assert len(records) == len(trials) == 7
    assert by[("gru", 0)]["status"] == "ok" and by[("gru", 0)]["test_metric"] > 0
    assert by[("gru", 9)]["status"] == "diverged"
    assert by[("gru", 9)]["diverged_reason"] == "non-finite training loss in epoch 1"
    assert by[("gru", 9)]["epochs_run"] == 0
    expected = {
        ("lstm", 0): "worker killed by SIGKILL (out of memory?",
        ("lstm", 1): "out of memory (MemoryError",
        ("rnn", 0): "out of memory (RuntimeError",
        ("rnn", 1): "RuntimeError: injected crash",
        ("gru", 1): "worker exited with code 3 without a result",
    }
    for key, reason in expected.items():
        assert by[key]["status"] == "failed", key
        assert by[key]["error"].startswith(reason), by[key]["error"]
        assert by[key]["metric"] == "mse" and by[key]["test_metric"] is None
    # A worker that reports its own failure names its host; one killed or gone silent cannot.
    assert all(by[k]["node"] for k in [("gru", 0), ("lstm", 1), ("rnn", 0), ("rnn", 1)])
    assert by[("lstm", 0)]["node"] is None and by[("gru", 1)]["node"] is None
    assert sum(ev["event"] == "finish" for ev in events) == 7
