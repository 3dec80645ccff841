"""``run_trial``: build the data and the matched model, train within the budget, measure.

Pure in the sense that matters: no printing and no global state beyond torch's own thread
count and seed, which a trial owns because it runs in a fresh process.
"""

from __future__ import annotations

import copy
import gc
import math
import platform
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn

from grubench.config import OPTIMIZERS, Trial, trial_to_dict
from grubench.measure.clocks import median_time, sync
from grubench.measure.memory import release_free_memory
from grubench.measure.probe import TRIAL_REPEATS, TRIAL_WARMUP, gemm_probe, trial_probe
from grubench.models.model import SeqModel, count_params
from grubench.models.registry import get_arch
from grubench.models.sizing import flops_per_step, match_hidden, params_recurrent, params_total
from grubench.tasks import get_task, resolve_params
from grubench.tasks.base import (
    Split,
    TaskData,
    TaskDef,
    generator,
    plateau_level,
    reached,
)
from grubench.tasks.shared import build_shared
from grubench.trial.peaks import MIB, Peaks
from grubench.trial.result import CONVERGED_STOPS, TrialResult
from grubench.trial.stopping import Stopper
from grubench.trial.stream import first_batch, one_sequence, steps_per_epoch, train_stream_epoch

Event = Callable[[dict[str, Any]], None]
EVAL_BATCH = 512


def make_optimizer(trial: Trial, params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    """The trial's optimiser (torch defaults apart from the learning rate)."""
    return getattr(torch.optim, OPTIMIZERS[trial.train.optimizer])(params, lr=trial.train.lr)


class Diverged(Exception):
    """Training produced a non-finite loss or metric."""


def forward_split(model: nn.Module, split: Split, batch: int | None = None) -> torch.Tensor:
    """Model outputs for a whole split, in evaluation mode and without gradients, ``batch``
    (default EVAL_BATCH) sequences at a time."""
    batch = batch or EVAL_BATCH
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(split), batch):
            part = split.take(slice(i, i + batch))
            outs.append(model(part.x, part.lengths)[0])
    model.train()
    return torch.cat(outs)


def _to(split: Split, device: str) -> Split:
    lengths = split.lengths  # packing wants lengths on the CPU; the seed GRU moves them itself
    return Split(split.x.to(device), split.y.to(device), lengths)


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _train_epoch(
    model: nn.Module,
    task: TaskDef,
    data: TaskData,
    opt: torch.optim.Optimizer,
    trial: Trial,
    order: torch.Generator,
    epoch: int,
    max_steps: int | None = None,
) -> tuple[float, int, int]:
    """One pass in a seeded order (so paired archs see identical batches), or one pass over the
    stream for a stateful task, cut at ``max_steps`` batches when given; its mean loss, the
    optimiser steps it took and the sequences it trained on."""
    if data.stateful:
        loss, steps, seqs = train_stream_epoch(model, task, data, opt, trial, max_steps)
        if not math.isfinite(loss):
            raise Diverged(f"non-finite training loss in epoch {epoch}")
        return loss, steps, seqs
    n = len(data.train)
    # The whole permutation is drawn even for a cut epoch, so the order stays the seed's.
    perm = torch.randperm(n, generator=order)
    starts = list(range(0, n, trial.train.batch_size))[:max_steps]
    total = torch.zeros((), device=trial.device)
    seen = 0
    for i in starts:
        batch = data.train.take(perm[i : i + trial.train.batch_size])
        out, _ = model(batch.x, batch.lengths)
        loss = task.loss(out, batch.y, batch.lengths)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), trial.train.clip)
        opt.step()
        total += loss.detach() * len(batch)
        seen += len(batch)
    # One check per epoch keeps the GPU queue full; a NaN poisons the sum, so none is missed.
    mean = float(total) / max(seen, 1)
    if not math.isfinite(mean):
        raise Diverged(f"non-finite training loss in epoch {epoch}")
    return mean, len(starts), seen


def _warm_up(model: nn.Module, task: TaskDef, data: TaskData, trial: Trial) -> None:
    """A training step and an evaluation on a throwaway copy before the memory baseline, so
    one-time costs (library pages, Adam's first-step imports, kernel caches) don't count as
    training memory and the real model's weights and optimiser are untouched."""
    twin = copy.deepcopy(model)
    opt = make_optimizer(trial, twin.parameters())
    batch = first_batch(data, trial)
    out, _ = twin(batch.x, batch.lengths)
    task.loss(out, batch.y, batch.lengths).backward()
    nn.utils.clip_grad_norm_(twin.parameters(), trial.train.clip)
    opt.step()
    task.evaluate(forward_split(twin, batch), batch)
    del twin, opt, out
    gc.collect()
    release_free_memory()


