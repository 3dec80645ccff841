"""Choosing each arch's learning rate from its tuning trials, on validation only.

Every arch of every task gets the same tuning trials (each grid value on each tuning seed, see
``Suite.tuning``). A learning rate's score is the median, over the tuning seeds, of each
trial's best validation metric; the best score in the task's validation direction wins. A
tuning trial that diverged or failed scores as the worst possible value, so a rate that blows
up on some seeds loses to one that does not. The test split is never read.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from grubench.config import Suite, Trial
from grubench.tasks import get_task
from grubench.tasks.base import better

Key = tuple[int, str]  # (task index in the suite, arch)


@dataclass(frozen=True)
class Choice:
    """One arch's choice on one task: the rate, and each grid value's median validation score."""

    task: str
    arch: str
    lr: float
    scores: dict[float, float | None]  # None: every tuning seed of that rate failed or diverged
    direction: str


def trial_score(record: dict[str, Any] | None, direction: str) -> float:
    """A tuning trial's best validation metric; the worst value when it has none."""
    worst = math.inf if direction == "min" else -math.inf
    if record is None or record.get("status") != "ok":
        return worst
    value = record.get("best_val_metric")
    return value if isinstance(value, int | float) and math.isfinite(value) else worst


def choose_one(trials: list[Trial], by_id: dict[str, dict[str, Any]], fallback: float) -> Choice:
    """The choice for one (task, arch) group of tuning trials; ``fallback`` (the suite's lr)
    when no rate has a finite score."""
    direction = get_task(trials[0].task).val_dir
    per_lr: dict[float, list[float]] = {}
    for t in trials:
        per_lr.setdefault(t.train.lr, []).append(trial_score(by_id.get(t.id), direction))
    scores = {lr: statistics.median(v) for lr, v in per_lr.items()}
    best = None
    for lr, score in scores.items():  # grid order: the first of equal scores wins
        if math.isfinite(score) and (best is None or better(score, scores[best], direction)):
            best = lr
    return Choice(
        trials[0].task,
        trials[0].arch,
        fallback if best is None else best,
        {lr: s if math.isfinite(s) else None for lr, s in scores.items()},
        direction,
    )


def choose(suite: Suite, by_id: dict[str, dict[str, Any]]) -> dict[Key, Choice]:
    """Every (task index, arch)'s choice from the tuning records in ``by_id``."""
    return {
        key: choose_one(trials, by_id, suite.train.lr) for key, trials in suite.tuning().items()
    }


def tuning_trials(suite: Suite) -> list[Trial]:
    """The tuning trials in running order: task → seed → rate → arch, so the archs of a
    comparison run side by side under the same machine load."""
    groups = suite.tuning()
    if not groups:
        return []
    ordered = []
    for i in range(len(suite.tasks)):
        per_arch = [groups[(i, arch)] for arch in suite.archs]
        for row in zip(*per_arch, strict=True):
            ordered.extend(row)
    return ordered


def as_json(choices: dict[Key, Choice]) -> list[dict[str, Any]]:
    """The choices as run.json stores them (for the report's validation-against-rate curve)."""
    return [
        {
            "task_index": i,
            "task": c.task,
            "arch": arch,
            "lr": c.lr,
            "direction": c.direction,
            "scores": [{"lr": lr, "median_val": s} for lr, s in c.scores.items()],
        }
        for (i, arch), c in choices.items()
    ]
