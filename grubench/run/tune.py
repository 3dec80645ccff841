"""Choosing each arch's learning rate from its tuning trials, on validation only.

Every arch of every task gets the same tuning trials (each grid value on each tuning seed, see
``Suite.tuning``). A learning rate's score is the median, over the tuning seeds, of each trial's
lowest **validation loss**: continuous, where validation accuracy on a small split ties three
ways and the grid's order used to decide. Equal medians go to the lower mean, not to the grid's
order. A tuning trial that diverged or failed scores as the worst possible value, so a rate that
blows up on some seeds loses to one that does not. The test split is never read.

The best score is not yet the choice. On a small validation split the loss is often flat across
much of the grid, within the spread of the tuning seeds, and the best of a flat curve is an
accident of the seeds: re-tuning the full claims on other seeds moved two such choices (10% of
ItalyPowerDemand and of JapaneseVowels) two grid steps. So the choice is the **middle of the
rates within one standard error of the best** (the one-standard-error rule of Breiman et al.
1984, with the middle in place of "the simplest", since no learning rate is simpler than
another): the rates whose median is no worse than the best's by one standard error of a
seed-mean, the seeds' spread pooled over the rates by its median (``pooled_se``). The middle
of the flat stretch moves least when other seeds shift its ends (re-tuning the same claims
gives 14 choices the same and 8 a neighbour, none further, against 10, 10 and 2 for the best
score; on the ten ad-hoc UCR runs, which it was not chosen on, 5, 12 and 3 against 5, 11 and
4). Of two middle rates the better median wins, then the better mean. Only rates whose every
tuning seed scored take part, and with one tuning seed there is no spread to pool, so the best
is the choice.

Where the suite stops runs at a target, the loss says only how far below the target a run
happened to land on the epoch it stopped: noise (re-tuning the adding task on other seeds moved
both archs' choices by two grid steps and more). There a rate's score is its median **steps to
the target** (a run that never reached it scores worst), equal medians going to the lower mean
steps, then to the lower mean loss; when no rate reaches the target on most seeds, the loss
decides as elsewhere.

A best score or a choice at an edge of the grid means the best rate may lie beyond it: the
grid of that task grows by one step in that direction (the ratio between its two outermost
values there), for every arch alike so their tuning budgets stay equal, within the suite's
bounds and at most ``extend`` steps each way, and the new rate is tuned before the finals
start. Records older than the validation loss are scored on their best validation metric, in
its own direction.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from scipy.stats import chi2

from grubench.config import Suite, Trial, sig3
from grubench.tasks import get_task

Key = tuple[int, str]  # (task index in the suite, arch)
Grids = dict[int, tuple[float, ...]]  # task index -> the (possibly extended) grid, ascending
FINAL = ("ok", "diverged")  # statuses that end a trial; failed trials are tried again
LOSS = "val_loss"
STEPS = "steps_to_target"


@dataclass(frozen=True)
class Choice:
    """One arch's choice on one task: the rate, and each grid value's median score."""

    task: str
    arch: str
    lr: float
    scores: dict[float, float | None]  # None: every tuning seed of that rate failed or diverged
    direction: str  # of the score: "min" for the validation loss
    means: dict[float, float | None] | None = None  # each rate's mean score (the tie-break)
    scored_on: str = LOSS  # "val_loss", "steps_to_target", or older records' validation metric
    grid: tuple[float, ...] = ()  # the grid it was chosen from, ascending
    edge: str | None = None  # "low" or "high": the best or the choice at an edge of the grid
    tie: bool = False  # the best median was shared and the mean decided
    best: float | None = None  # the rate with the best score (None: no finite score)
    within: tuple[float, ...] = ()  # the rates within one standard error of it, ascending
    se: float = 0.0  # that standard error, in the score's units


def _scored_on(records: list[dict[str, Any] | None], val_key: str) -> str:
    ok = [r for r in records if r is not None and r.get("status") == "ok"]
    return LOSS if ok and all(r.get("best_val_loss") is not None for r in ok) else val_key


def _stopped_at_target(records: list[dict[str, Any] | None]) -> bool:
    return any(r is not None and r.get("stop_reason") == "target" for r in records)


def trial_score(record: dict[str, Any] | None, direction: str, key: str = LOSS) -> float:
    """A tuning trial's best validation loss (``key``: its steps to the target, or its best
    validation metric); the worst value when it has none."""
    worst = math.inf if direction == "min" else -math.inf
    if record is None or record.get("status") != "ok":
        return worst
    field = {LOSS: "best_val_loss", STEPS: STEPS}.get(key, "best_val_metric")
    value = record.get(field)
    return value if isinstance(value, int | float) and math.isfinite(value) else worst


def _edge(lr: float | None, grid: tuple[float, ...]) -> str | None:
    """Which edge of ``grid`` ``lr`` sits at (None: inside, no rate, or a grid of one)."""
    if len(grid) < 2:
        return None
    return "low" if lr == grid[0] else "high" if lr == grid[-1] else None


def _table(
    trials: list[Trial], by_id: dict[str, dict[str, Any]], direction: str, key: str
) -> dict[float, list[float]]:
    """Each rate's scores, one per tuning seed, in ascending rate order."""
    per_lr: dict[float, list[float]] = {}
    for t in sorted(trials, key=lambda t: t.train.lr):
        per_lr.setdefault(t.train.lr, []).append(trial_score(by_id.get(t.id), direction, key))
    return per_lr


