"""Tuning: equal trials per arch, disjoint seeds, a choice made on validation only, resume."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from grubench.config import TUNE_SEED0, suite_from_dict, without_tuning
from grubench.errors import UserError
from grubench.run import plan as runs
from grubench.run.tune import as_json, choose, settle, trial_score, tuning_trials
from grubench.trial.result import TrialResult
from grubench.trial.train import run_trial

# One standard error of a 2-seed mean where every rate's seeds sit 0.1 either side of its mean
# (variance 0.02): the rates' variances are pooled by their median, scaled by a chi-square
# median on one degree of freedom (0.455) to the variance it estimates.
SE2 = math.sqrt(0.02 / 0.454936) / math.sqrt(2)  # 0.148

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
    # extend = 0: a two-rate grid always chooses at an edge; growing it is tested below.
    tune = {"lr": [0.001, 0.05], "seeds": 1, "extend": 0}
    source = {**SOURCE, "task": SOURCE["task"][:1], "tune": tune}
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


def _loss_records(trials, loss):
    """Records with validation loss ``loss(lr, seed)`` and an accuracy that disagrees."""
    return {
        t.id: {"status": "ok", "best_val_loss": loss(t.train.lr, t.seed), "best_val_metric": 0.0}
        for t in trials
    }


def test_tuning_chooses_on_validation_loss_and_says_so():
    suite = suite_from_dict(SOURCE)
    loss = {0.001: 0.3, 0.01: 0.1, 0.1: 0.2}
    by_id = _loss_records(tuning_trials(suite), lambda lr, s: loss[lr])
    chosen = choose(suite, by_id)
    # anbn validates accuracy (max), but the loss is what is scored: lower is better everywhere.
    assert {c.lr for c in chosen.values()} == {0.01}
    assert {c.scored_on for c in chosen.values()} == {"val_loss"}
    assert {c.direction for c in chosen.values()} == {"min"}
    assert chosen[(0, "gru")].edge is None and chosen[(0, "gru")].tie is False


def test_equal_medians_go_to_the_lower_mean_not_to_the_grids_order():
    suite = suite_from_dict({**SOURCE, "tune": {"lr": [0.001, 0.01, 0.1], "seeds": 3}})
    seeds = {TUNE_SEED0: 0, TUNE_SEED0 + 1: 1, TUNE_SEED0 + 2: 2}
    # 0.001: median 0.2, mean 0.4; 0.01: median 0.2, mean 0.2; 0.1: median 0.5.
    table = {0.001: [0.1, 0.2, 0.9], 0.01: [0.15, 0.2, 0.25], 0.1: [0.5, 0.5, 0.5]}
    by_id = _loss_records(tuning_trials(suite), lambda lr, s: table[lr][seeds[s]])
    c = choose(suite, by_id)[(0, "lstm")]
    assert c.lr == 0.01 and c.tie is True
    assert c.scores == {0.001: 0.2, 0.01: 0.2, 0.1: 0.5}
    assert c.means[0.001] == pytest.approx(0.4)


def test_a_choice_at_an_edge_grows_the_grid_for_every_arch_within_bounds():
    suite = suite_from_dict({**SOURCE, "task": SOURCE["task"][:1]})

    def loss(lr, seed):  # the larger the rate the better, up to 1.0
        return 1.0 - min(lr, 1.0) * 0.5

    by_id = _loss_records(tuning_trials(suite), loss)
    grids, trials, choices = settle(suite, by_id)
    # 0.1 won at the top edge: one step up (×10) for both archs, not yet run.
    assert choices is None and grids == {0: (0.001, 0.01, 0.1, 1.0)}
    new = [t for t in trials if t.id not in by_id]
    assert sorted((t.arch, t.train.lr) for t in new) == sorted(
        (a, 1.0) for a in ("gru", "lstm") for _ in range(2)
    )
    assert {t.lr_grid for t in new} == {(0.001, 0.01, 0.1)}  # the suite's grid: ids unchanged
    by_id |= _loss_records(new, loss)
    grids, trials, choices = settle(suite, by_id)
    # 1.0 wins and is the bound (1.0): the grid stops there, and the choice says it is an edge.
    assert grids == {0: (0.001, 0.01, 0.1, 1.0)} and choices is not None
    assert {c.lr for c in choices.values()} == {1.0}
    assert {c.edge for c in choices.values()} == {"high"}
    assert len(trials) == 2 * 2 * 4  # archs × tuning seeds × rates, equal for every arch
    finals = suite.trials({k: c.lr for k, c in choices.items()}, grids)
    assert {t.lr_grid for t in finals} == {(0.001, 0.01, 0.1, 1.0)}

    bounded = suite_from_dict(
        {**SOURCE, "task": SOURCE["task"][:1], "tune": {**SOURCE["tune"], "lr_bounds": [1e-3, 0.1]}}
    )
    grids, _, choices = settle(bounded, _loss_records(tuning_trials(bounded), loss))
    assert grids == {0: (0.001, 0.01, 0.1)} and choices[(0, "gru")].edge == "high"
    none = suite_from_dict(
        {**SOURCE, "task": SOURCE["task"][:1], "tune": {**SOURCE["tune"], "extend": 0}}
    )
    assert settle(none, _loss_records(tuning_trials(none), loss))[0] == {0: (0.001, 0.01, 0.1)}


def test_a_run_tunes_its_extended_grid_before_the_finals_and_resumes_settled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    source = {
        **SOURCE,
        "task": SOURCE["task"][:1],
        "tune": {"lr": [0.001, 0.01], "seeds": 2, "lr_bounds": [1e-4, 1.0], "extend": 1},
    }
    ran: list = []

    def fake_local(trials, workers, on_record, on_event, cache=None):
        for t in trials:  # the lower the rate, the better: the grid grows downwards once
            ran.append(t)
            on_record(TrialResult.of(t, "ok", best_val_loss=t.train.lr, train_seconds=0.0))

    monkeypatch.setattr(runs, "run_local", fake_local)
    out = tmp_path / "run"
    plan = runs.plan_new(source, out)
    runs.start(plan)
    events: list[dict] = []
    runs.execute(plan, events.append)
    # The progress display learns that the plan grew: 8 tuning + 4 finals became 12 + 4.
    assert len(plan.trials) == 12 and [e["total"] for e in events if e["event"] == "planned"] == [
        16
    ]
    tune = [t for t in ran if t.role == "tune"]
    assert sorted({t.train.lr for t in tune}) == [0.0001, 0.001, 0.01]
    assert sum(t.arch == "gru" for t in tune) == sum(t.arch == "lstm" for t in tune) == 6
    finals = [t for t in ran if t.role == "final"]
    assert {t.train.lr for t in finals} == {0.0001} and len(finals) == 4
    info = json.loads((out / "run.json").read_text())
    assert {c["edge"] for c in info["tuning"]} == {"low"}  # at the bound: said, not hidden
    assert info["tuning"][0]["grid"] == [0.0001, 0.001, 0.01]
    again = runs.plan_resume(out)
    assert again.settled and again.todo == () and len(again.trials) == 12 + 4


def test_tune_bounds_and_extend_are_validated():
    for tune, message in [
        ({"lr": [0.01], "lr_bounds": [0.1, 1.0]}, "must hold every rate"),
        ({"lr": [0.01], "lr_bounds": [0.1]}, "must be \\[low, high\\]"),
        ({"lr": [0.01], "extend": -1}, "extend must be 0 or more"),
    ]:
        with pytest.raises(UserError, match=message):
            suite_from_dict({**SOURCE, "tune": tune})


def _one_task(**tune):
    return suite_from_dict(
        {**SOURCE, "task": SOURCE["task"][:1], "tune": {**SOURCE["tune"], **tune}}
    )


def _table_records(suite, table, key="best_val_loss", task=0):
    """Records from ``table[lr][seed index]`` (None: a failed trial; NaN kept as given)."""
    out = {}
    for t in tuning_trials(suite):
        if (task, t.arch) not in suite.tuning():
            continue
        value = table[t.train.lr][t.seed - TUNE_SEED0]
        out[t.id] = {"status": "failed"} if value is None else {"status": "ok", key: value}
    return out


def test_a_failed_or_non_finite_tuning_trial_scores_worst_on_the_loss():
    suite = _one_task(seeds=3)
    # 0.001 would win on its one good seed; two failed (worst), so its median is the worst and
    # 0.01 (median 0.25) wins. A NaN loss counts as worst too.
    table = {0.001: [0.1, None, None], 0.01: [0.2, 0.25, 0.3], 0.1: [0.1, math.nan, math.nan]}
    c = choose(suite, _table_records(suite, table))[(0, "gru")]
    assert c.lr == 0.01 and c.task == "adding" and c.arch == "gru"
    assert c.scores[0.1] is None and c.scores[0.001] is None and c.means[0.001] is None


def test_a_failed_seed_loses_a_tie_on_the_mean_in_either_direction():
    suite = _one_task(seeds=3)
    table = {0.001: [0.1, 0.2, None], 0.01: [0.2, 0.2, 0.25], 0.1: [0.5, 0.5, 0.5]}
    c = choose(suite, _table_records(suite, table))[(0, "lstm")]
    assert c.lr == 0.01 and c.tie is True  # equal medians 0.2; 0.001's mean is the worst
    # Older records, scored on validation accuracy (higher is better), the same way round.
    anbn = suite_from_dict(
        {**SOURCE, "task": SOURCE["task"][1:], "tune": {**SOURCE["tune"], "seeds": 3}}
    )
    acc = {0.001: [0.9, 0.8, None], 0.01: [0.8, 0.8, 0.7], 0.1: [0.5, 0.5, 0.5]}
    c = choose(anbn, _table_records(anbn, acc, "best_val_metric"))[(0, "gru")]
    assert (c.lr, c.tie, c.scored_on, c.direction) == (0.01, True, "accuracy", "max")
    worse = {0.001: [0.9, None, None], 0.01: [0.6, 0.6, 0.6], 0.1: [0.5, 0.5, 0.5]}
    assert choose(anbn, _table_records(anbn, worse, "best_val_metric"))[(0, "gru")].lr == 0.01


def test_medians_a_hair_apart_are_not_a_tie():
    suite = _one_task(seeds=3)
    table = {
        0.001: [0.1, 0.2, 0.2],
        0.01: [0.2 * (1 + 1e-10), 0.2 * (1 + 1e-10), 0.0],
        0.1: [1, 1, 1],
    }
    c = choose(suite, _table_records(suite, table))[(0, "gru")]
    assert c.lr == 0.001 and c.tie is False  # the lower median wins, whatever the means


def test_with_no_usable_trial_the_fallback_is_not_called_an_edge():
    suite = suite_from_dict({**SOURCE, "train": {**SOURCE["train"], "lr": 0.001}})
    c = choose(suite, {})[(0, "gru")]
    assert c.lr == 0.001 and c.edge is None
    assert (c.best, c.within, c.se) == (None, (), 0.0)


def _grow(suite, loss):
    grids, trials, choices = settle(suite, _loss_records(tuning_trials(suite), loss))
    while choices is None:
        by_id = _loss_records(trials, loss)
        grids, trials, choices = settle(suite, by_id)
    return grids[0], choices


def test_the_grid_grows_within_its_bounds_and_its_steps_each_way():
    low = lambda lr, s: lr  # noqa: E731  (the lower the rate, the better)
    high = lambda lr, s: 1 - lr  # noqa: E731
    two = {"lr": [0.01, 0.1], "seeds": 1}
    assert _grow(_one_task(**two, extend=1), low)[0] == (0.001, 0.01, 0.1)  # one step, no more
    assert _grow(_one_task(**two, extend=2), low)[0] == (0.0001, 0.001, 0.01, 0.1)
    assert _grow(_one_task(**two, extend=2), high)[0] == (0.01, 0.1, 1.0)  # the bound, 1.0
    bounded = _one_task(**two, lr_bounds=[0.01, 0.5])
    grid, choices = _grow(bounded, high)
    assert grid == (0.01, 0.1) and choices[(0, "gru")].edge == "high"  # 1.0 is past 0.5
    assert _grow(_one_task(**two, lr_bounds=[0.01, 1.0]), low)[0] == (0.01, 0.1)


def test_only_the_task_whose_choice_sat_at_an_edge_grows():
    suite = suite_from_dict({**SOURCE, "tune": {"lr": [0.001, 0.01, 0.1], "seeds": 1}})

    by_id = {}  # adding likes 0.1 (an edge), anbn 0.01 (inside)
    for t in tuning_trials(suite):
        best = 0.1 if t.task == "adding" else 0.01
        by_id[t.id] = {"status": "ok", "best_val_loss": abs(t.train.lr - best)}
    grids, _, choices = settle(suite, by_id)
    assert choices is None and grids == {0: (0.001, 0.01, 0.1, 1.0), 1: (0.001, 0.01, 0.1)}


def test_the_choices_are_stored_with_everything_the_report_reads():
    suite = _one_task(seeds=1)
    by_id = _loss_records(tuning_trials(suite), lambda lr, s: {0.001: 0.3, 0.01: 0.1, 0.1: 0.2}[lr])
    stored = as_json(choose(suite, by_id))
    assert stored[0] == {
        "task_index": 0,
        "task": "adding",
        "arch": "gru",
        "lr": 0.01,
        "direction": "min",
        "scored_on": "val_loss",
        "grid": [0.001, 0.01, 0.1],
        "edge": None,
        "tie": False,
        "best": 0.01,
        "within": [0.01],
        "se": 0.0,
        "scores": [
            {"lr": 0.001, "median_val": 0.3, "mean_val": 0.3},
            {"lr": 0.01, "median_val": 0.1, "mean_val": 0.1},
            {"lr": 0.1, "median_val": 0.2, "mean_val": 0.2},
        ],
    }


def test_the_grid_grows_two_steps_up_when_allowed():
    high = lambda lr, s: 1 - lr  # noqa: E731  (the higher the rate, the better)
    grid, choices = _grow(_one_task(lr=[0.001, 0.003], seeds=1, extend=2), high)
    assert grid == (0.001, 0.003, 0.009, 0.027) and choices[(0, "gru")].edge == "high"


def test_a_single_rate_on_a_single_seed_is_its_own_choice():
    suite = _one_task(lr=[0.005], seeds=1)
    by_id = _loss_records(tuning_trials(suite), lambda lr, s: 0.5)
    c = choose(suite, by_id)[(0, "lstm")]
    assert (c.lr, c.edge, c.grid, c.task, c.arch) == (0.005, None, (0.005,), "adding", "lstm")


def test_a_tuning_trial_scores_worst_for_anything_but_a_finite_number():
    assert trial_score({"status": "ok", "best_val_loss": 0.3}, "min") == 0.3
    assert trial_score({"status": "ok", "best_val_loss": 2}, "min") == 2
    for bad in (None, math.nan, math.inf, "0.3"):
        assert trial_score({"status": "ok", "best_val_loss": bad}, "min") == math.inf
        assert trial_score({"status": "ok", "best_val_metric": bad}, "max", "x") == -math.inf
    assert trial_score({"status": "diverged", "best_val_loss": 0.3}, "min") == math.inf
    assert trial_score(None, "max", "x") == -math.inf
    # Older records are scored on their validation metric.
    r = {"status": "ok", "best_val_loss": 0.3, "best_val_metric": 0.9}
    assert trial_score(r, "max", "accuracy") == 0.9


def test_tuning_seeds_can_start_elsewhere_but_never_among_the_final_seeds():
    source = {**SOURCE, "tune": {**SOURCE["tune"], "first_seed": 2000}}
    suite = suite_from_dict(source)
    seeds = {t.seed for g in suite.tuning().values() for t in g}
    assert seeds == {2000, 2001}
    # Other seeds, other trials: a re-tune never reuses a record of the first tuning.
    assert not {t.id for t in tuning_trials(suite)} & {
        t.id for t in tuning_trials(suite_from_dict(SOURCE))
    }
    for bad, why in ((999, "at least 1000"), ("2000", "tune.first_seed")):
        with pytest.raises(UserError, match=why):
            suite_from_dict({**SOURCE, "tune": {**SOURCE["tune"], "first_seed": bad}})


ADDING = json.loads(
    (Path(__file__).parents[1] / "data" / "adding_tuning_at_target.json").read_text()
)


def _adding_choices(rows, key_fields=("stop_reason", "steps_to_target", "best_val_loss")):
    """The choices on the recorded adding tuning trials (their seeds mapped onto 1000, 1001),
    on the grid both recorded sets share."""
    source = {
        "name": "adding-target",
        "archs": ["gru", "lstm"],
        "hidden": 32,
        "train": {"steps": 4000, "target": 0.01},
        "tune": {"lr": [0.001, 0.003, 0.01], "seeds": 2},
        "task": [{"name": "adding", "length": 100}],
    }
    suite = suite_from_dict(source)
    grids = {0: (0.001, 0.003, 0.01, 0.0333)}
    cols = ADDING["columns"]
    got = {(r[0], r[1] % 1000, r[2]): dict(zip(cols, r, strict=True)) for r in rows}
    by_id = {}
    for trials in suite.tuning(grids).values():
        for t in trials:
            r = got[(t.arch, t.seed - TUNE_SEED0, t.train.lr)]
            by_id[t.id] = {"status": r["status"], **{k: r[k] for k in key_fields}}
    return {arch: c for (_, arch), c in choose(suite, by_id, grids).items()}


def test_runs_stopped_at_a_target_are_tuned_on_steps_to_it_not_on_where_they_landed():
    # Recorded: adding T = 100, every run stopped on reaching MSE 0.01 but one. On the loss
    # (how far below 0.01 each landed) the two tuning-seed sets disagree, the LSTM's by two
    # grid steps (0.003 against 0.0333), even by the middle of the rates within one standard
    # error; on steps to the target they agree.
    first, again = ADDING["seeds_1000"], ADDING["seeds_2000"]
    on_loss = [_adding_choices(rows, ("best_val_loss",)) for rows in (first, again)]
    assert [(c["gru"].lr, c["lstm"].lr) for c in on_loss] == [(0.01, 0.003), (0.01, 0.0333)]
    on_steps = [_adding_choices(rows) for rows in (first, again)]
    assert [(c["gru"].lr, c["lstm"].lr) for c in on_steps] == [(0.0333, 0.0333)] * 2
    c = on_steps[0]["lstm"]
    assert c.scored_on == "steps_to_target" and c.direction == "min"
    # A run that never reached the target (LSTM, 0.001, seed 1001) scores worst.
    assert c.scores[0.001] is None and c.scores[0.0333] == 504
    # Both at the top of this grid: a run grows it (the full claims grid starts at 0.003).
    assert c.edge == "high"


def test_steps_ties_go_to_the_lower_mean_steps_then_the_lower_mean_loss():
    # seeds 2000: the GRU reaches 0.01 in 126 steps at 0.0333 and at 0.111 on both seeds.
    rows = ADDING["seeds_2000"]
    source = {
        "name": "adding-target",
        "archs": ["gru"],
        "hidden": 32,
        "train": {"steps": 4000, "target": 0.01},
        "tune": {"lr": [0.0333, 0.111], "seeds": 2},
        "task": [{"name": "adding", "length": 100}],
    }
    suite = suite_from_dict(source)
    cols = ADDING["columns"]
    got = {(r[0], r[1] % 1000, r[2]): dict(zip(cols, r, strict=True)) for r in rows}
    by_id = {
        t.id: {**got[("gru", t.seed - TUNE_SEED0, t.train.lr)], "status": "ok"}
        for g in suite.tuning().values()
        for t in g
    }
    c = choose(suite, by_id)[(0, "gru")]
    # Equal medians and means (126): the lower mean loss, 0.0037 at 0.111 against 0.0057.
    assert c.tie and c.lr == 0.111 and c.scores == {0.0333: 126, 0.111: 126}


def test_a_tuning_run_that_never_reached_the_target_scores_worst_on_steps():
    suite = _one_task(seeds=3)
    # 0.001: 100 and 120 steps, and one run that ran out of budget (no steps); 0.01: 110 on
    # every seed. The unreached run is the worst score, so 0.001's median is 120: 0.01 wins.
    steps = {0.001: [100, 120, None], 0.01: [110, 110, 110], 0.1: [None, None, None]}
    by_id = {}
    for t in tuning_trials(suite):
        s = steps[t.train.lr][t.seed - TUNE_SEED0]
        stop = "steps" if s is None else "target"
        by_id[t.id] = {"status": "ok", "stop_reason": stop, "steps_to_target": s,
                       "best_val_loss": 0.05}  # fmt: skip
    c = choose(suite, by_id)[(0, "gru")]
    assert (c.lr, c.scored_on, c.scores) == (
        0.01,
        "steps_to_target",
        {0.001: 120, 0.01: 110, 0.1: None},
    )
    # No rate reaching the target on most seeds: the loss decides as elsewhere.
    for r in by_id.values():
        r.update(stop_reason="steps", steps_to_target=None)
    by_id[next(iter(by_id))]["stop_reason"] = "target"
    assert choose(suite, by_id)[(0, "gru")].scored_on == "val_loss"


def test_a_steps_tie_on_medians_and_means_goes_to_the_lower_mean_loss_on_accuracy_too():
    # Older records without a validation loss break the tie on the validation metric, in its
    # own direction (accuracy on aⁿbⁿ: higher is better).
    suite = suite_from_dict({**SOURCE, "task": SOURCE["task"][1:], "archs": ["gru"]})
    acc = {0.001: 0.6, 0.01: 0.9, 0.1: 0.7}
    by_id = {
        t.id: {
            "status": "ok",
            "stop_reason": "target",
            "steps_to_target": 50,
            "best_val_metric": acc[t.train.lr],
        }  # fmt: skip
        for t in tuning_trials(suite)
    }
    c = choose(suite, by_id)[(0, "gru")]
    assert c.tie and c.lr == 0.01 and c.scored_on == "steps_to_target"


# Recorded: the full claims' tuning at 10% of the training set (best validation loss per seed,
# to 4 places), on tuning seeds 1000/1001 and again on 2000/2001. The loss is flat across most
# of the grid within the two seeds' spread, and the best of each set sat two grid steps apart.
FLAT = {
    "jv-gru": (
        {0.001: [0.5495, 0.76], 0.003: [0.5738, 0.732], 0.01: [0.6133, 0.6713],
         0.0333: [0.6839, 0.5992], 0.111: [0.7046, 0.8803]},
        {0.001: [0.6724, 0.5193], 0.003: [0.6146, 0.5299], 0.01: [0.6158, 0.5531]},
    ),
    "ipd-lstm": (
        {0.001: [0.0673, 0.1627], 0.003: [0.0246, 0.117], 0.01: [0.0017, 0.0746],
         0.0333: [0.0345, 0.0066], 0.111: [0.095, 0.259]},
        {0.001: [0.3428, 0.3632], 0.003: [0.0089, 0.1316], 0.01: [0.0007, 0.2812],
         0.0333: [0.2595, 0.0017]},
    ),
}  # fmt: skip


def _flat_choice(table):
    suite = _one_task(lr=sorted(table), seeds=2)
    return choose(suite, _table_records(suite, table))[(0, "gru")]


@pytest.mark.parametrize("name", sorted(FLAT))
def test_on_a_recorded_flat_loss_the_middle_of_the_noise_holds_where_the_best_moved(name):
    first, again = (_flat_choice(t) for t in FLAT[name])
    grid = sorted(set(FLAT[name][0]) | set(FLAT[name][1]))
    # The best of each seed set: two grid steps apart.
    assert abs(grid.index(first.best) - grid.index(again.best)) == 2
    # The choice, the middle of the rates within one standard error: a neighbour at most.
    assert abs(grid.index(first.lr) - grid.index(again.lr)) <= 1
    for c in (first, again):
        assert c.best in c.within and c.lr in c.within and c.se > 0
        assert c.edge is None


# Recorded: the modern suite's adding GRU (T = 100), best validation MSE per tuning seed (to 4
# places; 0.0333's seeds are 1e-6 apart). At 0.111 one seed nearly diverged: its spread is eight
# orders of magnitude above every other rate's.
WILD = {0.000333: [0.0178, 0.0172], 0.001: [0.0013, 0.0015], 0.003: [0.0001, 0.0005],
        0.01: [0.0001, 0.0003], 0.0333: [0.000001, 0.000002], 0.111: [0.0015, 2.7429]}  # fmt: skip


def test_one_rate_that_nearly_diverged_on_one_seed_does_not_set_the_error_for_all():
    c = _flat_choice(WILD)
    # Pooled by the mean of the variances, the one at 0.111 made SE 0.56 and put 0.000333 to
    # 0.0333 within it, the middle 0.003; by their median it is the spread of a typical rate.
    assert c.best == 0.0333 and c.se < 0.001
    assert c.within == (0.01, 0.0333) and c.lr == 0.0333
    tame = _flat_choice({**WILD, 0.111: [0.0015, 0.0019]})
    assert tame.within == c.within and c.se < 1.5 * tame.se


def test_the_choice_is_the_middle_of_the_rates_within_one_standard_error_of_the_best():
    # Two seeds a rate, each seed 0.1 either side of its rate's mean: SE2 (one standard error
    # of a 2-seed mean, 0.148). Medians 0.49, 0.45, 0.40 (best), 0.48, 0.70.
    table = {
        0.001: [0.39, 0.59],
        0.003: [0.35, 0.55],
        0.01: [0.30, 0.50],
        0.03: [0.38, 0.58],
        0.1: [0.60, 0.80],
    }
    c = _flat_choice(table)
    assert c.best == 0.01 and c.se == pytest.approx(SE2)
    assert c.within == (0.001, 0.003, 0.01, 0.03)  # 0.70 is 0.30 worse: out
    assert c.lr == 0.01  # of the two middles, 0.003 (0.45) and 0.01 (0.40), the better
    table[0.001] = [0.49, 0.69]  # 0.59: 0.19 worse, out; the middle of the other three
    c = _flat_choice(table)
    assert c.within == (0.003, 0.01, 0.03) and c.lr == 0.01
    table[0.003] = [0.46, 0.66]  # 0.56: out
    table[0.1] = [0.39, 0.59]  # 0.49: in; the middle is now a rate that is not the best
    c = _flat_choice(table)
    assert c.within == (0.01, 0.03, 0.1) and c.lr == 0.03 and c.best == 0.01


def test_the_middle_need_not_be_the_best_and_a_rate_that_failed_a_seed_is_not_within():
    # Best 0.0333 (0.40); 0.001 and 0.01 within noise: the middle of 0.001, 0.01, 0.0333 is 0.01.
    table = {0.001: [0.38, 0.58], 0.01: [0.35, 0.55], 0.0333: [0.30, 0.50], 0.1: [0.32, None]}
    c = _flat_choice(table)
    assert c.best == 0.0333 and c.lr == 0.01 and c.within == (0.001, 0.01, 0.0333)
    # 0.1 failed a seed (scored worst): never within, and it pools no spread.
    assert c.se == pytest.approx(SE2)
    # The best sat at an edge of its grid? No: 0.0333 is inside, so the grid does not grow.
    assert c.edge is None


def test_the_error_scales_each_variance_by_its_own_degrees_of_freedom():
    # Three seeds a rate, each 0.3, 0.4, 0.5 about its own level: variance 0.01 on 2 degrees
    # of freedom, whose chi-square median is 2 ln 2, so the variance estimated is 0.01 / ln 2.
    suite = _one_task(lr=[0.001, 0.01, 0.1], seeds=3)
    table = {lr: [0.3 + d, 0.4 + d, 0.5 + d] for lr, d in ((0.001, 0.2), (0.01, 0.0), (0.1, 0.1))}
    c = choose(suite, _table_records(suite, table))[(0, "gru")]
    assert c.se == pytest.approx(math.sqrt(0.01 / math.log(2)) / math.sqrt(3))  # 0.0694
    assert c.within == (0.01,) and c.lr == 0.01  # 0.1 is 0.1 worse: out


def test_with_no_spread_between_seeds_the_best_is_the_choice():
    one = _one_task(lr=[0.001, 0.01, 0.1], seeds=1)
    c = choose(one, _table_records(one, {0.001: [0.5], 0.01: [0.45], 0.1: [0.44]}))[(0, "gru")]
    assert (c.lr, c.se, c.within) == (0.1, 0.0, (0.1,))
    same = {0.001: [0.5, 0.5], 0.01: [0.45, 0.45], 0.1: [0.46, 0.46]}
    c = _flat_choice(same)
    assert (c.lr, c.se, c.within) == (0.01, 0.0, (0.01,))


def test_a_best_at_an_edge_grows_the_grid_though_the_middle_is_inside():
    # The best is the top rate; the middle of the noise is inside: the grid still grows, since
    # the best rate may lie beyond it.
    table = {0.001: [0.45, 0.65], 0.01: [0.42, 0.62], 0.1: [0.40, 0.60]}
    c = _flat_choice(table)
    assert c.best == 0.1 and c.within == (0.001, 0.01, 0.1) and c.lr == 0.01
    assert c.edge == "high"
    suite = _one_task(lr=[0.001, 0.01, 0.1], seeds=2)
    grids, _, choices = settle(suite, _table_records(suite, table))
    assert choices is None and grids == {0: (0.001, 0.01, 0.1, 1.0)}


def test_a_rate_with_a_failed_seed_is_never_within_even_when_its_median_is_best():
    # Three seeds: 0.1's median (0.30, its failed seed the worst) beats every other rate, so it
    # is the best; the rates within one standard error must all have scored on every seed.
    suite = _one_task(lr=[0.001, 0.01, 0.1, 1.0], seeds=3)
    table = {
        0.001: [0.35, 0.45, 0.55],
        0.01: [0.34, 0.44, 0.54],
        0.1: [0.20, 0.30, None],
        1.0: [0.36, 0.46, 0.56],
    }
    c = choose(suite, _table_records(suite, table))[(0, "gru")]
    assert c.best == 0.1 and 0.1 in c.within  # the best always is
    table[0.1] = [0.45, 0.46, None]  # median 0.46: no longer the best, and not within
    c = choose(suite, _table_records(suite, table))[(0, "gru")]
    assert c.best == 0.01 and c.within == (0.001, 0.01, 1.0) and c.lr == 0.01


def test_finals_at_a_rate_tuning_no_longer_chooses_stay_recorded_but_are_not_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from grubench.outputs.report import build
    from grubench.studies.compare.load import load_run

    source = {**SOURCE, "task": SOURCE["task"][:1], "tune": {"lr": [0.001, 0.05], "seeds": 1,
              "extend": 0}}  # fmt: skip
    out = tmp_path / "run"
    plan = runs.plan_new(source, out)
    runs.start(plan)
    monkeypatch.setattr(runs, "run_local", _in_process())
    runs.execute(plan, lambda ev: None)
    first = {r["arch"]: r["lr"] for r in runs.results(out) if r["role"] == "final"}
    # The choice changes under the folder (as a new tuning rule would make it): each tuning
    # record's loss is made to favour the rate it did not choose; a resume trains new finals.
    lines = []
    for line in (out / "trials.jsonl").read_text().splitlines():
        r = json.loads(line)
        if r["role"] == "tune":
            r["best_val_loss"] = 0.1 if r["lr"] != first[r["arch"]] else 0.9
        lines.append(json.dumps(r))
    (out / "trials.jsonl").write_text("\n".join(lines) + "\n")
    again = runs.plan_resume(out)
    assert len(again.todo) == 4  # two archs × two seeds at the other rate
    runs.execute(again, lambda ev: None)
    kept = [json.loads(x) for x in (out / "trials.jsonl").read_text().splitlines()]
    assert sum(r["role"] == "final" for r in kept) == 8  # nothing is deleted
    finals = [r for r in runs.results(out) if r["role"] == "final"]
    assert len(finals) == 4 and all(r["lr"] != first[r["arch"]] for r in finals)
    assert len(runs.finish(out, report=False)[0]) == 4
    assert len(load_run(out, "A").records) == 4
    text = "\n".join(b.text for b in build(out))
    assert " 4 trials and 4 tuning trials." in text
    assert runs.plan_resume(out).todo == ()
    status = runs.progress(out)  # what `grubench status` prints
    assert status.counts == {"ok": 8} and status.missing == 0  # 4 tuning, 4 planned finals
    # The rule changes back: the first finals are on record, so the resume runs nothing, and
    # run.json and every table move back to them.
    (out / "trials.jsonl").write_text(
        "".join(
            json.dumps(r | {"best_val_loss": 0.9 if r["best_val_loss"] == 0.1 else 0.1}) + "\n"
            if r["role"] == "tune"
            else json.dumps(r) + "\n"
            for r in map(json.loads, (out / "trials.jsonl").read_text().splitlines())
        )
    )
    back = runs.plan_resume(out)
    assert back.todo == ()
    ran = runs.execute_suite(back, lambda ev: None, report=False)
    assert ran.trials == 0
    assert {(r["arch"], r["lr"]) for r in ran.records} == set(first.items())
    stored = json.loads((out / "run.json").read_text())["tuning"]
    assert {c["arch"]: c["lr"] for c in stored} == first
    assert len(load_run(out, "A").records) == 4
    assert all(r["lr"] == first[r["arch"]] for r in load_run(out, "A").records)


def test_the_middle_of_five_within_is_the_third_and_accuracy_counts_the_other_way():
    # Five rates within one standard error: the third is the middle.
    table = {
        lr: [0.40 + d, 0.60 + d]
        for lr, d in zip(
            (0.0001, 0.001, 0.01, 0.1, 1.0), (0.02, 0.01, 0.0, 0.03, 0.04), strict=True
        )
    }
    table[0.00001] = [0.9, 1.1]  # out
    c = _flat_choice(table)
    assert c.within == (0.0001, 0.001, 0.01, 0.1, 1.0) and c.lr == 0.01
    # On a validation metric where higher is better (older records: accuracy on aⁿbⁿ), the
    # set is the rates at most one standard error *below* the best. Seeds 0.1 either side of
    # each mean: one standard error of a 2-seed mean is SE2.
    suite = suite_from_dict(
        {
            **SOURCE,
            "task": SOURCE["task"][1:],
            "archs": ["gru"],
            "tune": {"lr": [0.001, 0.01, 0.1, 1.0], "seeds": 2},
        }
    )
    acc = {0.001: [0.42, 0.62], 0.01: [0.60, 0.80], 0.1: [0.51, 0.71], 1.0: [0.40, 0.60]}
    c = choose(suite, _table_records(suite, acc, "best_val_metric"))[(0, "gru")]
    assert c.direction == "max" and c.best == 0.01 and c.se == pytest.approx(SE2)
    # 0.1 is 0.09 below the best: in; 0.001 is 0.18 below and 1.0 0.2 below: out.
    assert c.within == (0.01, 0.1) and c.lr == 0.01
