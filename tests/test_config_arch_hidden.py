"""Suite keys added for the real tasks: per-arch fixed hidden sizes and the optimiser."""

import hashlib
import json

import pytest

from grubench.config import Budget, Train, suite_from_dict, trial_to_dict
from grubench.errors import UserError

CHUNG = {
    "archs": ["rnn", "gru-v1", "lstm"],
    "arch_hidden": {"rnn": 100, "gru-v1": 46, "lstm": 36},
    "task": [{"name": "adding"}],
}


def test_arch_hidden_gives_each_arch_its_own_size_under_the_hidden_rule():
    suite = suite_from_dict(CHUNG)
    sizes = {t.arch: (t.hidden, t.match) for t in suite.trials()}
    assert sizes == {"rnn": (100, "hidden"), "gru-seed": (46, "hidden"), "lstm": (36, "hidden")}


def test_arch_hidden_may_size_more_archs_than_the_suite_runs():
    suite = suite_from_dict({**CHUNG, "archs": ["gru"], "arch_hidden": {"gru": 46, "lstm": 36}})
    assert [(t.arch, t.hidden) for t in suite.trials()] == [("gru", 46)] * 3
    assert suite.arch_hidden == (("gru", 46),)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"arch_hidden": {"rnn": 100, "lstm": 36}}, "no hidden size for 'gru-seed'"),
        ({"arch_hidden": {**CHUNG["arch_hidden"], "grux": 40}}, "unknown arch 'grux'"),
        ({"arch_hidden": {**CHUNG["arch_hidden"], "lstm": 0}}, "arch_hidden.lstm must be positive"),
        ({"match": "params"}, "drop match = 'params'"),
        ({"arch_hidden": [100, 46, 36]}, "arch_hidden must be dict"),
        ({"task": [{"name": "adding", "hidden": 8}]}, "cannot be combined with a task's own"),
    ],
)
def test_contradictory_or_incomplete_arch_hidden_is_a_user_error(change, message):
    with pytest.raises(UserError, match=message):
        suite_from_dict({**CHUNG, **change})


def test_optimizer_is_validated_and_reaches_the_trials():
    suite = suite_from_dict({"task": [{"name": "adding"}], "train": {"optimizer": "rmsprop"}})
    assert {t.train.optimizer for t in suite.trials()} == {"rmsprop"}
    with pytest.raises(UserError, match="unknown optimizer 'sgd' \\(known: adam, rmsprop\\)"):
        suite_from_dict({"task": [{"name": "adding"}], "train": {"optimizer": "sgd"}})


def test_trial_ids_hash_later_fields_only_when_set_and_always_the_protocol():
    from grubench.config import PROTOCOL

    trial = suite_from_dict({"task": [{"name": "adding"}]}).trials()[0]
    old = trial_to_dict(trial)
    del old["train"]["optimizer"], old["role"], old["lr_grid"]
    del old["budget"]["steps"], old["budget"]["patience_steps"]
    expected = hashlib.sha256(
        json.dumps({**old, "protocol": PROTOCOL}, sort_keys=True, default=str).encode()
    ).hexdigest()
    assert trial.id == expected[:16]
    steps = trial.__class__(**{**trial.__dict__, "budget": Budget(steps=100)})
    assert steps.id != trial.id
    rms = trial.__class__(**{**trial.__dict__, "train": Train(optimizer="rmsprop")})
    assert rms.id != trial.id
    tune = trial.__class__(**{**trial.__dict__, "role": "tune"})
    assert tune.id != trial.id