@dataclass
class Fit:
    """What the epoch loop leaves behind."""

    history: list[dict[str, Any]] = field(default_factory=list)
    best_val: float | None = None
    best_val_loss: float | None = None  # the lowest validation loss of any epoch
    best_epoch: int = 0
    best_state: dict[str, torch.Tensor] | None = None
    train_seconds: float = 0.0
    eval_seconds: float = 0.0  # validation passes between epochs
    steps: int = 0  # optimiser steps taken
    sequences: int = 0  # sequences (or stream window-rows) trained on
    to_target: tuple[float | None, int | None, int | None] = (None, None, None)  # s, epoch, steps
    stop_reason: str = "epochs"
    diverged_reason: str | None = None
    plateau: float | None = None  # the level validation had to beat before patience applied
    left_plateau_epoch: int | None = None


def val_baseline(task: TaskDef, data: TaskData) -> float | None:
    """The trivial predictor's validation score. The test baseline stands in where the task
    gives none (same predictor, same distribution) only when validation and test share a
    metric."""
    if data.val_baseline is None and task.val_key == task.metric:
        return data.baseline
    return data.val_baseline


def stopper_for(task: TaskDef, data: TaskData, trial: Trial) -> Stopper:
    """The patience rule of a trial: the budget's patience (in epochs, at least
    ``patience_steps`` optimiser steps' worth), min_delta in the validation metric's units (the
    task's unless the budget sets one), the task's trivial plateau."""
    budget = trial.budget
    min_delta = budget.min_delta if budget.min_delta is not None else task.min_delta
    plateau = plateau_level(val_baseline(task, data), task.val_dir, task.plateau_fraction)
    patience = budget.patience
    if patience is not None and budget.patience_steps is not None:
        patience = max(patience, math.ceil(budget.patience_steps / steps_per_epoch(data, trial)))
    return Stopper(task.val_dir, patience, min_delta, plateau)


def fit(
    model: nn.Module,
    task: TaskDef,
    data: TaskData,
    trial: Trial,
    target: float | None,
    peaks: Peaks,
    on_event: Event | None,
    started: float,
) -> Fit:
    """Train until the step budget (or the epoch cap), patience, the target or the wall-clock
    safety net ends it. Each epoch's training is a memory window of its own, closed before
    validation runs; the best weights are copied outside."""
    opt = make_optimizer(trial, model.parameters())
    order = generator(trial.seed, 99)
    budget = trial.budget
    stopper = stopper_for(task, data, trial)
    f = Fit(plateau=stopper.plateau)
    per_epoch = steps_per_epoch(data, trial)
    epochs = math.ceil(budget.steps / per_epoch) if budget.steps is not None else budget.epochs
    for epoch in range(1, epochs + 1):
        left = None if budget.steps is None else budget.steps - f.steps
        t0 = time.perf_counter()
        try:
            with peaks.window("train"):
                loss, steps, seqs = _train_epoch(model, task, data, opt, trial, order, epoch, left)
        except Diverged as e:
            f.diverged_reason, f.stop_reason = str(e), "diverged"
            break
        sync(trial.device)
        epoch_seconds = time.perf_counter() - t0
        f.train_seconds += epoch_seconds
        f.steps += steps
        f.sequences += seqs
        t1 = time.perf_counter()
        with peaks.window("eval"):
            out = forward_split(model, data.val)
            metrics = task.evaluate(out, data.val)
            # The training loss on validation: what tuning scores (continuous, where a metric
            # such as accuracy on a small split ties).
            val_loss = float(task.loss(out, data.val.y, data.val.lengths))
            del out
        f.eval_seconds += time.perf_counter() - t1
        value = metrics[task.val_key]
        if not math.isfinite(value):
            f.diverged_reason = f"non-finite validation {task.val_key} at epoch {epoch}"
            f.stop_reason = "diverged"
            break
        f.history.append(
            {
                "epoch": epoch,
                "steps": f.steps,
                "train_loss": loss,
                "val_metric": value,
                "val_loss": val_loss,
                "val": metrics,
                "epoch_seconds": epoch_seconds,
                "seconds": f.train_seconds,
                "wall": time.perf_counter() - started,
            }
        )
        if math.isfinite(val_loss) and (f.best_val_loss is None or val_loss < f.best_val_loss):
            f.best_val_loss = val_loss
        stopper.update(value)
        if stopper.best_epoch == epoch:
            # The weights kept are those of the best epoch (the stopper's), however small its
            # lead.
            f.best_val, f.best_epoch = value, epoch
            f.best_state = None  # free the old copy before taking the new one
            f.best_state = copy.deepcopy(model.state_dict())
            peaks.hold(f.best_state)
        if on_event:
            on_event(
                {
                    "event": "epoch",
                    "epoch": epoch,
                    "epochs": epochs,
                    "val_metric": value,
                    "seconds": f.train_seconds,
                }
            )
        if target is not None and f.to_target[1] is None and reached(value, target, task.val_dir):
            f.to_target = (f.train_seconds, epoch, f.steps)
            if budget.target is not None:
                f.stop_reason = "target"
                break
        if budget.steps is not None and f.steps >= budget.steps:
            f.stop_reason = "steps"
            break
        if budget.seconds is not None and f.train_seconds >= budget.seconds:
            f.stop_reason = "seconds"
            break
        if stopper.should_stop():
            f.stop_reason = "patience"
            break
    f.left_plateau_epoch = stopper.left_plateau_epoch
    return f


