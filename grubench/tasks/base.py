"""What a task is: how its data are made, how a model is scored on it, and its trivial baseline."""

from __future__ import annotations

import importlib.util
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
    (floats may be 0) and, when ``interval`` = (low, high) is given, in (low, high]."""

    default: int | float | str
    help: str
    interval: tuple[float, float] | None = None


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
    # For a task without a target: how far past the trivial baseline the interval of an arch's
    # mean test metric must lie before the claims count it as having learned the task.
    learned_margin: float | None = None

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
    """Whether ``a`` beats ``best`` by more than the fraction ``min_delta`` of it."""
    margin = min_delta * abs(best)
    return a < best - margin if direction == "min" else a > best + margin


def reached(value: float, target: float, direction: str) -> bool:
    """Whether ``value`` meets ``target`` under ``direction``."""
    return value <= target if direction == "min" else value >= target


def mse_loss(out: Tensor, y: Tensor, lengths: Tensor | None = None) -> Tensor:
    """Mean squared error over every element (a per-step mask when lengths are given)."""
    if lengths is None or out.dim() < 3:
        return torch.mean((out - y) ** 2)
    mask = step_mask(lengths, out.shape[1]).unsqueeze(-1).to(out.dtype)
    return torch.sum(((out - y) ** 2) * mask) / (mask.sum() * out.shape[-1])


def step_mask(lengths: Tensor, steps: int) -> Tensor:
    """``[B, T]`` boolean mask of the real (non-padding) steps."""
    return torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]


def generator(seed: int, salt: int) -> torch.Generator:
    """A private RNG per (seed, purpose): data never depend on the global torch state."""
    return torch.Generator().manual_seed(seed * 1_000_003 + salt)


SUBSET = ("fixed", "seed")


def subset_seed(p: dict[str, Any], seed: int) -> int | None:
    """The seed a reduced training set is drawn from: none (one nested subset for every seed)
    or the trial's seed, which every arch of that seed shares."""
    subset = p.get("subset", "fixed")  # builds called with raw parameters keep the old way
    if subset not in SUBSET:
        raise UserError(f"parameter 'subset' must be one of {', '.join(SUBSET)}, got {subset!r}")
    return seed if subset == "seed" else None
