"""Claim experiments as suites: expansion, reuse of finished trials, and missing tasks."""

from dataclasses import replace
from pathlib import Path

import pytest

from grubench.config import suite_from_dict
from grubench.errors import UserError
from grubench.run import plan as runs
from grubench.studies.claims.experiments import Sweep, plan, run_sweep

TINY = Sweep(
    "tiny",
    "adding",
    "n_train",
    (32, 64),
    (("length", 5), ("n_val", 16), ("n_test", 16)),
    hidden=4,
    seeds=1,
    steps=1,
)


def test_a_sweep_is_an_ordinary_suite_with_one_task_entry_per_value():
    suite = suite_from_dict(TINY.source())
    assert [dict(t.params)["n_train"] for t in suite.tasks] == [32, 64]
    trials = suite.trials()
    assert len(trials) == 2 * 1 * 2  # values × seeds × archs
    assert {t.threads for t in trials} == {1}  # fixed, so reuse works on any machine
    assert trials[0].arch == "gru" and trials[1].arch == "lstm"


def test_a_missing_task_is_reported_not_raised(tmp_path: Path):
    real = Sweep("real", "ucr:NoSuchDataset", "train_fraction", (0.5, 1.0), ())
    out = run_sweep(real, tmp_path / "real", lambda ev: None)
    assert out.error is not None and "NoSuchDataset" in out.error
    assert out.records == ()


def test_a_folder_holding_another_version_of_the_experiment_is_refused(tmp_path: Path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "run.json").write_text(
        '{"schema_version": 1, "suite_source": {"name": "tiny", "seeds": 9}}'
    )
    with pytest.raises(UserError, match="different version"):
        plan(TINY, folder)


def test_finished_trials_are_reused_on_the_second_call(tmp_path: Path):
    one = replace(TINY, values=(32,))  # two trials, run side by side: one worker start each
    events = []
    first = run_sweep(one, tmp_path / "tiny", events.append)
    # each arch: one tuning trial per learning rate of its (possibly grown) grid and tuning
    # seed, then its final trial
    tuned = [r for r in runs.results(tmp_path / "tiny") if r["role"] == "tune"]
    grids = {a: {r["lr"] for r in tuned if r["arch"] == a} for a in ("gru", "lstm")}
    assert all(len(g) >= len(one.lr_grid) for g in grids.values())
    assert first.ran == sum(len(g) * one.tune_seeds + 1 for g in grids.values())
    assert len(first.records) == 2
    assert first.stored == first.ran  # tuning trials are stored too; nothing was reused
    assert {r["status"] for r in first.records} == {"ok"}
    assert {(r["arch"], r["task_params"]["n_train"]) for r in first.records} == {
        ("gru", 32),
        ("lstm", 32),
    }
    again = run_sweep(one, tmp_path / "tiny", events.append)
    assert again.ran == 0 and len(again.records) == 2 and again.stored == first.stored
    assert [e["event"] for e in events].count("finish") == first.ran
    unrun = run_sweep(one, tmp_path / "fresh", events.append, execute=False)
    assert unrun.records == () and unrun.error is None


def test_every_fraction_trains_the_same_steps_under_protocol_2():
    frac = Sweep(
        "f", "ucr:JapaneseVowels", "train_fraction", (0.25, 1.0), (("subset", "seed"),), steps=600
    )
    src = frac.source()
    assert src["train"] == {
        "steps": 600,
        "patience": 1,
        "patience_steps": 120,  # a fifth of the budget
        "forget_bias": 1.0,
        "seconds": 600.0,  # a safety net, never the budget
    }
    quarter, full = src["task"]
    assert quarter == {"name": "ucr:JapaneseVowels", "subset": "seed", "train_fraction": 0.25}
    assert full["train_fraction"] == 1.0 and "steps" not in quarter  # the same budget for both
    assert src["tune"] == {"lr": [1e-3, 3e-3, 1e-2], "seeds": 2}
    trials = suite_from_dict(src).trials()
    assert {t.budget.steps for t in trials} == {600}
    assert {t.budget.patience_steps for t in trials} == {120}
