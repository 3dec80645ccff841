"""Tuning: equal trials per arch, disjoint seeds, a choice made on validation only, resume."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from grubench.config import TUNE_SEED0, suite_from_dict, without_tuning
from grubench.errors import UserError
from grubench.run import plan as runs
from grubench.run.tune import choose, tuning_trials
from grubench.trial.train import run_trial

SOURCE = {
    "name": "tuned",
    "archs": ["gru", "lstm"],
    "seeds": 2,
    "hidden": 8,
    "threads": 1,
    "train": {"epochs": 2, "batch_size": 32},
    "tune": {"lr": [0.001, 0.01, 0.1], "seeds": 2},
    "task": [
        {"name": "adding", "length": 10, "n_train": 64, "n_val": 32, "n_test": 32},
        {"name": "anbn", "max_n": 4, "max_n_test": 6, "n_train": 64, "n_val": 32},
    ],
}


def test_every_arch_gets_the_same_tuning_trials_on_seeds_no_final_trial_uses():
    suite = suite_from_dict(SOURCE)
    groups = suite.tuning()
    assert set(groups) == {(i, a) for i in (0, 1) for a in ("gru", "lstm")}
    for trials in groups.values():
        assert sorted((t.train.lr, t.seed) for t in trials) == sorted(
            (lr, s) for lr in (0.001, 0.01, 0.1) for s in (TUNE_SEED0, TUNE_SEED0 + 1)
        )
        assert {t.role for t in trials} == {"tune"}
    finals = suite.trials()
    assert {t.seed for t in finals} == {0, 1}
    assert not {t.seed for t in finals} & {t.seed for g in groups.values() for t in g}
    assert len(tuning_trials(suite)) == 24 == len({t.id for t in tuning_trials(suite)})


def _records(suite, val, test):
    """A record per tuning trial with validation ``val(lr, seed)`` and test ``test(lr)``."""
    return {
        t.id: {"status": "ok", "best_val_metric": val(t.train.lr, t.seed), "test_metric": test(t)}
        for g in suite.tuning().values()
        for t in g
    }


def test_the_choice_is_the_best_median_validation_whatever_the_test_split_says():
    suite = suite_from_dict(SOURCE)
    # Validation prefers 0.01 (MSE, lower is better; accuracy, higher is better); the test
    # metric prefers 0.1 everywhere and must be ignored.
    val = {0.001: 0.5, 0.01: 0.1, 0.1: 0.3}
    by_id = _records(suite, lambda lr, s: val[lr], lambda t: -t.train.lr)
    chosen = choose(suite, by_id)
    assert chosen[(0, "gru")].lr == chosen[(0, "lstm")].lr == 0.01  # adding: min
    assert chosen[(1, "gru")].lr == 0.001  # anbn validates accuracy: max
    assert chosen[(0, "gru")].scores == {0.001: 0.5, 0.01: 0.1, 0.1: 0.3}


def test_the_median_over_tuning_seeds_decides_and_a_failed_seed_scores_worst():
    suite = suite_from_dict(SOURCE)
    by_id = _records(suite, lambda lr, s: {0.001: 0.2, 0.01: 0.1, 0.1: 0.15}[lr], lambda t: 0)
    for t in suite.tuning()[(0, "gru")]:
        if t.train.lr == 0.01 and t.seed == TUNE_SEED0:
            by_id[t.id] = {"status": "diverged", "best_val_metric": 0.01}
    # 0.01's median is now (0.1 + inf) / 2: it loses to 0.1 (0.15); lstm still picks 0.01.
    chosen = choose(suite, by_id)
    assert chosen[(0, "gru")].lr == 0.1 and chosen[(0, "lstm")].lr == 0.01
    assert chosen[(0, "gru")].scores[0.01] is None


def test_with_no_usable_tuning_trial_the_suite_rate_is_kept():
    suite = suite_from_dict(SOURCE)
    chosen = choose(suite, {})
    assert {c.lr for c in chosen.values()} == {suite.train.lr}


def test_tune_section_is_validated_and_a_range_gives_a_log_spaced_grid():
    ranged = {**SOURCE, "tune": {"lr_range": [1e-4, 1e-2], "count": 3, "seeds": 1}}
    assert suite_from_dict(ranged).tune.lr == (1e-4, 1e-3, 1e-2)
    for tune, message in [
        ({"lr": [0.1], "lr_range": [0.1, 1]}, "not both"),
        ({"seeds": 2}, "needs lr"),
        ({"lr_range": [0.1, 1]}, "needs count"),
        ({"lr_range": [1, 0.1], "count": 2}, "low < high"),
        ({"lr": [0.1, 0.1]}, "twice"),
        ({"lr": [0.1], "trials": 3}, "unknown key 'tune.trials'"),
        ({"lr": [-0.1]}, "positive"),
    ]:
        with pytest.raises(UserError, match=message):
            suite_from_dict({**SOURCE, "tune": tune})
    with pytest.raises(UserError, match="at most 1000"):
        suite_from_dict({**SOURCE, "seeds": 1001})
    assert suite_from_dict(without_tuning(SOURCE)).tune is None


def _in_process(stop_after: int | None = None):
    """A stand-in for the local executor that trains in this process (fast) and can be
    interrupted after ``stop_after`` records, as Ctrl-C would."""
    count = {"n": 0}

    def run_local(trials, workers, on_record, on_event, cache=None):
        for t in trials:
            if stop_after is not None and count["n"] >= stop_after:
                raise KeyboardInterrupt
            on_record(run_trial(t))
            count["n"] += 1

    return run_local


def test_an_interrupted_run_resumes_tuning_then_trains_finals_at_the_chosen_rate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    source = {**SOURCE, "task": SOURCE["task"][:1], "tune": {"lr": [0.001, 0.05], "seeds": 1}}
    out = tmp_path / "run"
    plan = runs.plan_new(source, out)
    assert len(plan.trials) == 4 + 4 and not plan.settled
    runs.start(plan)
    monkeypatch.setattr(runs, "run_local", _in_process(stop_after=3))
    with pytest.raises(KeyboardInterrupt):
        runs.execute(plan, lambda ev: None)
    resumed = runs.plan_resume(out)
    assert not resumed.settled and len(resumed.todo) == 1 + 4  # one tuning trial, 4 finals
    assert runs.progress(out).missing == 5
    monkeypatch.setattr(runs, "run_local", _in_process())
    runs.execute(resumed, lambda ev: None)

    records = runs.results(out)
    tune = [r for r in records if r["role"] == "tune"]
    finals = [r for r in records if r["role"] == "final"]
    assert len(tune) == 4 and len(finals) == 4
    chosen = {c["arch"]: c["lr"] for c in json.loads((out / "run.json").read_text())["tuning"]}
    for r in finals:
        assert r["lr"] == chosen[r["arch"]] and r["lr_grid"] == [0.001, 0.05]
        assert r["seed"] in (0, 1)
    for arch in ("gru", "lstm"):  # the choice is the better validation of the two rates
        vals = {r["lr"]: r["best_val_metric"] for r in tune if r["arch"] == arch}
        assert chosen[arch] == min(vals, key=vals.get)
    again = runs.plan_resume(out)
    assert again.settled and again.todo == ()
    assert runs.progress(out).missing == 0 and runs.progress(out).planned == 8
    assert {r["role"] for r in runs.finish(out, report=False)[0]} == {"final"}


def test_a_suite_without_tune_trains_at_its_own_rate_with_no_grid():
    suite = suite_from_dict(without_tuning(SOURCE))
    assert suite.tuning() == {} and tuning_trials(suite) == []
    assert {(t.train.lr, t.lr_grid) for t in suite.trials()} == {(suite.train.lr, None)}
    t = replace(suite.trials()[0], role="tune")
    assert t.id != suite.trials()[0].id
