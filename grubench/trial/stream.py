"""Contiguous streams (character-level LM): truncated BPTT with the state carried across windows.

A stateful task's splits are each one stream ``[1, N, ...]``; training cuts it into
``batch_size`` rows side by side and walks them window by window, so each row's state flows on.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from grubench.config import Trial
from grubench.tasks.base import Split, TaskData, TaskDef


def stream_rows(split: Split, rows: int) -> Split:
    """A contiguous stream ``[1, N, ...]`` cut into ``rows`` side-by-side rows of N // rows
    steps (the ragged tail dropped), so row r continues where it left off window after window."""
    n = split.x.shape[1] // rows
    x = split.x[0, : rows * n].reshape(rows, n, *split.x.shape[2:])
    y = split.y[0, : rows * n].reshape(rows, n, *split.y.shape[2:])
    return Split(x, y)


def rows_for(data: TaskData, trial: Trial) -> int:
    """Parallel rows: the batch size, fewer if the stream cannot give each row one window."""
    return max(1, min(trial.train.batch_size, data.train.x.shape[1] // data.bptt))


def _detach(state: Any) -> Any:
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def train_stream_epoch(
    model: nn.Module,
    task: TaskDef,
    data: TaskData,
    opt: torch.optim.Optimizer,
    trial: Trial,
    max_steps: int | None = None,
) -> tuple[float, int, int]:
    """One in-order pass over a contiguous stream with truncated BPTT (its first ``max_steps``
    windows when given): the state is carried from window to window and detached, so gradients
    stop at a window's start; the mean loss, optimiser steps and window-rows trained."""
    rows = stream_rows(data.train, rows_for(data, trial))
    state = None
    total = torch.zeros((), device=trial.device)
    steps = rows.x.shape[1]
    starts = list(range(0, steps, data.bptt))[:max_steps]
    steps = min(steps, starts[-1] + data.bptt) if starts else 0
    for t in starts:
        x, y = rows.x[:, t : t + data.bptt], rows.y[:, t : t + data.bptt]
        out, state = model(x, None, state)
        loss = task.loss(out, y, None)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), trial.train.clip)
        opt.step()
        state = _detach(state)
        total += loss.detach() * x.shape[1]
    # A NaN poisons the sum: the caller checks once per epoch.
    return float(total) / steps, len(starts), len(starts) * rows.x.shape[0]


def first_batch(data: TaskData, trial: Trial) -> Split:
    """A training batch for the warm-up: the first window of every row for a stream."""
    if data.stateful:
        rows = stream_rows(data.train, rows_for(data, trial))
        return Split(rows.x[:, : data.bptt], rows.y[:, : data.bptt])
    return data.train.take(slice(0, trial.train.batch_size))


def one_sequence(data: TaskData) -> Split:
    """What inference latency is timed on: one test sequence (one window of a stream)."""
    if data.stateful:
        return Split(data.test.x[:1, : data.bptt], data.test.y[:1, : data.bptt])
    return data.test.take(slice(0, 1))


def steps_per_epoch(data: TaskData, trial: Trial) -> int:
    """Optimiser steps in one full epoch: batches, or windows of a stream."""
    if data.stateful:
        rows = rows_for(data, trial)
        return math.ceil((data.train.x.shape[1] // rows) / data.bptt)
    return math.ceil(len(data.train) / trial.train.batch_size)


def sequences_per_epoch(data: TaskData, trial: Trial) -> int:
    """Training sequences an epoch processes (windows of bptt steps for a stream)."""
    if data.stateful:
        rows = rows_for(data, trial)
        return rows * math.ceil((data.train.x.shape[1] // rows) / data.bptt)
    return len(data.train)