def choose_one(trials: list[Trial], by_id: dict[str, dict[str, Any]], fallback: float) -> Choice:
    """The choice for one (task, arch) group of tuning trials; ``fallback`` (the suite's lr)
    when no rate has a finite score."""
    task = get_task(trials[0].task)
    records = [by_id.get(t.id) for t in trials]
    key = _scored_on(records, task.val_key)
    direction = "min" if key == LOSS else task.val_dir
    # Tie-breaks after the median: the mean of the same score, then (steps) the mean loss.
    breaks: list[tuple[dict[float, float], str]] = []
    per_lr = _table(trials, by_id, direction, key)
    if _stopped_at_target(records):
        steps = _table(trials, by_id, "min", STEPS)
        if any(math.isfinite(statistics.median(v)) for v in steps.values()):
            breaks = [({lr: statistics.fmean(v) for lr, v in per_lr.items()}, direction)]
            per_lr, key, direction = steps, STEPS, "min"
    medians = {lr: statistics.median(v) for lr, v in per_lr.items()}
    # A worst (infinite) score makes the mean the worst too.
    means = {lr: statistics.fmean(v) for lr, v in per_lr.items()}
    finite = [lr for lr in medians if math.isfinite(medians[lr])]
    order = [(medians, direction), (means, direction), *breaks]
    best = _best_of(finite, order)
    tie = (
        best is not None
        and sum(math.isclose(medians[lr], medians[best], rel_tol=1e-12) for lr in finite) > 1
    )
    grid = tuple(sorted(per_lr))
    se, within = 0.0, ()
    if best is not None:
        se, within = _within_noise(per_lr, medians, best, direction)
    lr = fallback if best is None else _middle(within, order)
    return Choice(
        trials[0].task,
        trials[0].arch,
        lr,
        {k: v if math.isfinite(v) else None for k, v in medians.items()},
        direction,
        {k: v if math.isfinite(v) else None for k, v in means.items()},
        key,
        grid,
        # The choice sits at an edge only where the best does (the middle of a set that holds
        # the best), so the best's edge is the choice's too.
        _edge(best, grid),
        tie,
        best,
        within,
        se,
    )


def pooled_se(per_lr: dict[float, list[float]]) -> float:
    """One standard error of a seed-mean: the seeds' standard deviation, pooled over every rate
    all of whose seeds scored, over the square root of the seeds a rate has (0: no spread to
    pool, as with one tuning seed).

    Pooled by the median, not the mean, of the rates' variances: a loss's spread grows with
    the loss by orders of magnitude across a grid, and one rate that nearly diverged on one seed
    (adding's GRU at 0.111: 0.0015 and 2.74) would otherwise set the error for every rate and
    put the whole grid within it. A variance over n seeds is a scaled chi-square on n − 1
    degrees of freedom, whose median is ``chi2.median(n - 1) / (n - 1)`` of its mean, so each
    is scaled back by that before the median is taken."""
    rows = [v for v in per_lr.values() if len(v) > 1 and all(math.isfinite(x) for x in v)]
    if not rows:
        return 0.0
    scaled = [statistics.variance(v) * (len(v) - 1) / chi2.median(len(v) - 1) for v in rows]
    return math.sqrt(statistics.median(scaled)) / math.sqrt(max(len(v) for v in rows))


