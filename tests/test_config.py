from pathlib import Path

import pytest

from grubench.config import (
    Budget,
    Train,
    load_suite,
    suite_from_dict,
    trial_from_dict,
    trial_to_dict,
)
from grubench.errors import UserError


def test_suite_expands_task_then_seed_then_arch(tiny_suite: Path):
    suite = load_suite(tiny_suite)
    trials = suite.trials()
    assert [(t.seed, t.arch) for t in trials] == [(0, "gru"), (0, "lstm"), (1, "gru"), (1, "lstm")]
    assert dict(trials[0].task_params)["length"] == 10
    assert trials[0].budget == Budget(epochs=2)


def test_trial_ids_are_stable_distinct_and_survive_a_round_trip(tiny_suite: Path):
    a, b = load_suite(tiny_suite).trials(), load_suite(tiny_suite).trials()
    assert [t.id for t in a] == [t.id for t in b]
    assert len({t.id for t in a}) == len(a)
    assert trial_from_dict(trial_to_dict(a[0])) == a[0]


def test_task_tables_override_the_suite_budget():
    suite = suite_from_dict(
        {
            "train": {"epochs": 4},
            "task": [{"name": "adding", "epochs": 9, "length": 12}, {"name": "copy"}],
        }
    )
    budgets = {t.task: t.budget.epochs for t in suite.trials()}
    assert budgets == {"adding": 9, "copy": 4}


