"""aⁿbⁿ as Weiss et al. 2018 trained it: next-symbol sets, their acceptance rule, and the
largest n counted, on constructed predictions whose answers are known."""

from __future__ import annotations

import pytest
import torch

from grubench.tasks import get_task, resolve_params
from grubench.tasks.counting import _batch, allowed, largest_n, probe_pairs, verdicts


def test_the_sets_a_perfect_recogniser_predicts():
    assert allowed(2, 2).tolist() == [
        [1, 0, 1],  # start: a or the end (the empty string is in the language)
        [1, 1, 0],  # a: another a, or b
        [1, 1, 0],  # aa
        [0, 1, 0],  # aab: one more b
        [0, 0, 1],  # aabb: the end
    ]
    assert allowed(1, 2).tolist()[-1] == [0, 0, 0]  # abb: nothing may follow the extra b


def _perfect(split, upto: int | None = None):
    """Logits that predict the true sets, for strings with min(a, b) ≤ ``upto``; beyond it,
    the end is predicted one b too early (a counter that saturates)."""
    out = split.y * 20 - 10
    if upto is not None:
        counts = split.x[:, :, 1:].sum(1)
        for k, (a, b) in enumerate(counts.tolist()):
            if min(a, b) > upto and a >= 1:
                out[k, int(a) + int(a) - 1, 2] = 10.0  # end allowed one b early
    return out


def test_a_perfect_recogniser_counts_to_the_end_of_the_test_range():
    pairs = probe_pairs(40)
    split = _batch(pairs)
    accepted, exact = verdicts(_perfect(split), split)
    positive = torch.tensor([a == b for a, b in pairs])
    assert bool(accepted[positive].all() and exact[positive].all())
    assert not bool(accepted[~positive].any())  # a^n b^(n+1) and a^(n+1) b^n rejected
    assert largest_n(_perfect(split), split, pairs) == 40


def test_a_counter_that_fails_past_n_counts_to_n():
    pairs = probe_pairs(30)
    split = _batch(pairs)
    assert largest_n(_perfect(split, upto=17), split, pairs) == 17


def test_the_task_builds_with_a_trivial_baseline_that_accepts_nothing():
    task = get_task("anbn-lm")
    d = task.build(resolve_params(task, {"max_n": 10, "max_n_test": 25, "n_train": 50}), 0)
    assert (task.metric, task.val_key) == ("max_n", "accuracy")
    assert len(d.train) == 50 and len(d.val) == 3 * 11 and len(d.test) == 3 * 26
    assert d.baseline == -1  # never predicts the end: not even the empty string
    assert d.val_baseline == pytest.approx(2 / 3)  # it rejects every negative, by accident
    perfect = task.evaluate(d.test.y * 20 - 10, d.test)
    assert perfect["max_n"] == 25 and perfect["accuracy"] == 1.0