def own_probe(trial: Trial) -> dict[str, float | int]:
    """The machine-speed probe a trial takes before and after its training."""
    return gemm_probe(trial.threads, repeats=TRIAL_REPEATS, warmup=TRIAL_WARMUP)


def run_trial(trial: Trial, on_event: Event | None = None, cache: str | None = None) -> TrialResult:
    """Train and measure one trial; returns its result record. ``cache``: a folder where the
    trials of one (task, parameters, seed) share the data the first of them built."""
    started = time.perf_counter()
    torch.set_num_threads(trial.threads)
    task = get_task(trial.task)
    data = build_shared(task, resolve_params(task, dict(trial.task_params)), trial.seed, cache)
    I, O = data.input_size, data.output_size  # noqa: E741
    hidden = match_hidden([trial.arch], trial.match, I, trial.hidden, trial.layers, O)[trial.arch]
    torch.manual_seed(trial.seed)  # the initial weights; the data have generators of their own
    model = SeqModel(
        trial.arch, I, hidden, trial.layers, O, data.per_step, trial.train.forget_bias
    ).to(trial.device)
    n_params = count_params(model)
    if n_params != params_total(trial.arch, I, hidden, trial.layers, O):
        raise AssertionError(f"{trial.arch}: counted {n_params} parameters, closed form disagrees")
    train, val, test = (_to(s, trial.device) for s in (data.train, data.val, data.test))
    data = replace(data, train=train, val=val, test=test)

    _warm_up(model, task, data, trial)
    # The speed probe in this process, under whatever else the machine runs, before and after
    # training: compare normalises this trial's times by it (see grubench.measure.probe).
    probe_start = own_probe(trial) if trial.device == "cpu" else None
    peaks = Peaks(trial.device)
    target = trial.budget.target if trial.budget.target is not None else task.target
    setup_seconds = time.perf_counter() - started
    f = fit(model, task, data, trial, target, peaks, on_event, started)
    test_metrics: dict[str, float] = {}
    if f.best_state is not None:
        model.load_state_dict(f.best_state)
        with peaks.window("eval"):
            test_metrics = task.evaluate(forward_split(model, data.test), data.test)

    probe = trial_probe(probe_start, own_probe(trial)) if probe_start else None
    one = one_sequence(data)
    latency, latency_iqr = median_time(lambda: forward_split(model, one), trial.device)
    epochs_run = len(f.history)
    seconds = [h["epoch_seconds"] for h in f.history]
    return TrialResult.of(
        trial,
        "diverged" if f.diverged_reason else "ok",
        hidden=hidden,
        input_size=I,
        output_size=O,
        params_total=n_params,
        params_recurrent=params_recurrent(trial.arch, I, hidden, trial.layers),
        flops_per_step=flops_per_step(trial.arch, I, hidden, trial.layers, O),
        init=init_name(trial),
        budget=trial_to_dict(trial)["budget"],
        metric=task.metric,
        direction=task.direction,
        val_metric_name=task.val_key,
        test_metric=_finite(test_metrics.get(task.metric, math.nan)),
        test_metrics={k: _finite(v) for k, v in test_metrics.items()},
        baseline=data.baseline,
        baseline_name=data.baseline_name,
        val_baseline=val_baseline(task, data),
        val_direction=task.val_dir,
        learned_margin=task.learned_margin,
        target=target,
        time_to_target_s=f.to_target[0],
        epochs_to_target=f.to_target[1],
        steps_to_target=f.to_target[2],
        steps_run=f.steps,
        plateau_level=f.plateau,
        left_plateau_epoch=f.left_plateau_epoch,
        best_epoch=f.best_epoch,
        best_val_metric=f.best_val,
        best_val_loss=f.best_val_loss,
        epochs_run=epochs_run,
        stop_reason=f.stop_reason,
        # A diverged run neither converged nor was cut off: it is reported as diverged.
        converged=None if f.diverged_reason else f.stop_reason in CONVERGED_STOPS,
        train_seconds=f.train_seconds,
        setup_seconds=setup_seconds,
        eval_seconds=f.eval_seconds,
        seconds_per_epoch=statistics.median(seconds) if seconds else None,
        throughput_seq_s=f.sequences / f.train_seconds if f.train_seconds else None,
        infer_latency_ms=latency * 1e3,
        infer_latency_iqr_ms=latency_iqr * 1e3,
        peak_mem_mb=peaks.train / MIB,
        peak_eval_mb=peaks.eval / MIB,
        probe=probe,
        mem_baseline_mb=peaks.base_mib,
        history=f.history,
        diverged=f.diverged_reason is not None,
        diverged_reason=f.diverged_reason,
        versions={"torch": torch.__version__, "python": platform.python_version()},
        data_info=data.info,
        wall_seconds=time.perf_counter() - started,
    )


def init_name(trial: Trial) -> str:
    """How the weights started, as every record states it."""
    if get_arch(trial.arch).family == "lstm" and trial.train.forget_bias:
        return f"torch default, forget-gate bias {trial.train.forget_bias:g}"
    return "torch default (uniform ±1/sqrt(H))"