def _within_noise(
    per_lr: dict[float, list[float]], medians: dict[float, float], best: float, direction: str
) -> tuple[float, tuple[float, ...]]:
    """The standard error and the rates (ascending) whose median is within it of ``best``'s:
    only rates all of whose seeds scored, and always ``best``."""
    se = pooled_se(per_lr)
    sign = 1.0 if direction == "min" else -1.0  # positive: worse
    near = [
        lr
        for lr, v in per_lr.items()
        if all(math.isfinite(x) for x in v) and sign * (medians[lr] - medians[best]) <= se
    ]
    return se, tuple(sorted({*near, best}))


def _best_of(rates: list[float], order: list[tuple[dict[float, float], str]]) -> float | None:
    """The best of ``rates`` on the first score of ``order``; equal scores (to rounding) go to
    the next one, never to the grid's order (the lowest rate only when every score is equal)."""
    shared = list(rates)
    for scores, way in order:
        if not shared:
            return None
        top = (min if way == "min" else max)(scores[lr] for lr in shared)
        shared = [lr for lr in shared if math.isclose(scores[lr], top, rel_tol=1e-12)]
    return min(shared)  # the filter keeps the top, so never empty here


def _middle(rates: tuple[float, ...], order: list[tuple[dict[float, float], str]]) -> float:
    """The middle of ``rates`` (ascending); of two middles, the better on ``order``."""
    k = len(rates)
    if k % 2:
        return rates[k // 2]
    better = _best_of([rates[k // 2 - 1], rates[k // 2]], order)
    assert better is not None  # two rates in: one comes out
    return better


def choose(
    suite: Suite, by_id: dict[str, dict[str, Any]], grids: Grids | None = None
) -> dict[Key, Choice]:
    """Every (task index, arch)'s choice from the tuning records in ``by_id``."""
    return {
        key: choose_one(trials, by_id, suite.train.lr)
        for key, trials in suite.tuning(grids).items()
    }


def extend(suite: Suite, grids: Grids, choices: dict[Key, Choice]) -> Grids:
    """The grids grown by one step past every edge where some arch's best or choice sat, within
    the suite's bounds and its ``extend`` steps each way (the same grid for every arch of a
    task)."""
    assert suite.tune is not None
    low, high = suite.tune.bounds
    base = suite.tune.lr
    out = dict(grids)
    for i, grid in grids.items():
        edges = {c.edge for (j, _), c in choices.items() if j == i and c.edge}
        new = list(grid)
        # An edge needs two rates (``_edge``), so each grid here has a last step to repeat.
        if "low" in edges:
            step = sig3(grid[0] * grid[0] / grid[1])
            if step >= low * (1 - 1e-9) and sum(v < min(base) for v in grid) < suite.tune.extend:
                new.append(step)
        if "high" in edges:
            step = sig3(grid[-1] * grid[-1] / grid[-2])
            if step <= high * (1 + 1e-9) and sum(v > max(base) for v in grid) < suite.tune.extend:
                new.append(step)
        out[i] = tuple(sorted(set(new)))
    return out


def base_grids(suite: Suite) -> Grids:
    """Each task's grid before any extension: the suite's, ascending (empty: no tuning)."""
    if suite.tune is None:
        return {}
    return {i: tuple(sorted(suite.tune.lr)) for i in range(len(suite.tasks))}


def settle(
    suite: Suite, by_id: dict[str, dict[str, Any]]
) -> tuple[Grids, list[Trial], dict[Key, Choice] | None]:
    """Replay the search on the records in ``by_id``: the grids as far as they have grown, the
    tuning trials they hold (in running order), and the choices once every one of those trials
    has a final record and no choice asks for a wider grid (None until then)."""
    grids = base_grids(suite)
    while True:
        trials = tuning_trials(suite, grids)
        if any(by_id.get(t.id, {}).get("status") not in FINAL for t in trials):
            return grids, trials, None
        choices = choose(suite, by_id, grids)
        grown = extend(suite, grids, choices)
        if grown == grids:
            return grids, trials, choices
        grids = grown


def tuning_trials(suite: Suite, grids: Grids | None = None) -> list[Trial]:
    """The tuning trials in running order: task → seed → rate → arch, so the archs of a
    comparison run side by side under the same machine load."""
    groups = suite.tuning(grids)
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
            "scored_on": c.scored_on,
            "grid": list(c.grid),
            "edge": c.edge,
            "tie": c.tie,
            "best": c.best,
            "within": list(c.within),
            "se": c.se,
            "scores": [
                {"lr": lr, "median_val": s, "mean_val": (c.means or {}).get(lr)}
                for lr, s in c.scores.items()
            ],
        }
        for (i, arch), c in choices.items()
    ]
