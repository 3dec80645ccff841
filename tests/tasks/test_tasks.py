import math

import pytest
import torch

from grubench.errors import UserError
from grubench.tasks import get_task, resolve_params


def build(name, seed=0, **params):
    task = get_task(name)
    return task, task.build(resolve_params(task, params), seed)


def test_adding_shapes_markers_and_trivial_baseline_near_one_sixth():
    task, d = build("adding", length=30, n_train=4000, n_test=4000)
    assert d.train.x.shape == (4000, 30, 2) and d.train.y.shape == (4000, 1)
    markers = d.train.x[..., 1]
    assert torch.all(markers.sum(1) == 2)
    assert torch.all(markers[:, :15].sum(1) == 1)  # one marker in each half
    assert d.baseline == pytest.approx(1 / 6, abs=0.01)
    torch.testing.assert_close((d.train.x[..., 0] * markers).sum(1, keepdim=True), d.train.y)


def test_copy_trivial_baseline_is_ten_log_eight_over_t_plus_twenty():
    for delay in (10, 50):
        task, d = build("copy", delay=delay, n_train=4000, n_test=2000)
        T = delay + 20
        assert d.train.x.shape == (4000, T, 10) and d.train.y.shape == (4000, T)
        assert d.baseline == pytest.approx(10 * math.log(8) / T, rel=0.01)
        torch.testing.assert_close(d.train.y[:, -10:], d.train.x[:, :10].argmax(-1))
        assert torch.all(d.train.x[:, delay + 9].argmax(-1) == 9)  # the delimiter


def test_copy_perfect_prediction_scores_zero_ce_and_full_accuracy():
    task, d = build("copy", delay=5, n_test=50)
    perfect = torch.nn.functional.one_hot(d.test.y, 9).float() * 50
    m = task.evaluate(perfect, d.test)
    assert m["ce"] < 1e-6 and m["recall_acc"] == 1.0 and m["seq_acc"] == 1.0


@pytest.mark.parametrize("symbols", [4, 9])
def test_copy_delimiter_is_a_symbol_of_its_own_for_any_alphabet(symbols):
    task, d = build("copy", delay=6, symbols=symbols, n_train=200, n_test=50)
    tokens = d.train.x.argmax(-1)
    assert d.input_size == symbols + 2 and d.train.x.shape[-1] == symbols + 2
    cue = tokens[:, 10 + 6 - 1]
    assert torch.all(cue == symbols + 1)  # after blank (0) and the data symbols 1..symbols
    data = tokens[:, :10]
    assert int(data.min()) >= 1 and int(data.max()) <= symbols  # no data symbol is the cue
    assert int((tokens == symbols + 1).sum()) == 200  # the cue appears once per sequence


def test_anbn_follows_weiss_et_al_training_to_n_100_and_testing_far_beyond():
    task, d = build("anbn", n_train=400, n_val=50)
    i = d.train.x[..., 0].sum(1)
    assert int(i.max()) <= 100 and int(i.max()) > 90  # trained on n up to about 100
    assert int(d.test.lengths.max()) == 2 * 300 + 1  # tested up to n = 300 (and its misses)
    assert "Deviations" in task.citation and "Weiss, Goldberg & Yahav 2018" in task.citation


def test_anbn_scores_the_largest_n_up_to_which_every_string_is_right():
    task, d = build("anbn", max_n=5, max_n_test=200)
    i = d.test.x[..., 0].sum(1)
    j = d.test.x[..., 1].sum(1)
    out = torch.where(d.test.y > 0, 5.0, -5.0)
    out[(i == 151) & (j == 150)] = 5.0  # accepts a^151 b^150: group 150 has a mistake
    assert task.evaluate(out, d.test)["max_n"] == 149


def test_anbn_test_set_holds_every_n_with_its_near_misses():
    task, d = build("anbn", max_n=5, max_n_test=12)
    i = d.test.x[..., 0].sum(1).long()
    j = d.test.x[..., 1].sum(1).long()
    assert torch.equal(d.test.lengths, i + j)
    assert int(d.test.y.sum()) == 12  # one positive a^n b^n per n
    assert d.baseline == 0.0
    assert (d.train.y.mean() - 0.5).abs() < 0.05
    assert int(d.train.x[..., 0].sum(1).max()) <= 8  # training never goes far past max_n


def test_anbn_largest_n_counts_the_first_mistake():
    task, d = build("anbn", max_n=5, max_n_test=10)
    truth = torch.where(d.test.y > 0, 5.0, -5.0)
    assert task.evaluate(truth, d.test)["max_n"] == 10
    i = d.test.x[..., 0].sum(1)
    j = d.test.x[..., 1].sum(1)
    wrong = truth.clone()
    wrong[(i == 7) & (j == 7)] = -5.0  # miss a^7 b^7 only
    assert task.evaluate(wrong, d.test)["max_n"] == 6


def test_sines_persistence_baseline_is_the_mse_of_repeating_the_last_value():
    task, d = build("sines", length=40, n_test=200)
    assert d.test.x.shape == (200, 40, 1)
    torch.testing.assert_close(d.test.x[:, 1:], d.test.y[:, :-1])
    assert d.baseline == pytest.approx(float(((d.test.y - d.test.x) ** 2).mean()))
    assert task.evaluate(d.test.x, d.test)["mse_vs_persistence"] == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["adding", "copy", "anbn", "sines"])
def test_same_seed_same_data_other_seed_other_data(name):
    _, a = build(name, seed=3, n_train=100)
    _, b = build(name, seed=3, n_train=100)
    _, c = build(name, seed=4, n_train=100)
    assert torch.equal(a.train.x, b.train.x) and torch.equal(a.val.y, b.val.y)
    assert not torch.equal(a.train.x, c.train.x)
    assert not torch.equal(a.train.x[:50], a.val.x[:50])  # splits are distinct draws


def test_bad_task_parameters_are_user_errors():
    task = get_task("adding")
    with pytest.raises(UserError, match="no parameter 'lenght'"):
        resolve_params(task, {"lenght": 3})
    with pytest.raises(UserError, match="'length' must be positive"):
        resolve_params(task, {"length": -3})
    with pytest.raises(UserError, match="'length' must be int"):
        resolve_params(task, {"length": "long"})
    with pytest.raises(UserError, match="unknown task 'addition'"):
        get_task("addition")
