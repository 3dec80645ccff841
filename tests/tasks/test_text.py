"""charlm:pydoc: a corpus from Python itself, recorded by SHA-256; contiguous splits; bits/char."""

import hashlib
import math

import pytest
import torch

from grubench.errors import UserError
from grubench.tasks import get_task, resolve_params
from grubench.tasks.text import _pydoc_topics


def _build(**given):
    task = get_task("charlm:pydoc")
    return task, task.build(resolve_params(task, given), 0)


def test_the_corpus_sha256_is_recorded_and_the_splits_are_contiguous_90_5_5():
    task, d = _build(chars=4000, bptt=20)
    full = _pydoc_topics()
    assert d.info["corpus_sha256"] == hashlib.sha256(full.encode()).hexdigest()
    assert d.info["used_sha256"] == hashlib.sha256(full[:4000].encode()).hexdigest()
    assert d.info["split_chars"] == [3600, 200, 200]
    assert d.stateful and d.bptt == 20 and d.per_step
    for s in (d.train, d.val, d.test):
        assert s.x.shape[0] == 1 and s.y.shape[0] == 1
        # the target at t is the input at t + 1: one stream, shifted by one character
        assert torch.equal(s.x[0, 1:].argmax(-1), s.y[0, :-1])


def test_bits_per_character_of_a_uniform_guess_is_log2_of_the_alphabet():
    task, d = _build(chars=4000, bptt=20)
    V = d.output_size
    uniform = torch.zeros(1, d.test.y.shape[1], V)
    assert task.evaluate(uniform, d.test)["bpc"] == pytest.approx(math.log2(V), rel=1e-6)
    assert 3.0 < d.baseline < math.log2(V)  # unigram frequencies beat uniform on English


def test_too_little_text_for_the_window_is_a_user_error():
    with pytest.raises(UserError, match="too few"):
        _build(chars=200, bptt=50)


def test_an_unknown_corpus_is_a_user_error_listing_the_known_ones():
    with pytest.raises(UserError, match="known: pydoc"):
        get_task("charlm:shakespeare")
