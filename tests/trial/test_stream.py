"""Truncated BPTT: the state flows across windows, so windowed loss equals a full pass's loss."""

import math

import pytest
import torch

from grubench.config import Budget, Train, Trial
from grubench.models.model import SeqModel
from grubench.tasks import get_task, resolve_params
from grubench.tasks.base import Split
from grubench.trial.stream import sequences_per_epoch, stream_rows, train_stream_epoch
from grubench.trial.train import run_trial

pytestmark = pytest.mark.usefixtures("one_thread")


def test_stream_rows_continue_each_row_where_it_left_off():
    x = torch.arange(10.0).view(1, 10, 1)
    rows = stream_rows(Split(x, torch.arange(10).view(1, 10)), 3)
    assert rows.x[..., 0].tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert rows.y.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


@pytest.mark.parametrize("arch", ["gru", "lstm", "gru-seed"])
def test_windowed_epoch_with_carried_state_equals_one_pass_over_the_rows(arch):
    task = get_task("charlm:pydoc")
    data = task.build(resolve_params(task, {"chars": 3000, "bptt": 16}), 0)
    trial = Trial(
        task="charlm:pydoc",
        task_params=(),
        arch=arch,
        seed=0,
        hidden=8,
        layers=1,
        match="hidden",
        budget=Budget(),
        train=Train(batch_size=4),
    )
    torch.manual_seed(0)
    model = SeqModel(arch, data.input_size, 8, 1, data.output_size, True)
    with torch.no_grad():  # larger weights give the state a visible influence on the loss
        for p in model.parameters():
            p.mul_(4.0)
    frozen = torch.optim.SGD(model.parameters(), lr=0.0)  # no update: only the state flows
    windowed, _, _ = train_stream_epoch(model, task, data, frozen, trial)
    rows = stream_rows(data.train, 4)
    with torch.no_grad():
        out = model(rows.x)[0]
        full = float(task.loss(out, rows.y, None))
        windows = range(16, rows.x.shape[1], 16)  # the first window starts from zeros either way
        carried = [
            float(task.loss(out[:, t : t + 16], rows.y[:, t : t + 16], None)) for t in windows
        ]
        reset = [
            float(task.loss(model(rows.x[:, t : t + 16])[0], rows.y[:, t : t + 16], None))
            for t in windows
        ]
    assert windowed == pytest.approx(full, rel=1e-5)
    # a reset at every window scores each window differently: the carried state matters
    assert max(abs(a - b) for a, b in zip(carried, reset, strict=True)) > 1e-3


def test_a_stateful_trial_trains_and_records_the_corpus_hash():
    trial = Trial(
        task="charlm:pydoc",
        task_params=(("bptt", 25), ("chars", 3000)),
        arch="gru",
        seed=0,
        hidden=16,
        layers=1,
        match="params",
        budget=Budget(epochs=2),
        train=Train(batch_size=8, lr=0.01),
    )
    r = run_trial(trial)
    assert r.status == "ok" and r.epochs_run == 2
    assert len(r.data_info["corpus_sha256"]) == 64
    assert r.history[1]["train_loss"] < r.history[0]["train_loss"]
    assert r.test_metric < math.log2(r.data_info["alphabet"])  # beats a uniform guess
    task = get_task("charlm:pydoc")
    data = task.build(dict(trial.task_params), 0)
    # 2700 training characters give a 2699-step stream: 8 rows of 337, 14 windows of 25 each
    assert sequences_per_epoch(data, trial) == 8 * 14
    assert r.throughput_seq_s == pytest.approx(8 * 14 * 2 / r.train_seconds)