FIG = {"task": "adding", "arch": "gru", "value": 0.5, "quantity": "MSE", "source": "a paper"}


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"task": [{"name": "adding"}], "colour": 1}, "unknown key 'colour'"),
        ({"task": [{"name": "adding"}], "seeds": 0}, "seeds must be positive"),
        ({"task": [{"name": "adding"}], "seeds": "3"}, "seeds must be int"),
        ({"task": [{"name": "adding"}], "hidden": -4}, "hidden must be positive"),
        ({"task": [{"name": "adding"}], "train": {"epochs": 0}}, "epochs must be positive"),
        ({"task": [{"name": "adding"}], "train": {"lr": "fast"}}, "lr must be int or float"),
        ({"task": [{"name": "adding"}], "train": {"epoch": 3}}, "unknown key 'train.epoch'"),
        ({"task": [{"name": "adding"}], "train": {"steps": 0}}, "steps must be positive"),
        ({"task": [{"name": "adding"}], "train": {"steps": 2.5}}, "steps must be int"),
        ({"task": [{"name": "adding"}], "train": {"min_delta": -0.1}}, "min_delta must be 0 or"),
        ({"task": [{"name": "adding"}], "archs": ["gru", "tcn"]}, "unknown arch 'tcn'"),
        ({"task": [{"name": "adding"}], "device": "tpu"}, "unknown device 'tpu'"),
        ({"task": [{"name": "adding"}], "match": "flops"}, "unknown matching rule 'flops'"),
        ({"task": [{"name": "adding", "length": 0}]}, "'length' must be positive"),
        ({"task": [{"name": "nope"}]}, "unknown task 'nope'"),
        ({"task": []}, "at least one [[task]]"),
        ({}, "at least one [[task]]"),
        ({"task": [{"name": "adding"}], "published": {"arch": "gru"}}, "array of tables"),
        ({"task": [{"name": "adding"}], "published": [{**FIG, "arch": "tcn"}]}, "unknown arch"),
        ({"task": [{"name": "adding"}], "published": [{**FIG, "task": "x"}]}, "unknown task 'x'"),
        ({"task": [{"name": "adding"}], "published": [{**FIG, "value": "37%"}]}, "value must be"),
        ({"task": [{"name": "adding"}], "published": [{**FIG, "layers": 0}]}, "layers must be"),
        ({"task": [{"name": "adding"}], "published": [{**FIG, "year": 1}]}, "unknown key 'year'"),
        ({"task": [{"name": "adding"}], "published": [{"arch": "gru"}]}, "missing 'task'"),
    ],
)
def test_bad_suites_are_one_line_user_errors(raw, message):
    with pytest.raises(UserError) as e:
        suite_from_dict(raw)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_suite_files_missing_directory_or_not_toml(tmp_path: Path):
    with pytest.raises(UserError, match="does not exist"):
        load_suite(tmp_path / "missing.toml")
    with pytest.raises(UserError, match="is a directory"):
        load_suite(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [unclosed")
    with pytest.raises(UserError, match="not valid TOML"):
        load_suite(bad)


def test_repository_suites_load():
    for path in Path(__file__).parent.parent.glob("tasks/*.toml"):
        assert load_suite(path).trials(), path


def test_forget_bias_defaults_to_one_and_zero_or_negative_values_are_allowed():
    base = {"task": [{"name": "adding"}]}
    assert Train().forget_bias == 1.0 == suite_from_dict(base).train.forget_bias
    for value in (0, -1.5):
        suite = suite_from_dict({**base, "train": {"forget_bias": value}})
        assert suite.train.forget_bias == float(value)
    assert suite_from_dict({**base, "train": {"min_delta": 0}}).budget.min_delta == 0.0


def test_a_step_budget_is_read_per_suite_and_per_task():
    suite = suite_from_dict(
        {"train": {"steps": 400}, "task": [{"name": "adding", "steps": 900}, {"name": "copy"}]}
    )
    assert {t.task: t.budget.steps for t in suite.trials()} == {"adding": 900, "copy": 400}
    assert suite_from_dict({"task": [{"name": "adding"}]}).budget.steps is None


def test_trial_ids_name_the_training_protocol(monkeypatch):
    import grubench.config as config

    trial = suite_from_dict({"task": [{"name": "adding"}]}).trials()[0]
    before = trial.id
    monkeypatch.setattr(config, "PROTOCOL", config.PROTOCOL + 1)
    assert trial.id != before  # results made under another stopping rule are not reused


def test_an_adhoc_run_tunes_and_trains_on_a_step_budget_and_options_override_it():
    from grubench.config import ADHOC_STEPS, Tune, adhoc_source, with_overrides

    # A UCR/UEA set (or a user's file, tests/tasks/test_files.py) draws its validation split
    # per seed and is fed in patches of steps when long; a synthetic task neither.
    tasks = adhoc_source(["adding", "ucr:GunPoint"])["task"]
    assert [(t.get("subset"), t.get("patch")) for t in tasks] == [(None, None), ("fold", 5)]
    suite = suite_from_dict(adhoc_source(["adding"]))
    assert {t.budget.steps for t in suite.trials()} == {ADHOC_STEPS}
    # Six final seeds a arch: enough pairs for the sign-flip test to reach p < 0.05.
    assert {t.seed for t in suite.trials()} == set(range(6))
    assert suite_from_dict(with_overrides(adhoc_source(["adding"]), seeds=3)).seeds == 3
    assert suite.tune is not None and suite.tune.seeds >= 2 and len(suite.tune.lr) == 3
    # A narrow grid grows further than a suite's default: 0.001–0.01 up to 0.37 and 0.000037.
    assert suite.tune.extend == 3 and Tune(lr=(0.01,)).extend == 2
    assert all(len(g) == 6 for g in suite.tuning().values())  # the same for every arch
    epochs = suite_from_dict(with_overrides(adhoc_source(["adding"]), epochs=5))
    assert {(t.budget.steps, t.budget.epochs) for t in epochs.trials()} == {(None, 5)}
    steps = suite_from_dict(with_overrides(adhoc_source(["adding"]), steps=300))
    assert {t.budget.steps for t in steps.trials()} == {300}


def test_published_figures_are_read_into_records_and_change_no_trial():
    base = {"task": [{"name": "adding"}]}
    fig = {**FIG, "arch": "mingru-seq", "layers": 2, "spread": 0.1}
    suite = suite_from_dict({**base, "published": [fig]})
    (p,) = suite.published
    assert (p.task, p.arch, p.layers, p.value, p.spread) == ("adding", "mingru-seq", 2, 0.5, 0.1)
    assert p.text_value() == "0.5 ± 0.1" and "not re-checked" in p.checked
    assert [t.id for t in suite.trials()] == [t.id for t in suite_from_dict(base).trials()]
