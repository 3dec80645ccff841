"""Chorales: music21 parse to 88-key quarter-note rolls, the cache, the split and the NLL metric."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grubench.tasks import music
from grubench.tasks.base import Split


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "grubench"


def test_three_chorales_parse_to_binary_quarter_note_rolls_and_are_cached(cache, monkeypatch):
    calls = []
    names, rolls = music.load_rolls(3, lambda done, total: calls.append((done, total)))
    assert names == ["bwv1.6.mxl", "bwv10.7.mxl", "bwv101.7.mxl"]
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert len(list(cache.glob("chorales-music21-*-prep1-3files.npz"))) == 1
    for roll in rolls:
        assert roll.shape[1] == 88 and roll.dtype == np.uint8 and set(np.unique(roll)) <= {0, 1}
        voices = roll.sum(1)
        assert voices.max() <= 8 and np.median(voices) >= 3  # four-part writing, some doubling
    assert rolls[0].shape[0] == 80  # bwv1.6 lasts 80 quarter notes
    monkeypatch.setattr(music, "piano_roll", lambda p: pytest.fail("parsed despite the cache"))
    names2, rolls2 = music.load_rolls(3)
    assert names2 == names
    assert all(np.array_equal(a, b) for a, b in zip(rolls, rolls2, strict=True))


def test_alternative_versions_share_a_split_and_the_split_is_fixed():
    assert music.piece_id(Path("bwv248.23-2.mxl")) == music.piece_id(Path("bwv248.23-s.mxl"))
    assert music.split_of("bwv1.6") == "train" and music.split_of("bwv102.7") == "test"
    buckets = [music.split_of(f"bwv{i}") for i in range(2000)]
    assert 0.55 < buckets.count("train") / 2000 < 0.65


def test_nll_sums_bce_over_keys_and_averages_over_real_frames_only():
    out = torch.zeros(2, 3, 88)  # logit 0: every key p = 0.5
    y = torch.zeros(2, 3, 88)
    lengths = torch.tensor([3, 1])
    assert float(music.nll(out, y, lengths)) == pytest.approx(88 * math.log(2), rel=1e-6)
    out[1, 1:] = 50.0  # confident nonsense in the padding must not count
    assert float(music.nll(out, y, lengths)) == pytest.approx(88 * math.log(2), rel=1e-6)
    out = torch.randn(2, 3, 88)
    manual = F.binary_cross_entropy_with_logits(out[0], y[0], reduction="sum") / 3
    assert float(music.nll(out[:1], y[:1], torch.tensor([3]))) == pytest.approx(float(manual))


def test_build_predicts_the_next_frame_with_a_key_frequency_baseline(monkeypatch):
    rng = np.random.default_rng(0)
    names = ["bwv1.6.mxl", "bwv102.7.mxl", "bwv2.6.mxl", "bwv3.6.mxl", "bwv5.7.mxl"]
    rolls = [(rng.random((n, 88)) < 0.05).astype(np.uint8) for n in (6, 9, 7, 5, 8)]
    monkeypatch.setattr(music, "load_rolls", lambda n, progress=None: (names, rolls))
    d = music.CHORALES.build({"n_chorales": 5, "train_fraction": 1.0}, 0)
    splits = {n: music.split_of(music.piece_id(Path(n))) for n in names}
    assert d.info["chorales"]["train"] == list(splits.values()).count("train")
    first = rolls[0]
    torch.testing.assert_close(d.train.x[0, :5], torch.from_numpy(first[:-1]).float())
    torch.testing.assert_close(d.train.y[0, :5], torch.from_numpy(first[1:]).float())
    assert d.train.lengths[0] == 5 and d.per_step and d.input_size == d.output_size == 88
    freq = (d.train.y.sum((0, 1)) / d.train.lengths.sum()).clamp(1e-4, 1 - 1e-4)
    logit = torch.log(freq / (1 - freq)).expand_as(d.test.y)
    assert d.baseline == pytest.approx(float(music.nll(logit, d.test.y, d.test.lengths)))
    assert isinstance(d.test, Split) and d.test.lengths is not None
