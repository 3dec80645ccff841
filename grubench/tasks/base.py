"""What a task is: how its data are made, how a model is scored on it, and its trivial baseline."""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from grubench.errors import UnavailableTask, UserError

EXTRA = "pip install 'grubench[real]'"  # the optional packages of the real tasks


def require(module: str, what: str) -> None:
    """One line naming the extra to install when an optional package is missing."""
    if importlib.util.find_spec(module) is None:
        raise UnavailableTask(f"{what} needs {module}, which is not installed: {EXTRA}")


@dataclass(frozen=True)
class Param:
    """A difficulty or size parameter a suite may set; integers and floats must be positive
    (floats may be 0) and, when ``interval`` = (low, high) is given, in (low, high]; a text
    parameter with ``choices`` must be one of them."""

    default: int | float | str
    help: str
    interval: tuple[float, float] | None = None
    choices: tuple[str, ...] | None = None  # the values a text parameter may take


@dataclass(frozen=True)
class Split:
    """One split: inputs ``x [N, T, I]``, targets ``y`` and, for ragged data, true ``lengths``."""

    x: Tensor
    y: Tensor
    lengths: Tensor | None = None

    def __len__(self) -> int:
        return self.x.shape[0]

    def take(self, idx: Tensor | slice) -> Split:
        lengths = None if self.lengths is None else self.lengths[idx]
        return Split(self.x[idx], self.y[idx], lengths)


@dataclass(frozen=True)
class TaskData:
    """Everything a trial needs from a task, built once per (params, seed)."""

    train: Split
    val: Split
    test: Split
    input_size: int
    output_size: int
    per_step: bool  # read out at every step (True) or once at each sequence's end
    baseline: float  # the trivial predictor's test metric, computed from these data
    baseline_name: str
    info: dict[str, Any] = field(default_factory=dict)  # provenance, e.g. a corpus's SHA-256
    # Truncated-BPTT window for a task whose splits are each one contiguous stream ``[1, N, I]``:
    # training cuts the stream into batch_size parallel rows and carries the state across windows.
    bptt: int | None = None
    # The trivial predictor's validation metric (None: the task's test baseline stands in, which
    # is the same predictor on the same distribution). Stopping reads it: no patience stop
    # while validation has not left this level.
    val_baseline: float | None = None

    @property
    def stateful(self) -> bool:
        return self.bptt is not None


Loss = Callable[[Tensor, Tensor, Tensor | None], Tensor]
Evaluate = Callable[[Tensor, Split], dict[str, float]]
Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class TaskDef:
    """A registered task. ``metric`` scores the test split; ``val_metric`` drives early stopping
    and the target (the same metric unless the test metric needs the whole split, as in anbn)."""

    name: str
    family: str
    summary: str
    citation: str
    metric: str
    direction: str  # "min" or "max"
    params: dict[str, Param]
    build: Callable[[dict[str, Any], int], TaskData]
    loss: Loss
    evaluate: Evaluate
    target: float | None = None
    val_metric: str | None = None
    val_direction: str | None = None
    # One-off work worth doing once in the parent process (parsing a corpus into a cache) so the
    # trials' worker processes find it ready; ``build`` must still work without it.
    prepare: Callable[[dict[str, Any], Progress | None], None] | None = None
    # For a task without a target: how far past the trivial predictor's validation score the
    # interval of an arch's validation scores must lie before it counts as having learned
    # the task (grubench.analysis.learned; None: 10% of that score).
    learned_margin: float | None = None
    # Stopping, in the validation metric's own units: an epoch window improves when its best
    # beats the best before it by more than ``min_delta``; never a fraction of the metric's
    # value (1% of an NLL of 10 nats is 0.1 nats, which stops curves that are still falling).
    min_delta: float = 0.0
    # Validation no better than the baseline moved this fraction of the way to a perfect score
    # (0 for a "min" metric, 1 for a "max" one) is the trivial plateau: no patience stop there.
    plateau_fraction: float = 0.1
    # Modules the build imports (a data package): the fork server loads them once, so that a
    # trial does not pay the import (aeon costs about 1.5 s a trial on one core).
    preload: tuple[str, ...] = ()

    @property
    def val_key(self) -> str:
        return self.val_metric or self.metric

    @property
    def val_dir(self) -> str:
        return self.val_direction or self.direction


def better(a: float, b: float, direction: str) -> bool:
    """Whether metric value ``a`` beats ``b`` under ``direction``."""
    return a < b if direction == "min" else a > b


def improved(a: float, best: float, direction: str, min_delta: float) -> bool:
    """Whether ``a`` beats ``best`` by more than ``min_delta``, in the metric's own units."""
    return a < best - min_delta if direction == "min" else a > best + min_delta


def plateau_level(baseline: float | None, direction: str, fraction: float) -> float | None:
    """The validation value a run must beat to have left the trivial plateau: the baseline
    moved ``fraction`` of the way towards a perfect score (0 for "min", 1 for "max")."""
    if baseline is None or not math.isfinite(baseline):
        return None
    perfect = 0.0 if direction == "min" else 1.0
    return baseline + fraction * (perfect - baseline)


def reached(value: float, target: float, direction: str) -> bool:
    """Whether ``value`` meets ``target`` under ``direction``."""
    return value <= target if direction == "min" else value >= target


def mse_loss(out: Tensor, y: Tensor, lengths: Tensor | None = None) -> Tensor:
    """Mean squared error over every element (a per-step mask when lengths are given)."""
    if lengths is None or out.dim() < 3:
        return torch.mean((out - y) ** 2)
    mask = step_mask(lengths, out.shape[1]).unsqueeze(-1).to(out.dtype)
    return torch.sum(((out - y) ** 2) * mask) / (mask.sum() * out.shape[-1])


def mse_evaluate(out: Tensor, split: Split) -> dict[str, float]:
    """The MSE of a split, padding left out."""
    return {"mse": float(mse_loss(out, split.y, split.lengths))}


def step_mask(lengths: Tensor, steps: int) -> Tensor:
    """``[B, T]`` boolean mask of the real (non-padding) steps."""
    return torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]


def generator(seed: int, salt: int) -> torch.Generator:
    """A private RNG per (seed, purpose): data never depend on the global torch state."""
    return torch.Generator().manual_seed(seed * 1_000_003 + salt)


SUBSET = ("fixed", "seed")
# Validation drawn per seed too (repeated random sub-sampling): for data sets whose one fixed
# validation split is too small to show anything (4 series); tasks whose split is published
# (the chorales) cannot take it.
FOLD = "fold"


def subset_seed(p: dict[str, Any], seed: int, folds: bool = False) -> int | None:
    """The seed a reduced training set is drawn from: none (one nested subset for every seed)
    or the trial's seed, which every arch of that seed shares (``folds``: the task can also
    draw its validation split per seed, ``subset = "fold"``)."""
    subset = p.get("subset", "fixed")  # builds called with raw parameters keep the old way
    known = (*SUBSET, FOLD) if folds else SUBSET
    if subset not in known:
        raise UserError(f"parameter 'subset' must be one of {', '.join(known)}, got {subset!r}")
    return None if subset == "fixed" else seed


def val_seed(p: dict[str, Any], seed: int) -> int | None:
    """The seed the validation split is drawn from: the trial's with ``subset = "fold"``, else
    none (one fixed split for every seed)."""
    return seed if p.get("subset") == FOLD else None
