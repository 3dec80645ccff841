"""The training peak is training only: evaluation at a large batch shows in its own peak."""

from __future__ import annotations

import torch

from grubench.config import Budget, Train, Trial
from grubench.trial import train
from grubench.trial.peaks import MIB, Peaks
from grubench.trial.train import run_trial


def _trial() -> Trial:
    params = {"length": 50, "n_train": 64, "n_val": 4096, "n_test": 64}
    return Trial(
        task="adding",
        task_params=tuple(sorted(params.items())),
        arch="lstm",
        seed=0,
        hidden=64,
        layers=1,
        match="params",
        budget=Budget(epochs=2, patience=None),
        train=Train(batch_size=16),
    )


def test_evaluation_at_a_large_batch_stays_out_of_the_training_peak(monkeypatch):
    # Validating 4096 sequences in one batch needs about 4096·50·4·64·4 B = 200 MiB of gate
    # activations; a training step at batch 16 needs well under 1% of that.
    monkeypatch.setattr(train, "EVAL_BATCH", 4096)
    big = run_trial(_trial())
    monkeypatch.setattr(train, "EVAL_BATCH", 16)
    small = run_trial(_trial())
    assert big.peak_eval_mb > 60  # about 110 MiB measured
    assert big.peak_mem_mb < 30 and small.peak_mem_mb < 30  # about 4 MiB measured
    assert abs(big.peak_mem_mb - small.peak_mem_mb) < 10


def test_a_window_keeps_the_largest_peak_of_its_kind_and_nothing_of_the_other():
    peaks = Peaks("cpu")
    with peaks.window("eval"):
        x = torch.ones(64 * MIB // 4)  # 64 MiB touched
        x += 1
        del x
    with peaks.window("train"):
        y = torch.ones(8 * MIB // 4)
        y += 1
        del y
    assert peaks.eval / MIB > 50
    assert 4 < peaks.train / MIB < 30
