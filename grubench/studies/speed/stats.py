"""Pure statistics for the speed benchmark: paired ratios, the stopping rule, GFLOP/s, the
crossover length where one implementation overtakes another (sample
summaries come from ``grubench.analysis.stats``).

Nothing here times anything, so every rule is tested on fixed numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from grubench.analysis.stats import summarise

CONVERGED, MAX_REPEATS, TIME_CAP = "converged", "max-repeats", "time-cap"


def paired_ratios(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """Round-by-round ratios a[i]/b[i]: each pair ran back to back, so slow spells cancel."""
    if len(a) != len(b):
        raise ValueError(f"unpaired samples: {len(a)} vs {len(b)}")
    return [x / y for x, y in zip(a, b, strict=True)]


def stop_reason(
    samples: dict[str, Sequence[float]],
    rounds: int,
    elapsed: float,
    min_rounds: int,
    max_rounds: int,
    rel_iqr: float,
    time_cap: float,
) -> str | None:
    """Why to stop after this round, or None to go on.

    Converged once every arch's IQR is under ``rel_iqr`` of its median (after ``min_rounds``);
    otherwise the round limit or the time cap ends it, and the result says which.
    """
    if rounds >= min_rounds and all(summarise(s).rel_iqr <= rel_iqr for s in samples.values()):
        return CONVERGED
    if rounds >= max_rounds:
        return MAX_REPEATS
    if elapsed >= time_cap and rounds >= min(min_rounds, max_rounds):
        return TIME_CAP
    return None


def gflops(flops: float, seconds: float) -> float:
    """Achieved GFLOP/s for ``flops`` done in ``seconds``."""
    return flops / seconds / 1e9


def train_flops(forward_flops: float) -> float:
    """A training step's FLOPs: forward plus a backward that costs two forwards (input and
    weight gradients), the usual 3x rule; the optimiser's O(params) work is left out."""
    return 3.0 * forward_flops


def percent_of(achieved: float, limit: float) -> float:
    return 100.0 * achieved / limit if limit else float("nan")


@dataclass(frozen=True)
class Crossing:
    """Where arch A's time ratio to arch B falls below 1 for good along a length grid.

    ``where``: "within" (``at`` interpolated between two grid lengths, ``lo``–``hi`` its
    bootstrap interval, either end possibly the grid's edge or ``inf``), "below" (A is faster at
    every length of the grid, from the shortest on), "above" (A is slower at the longest)."""

    where: str
    at: float
    lo: float
    hi: float
    lengths: tuple[int, ...]


def _crosses(lengths: Sequence[int], medians: Sequence[float]) -> float:
    """The length beyond which the ratio stays below 1, interpolated in log-log between the last
    length at or above 1 and the next; the first length when none is at or above 1; ``inf`` when
    the last one is."""
    above = [i for i, m in enumerate(medians) if m >= 1.0]
    if not above:
        return float(lengths[0])
    i = above[-1]
    if i == len(lengths) - 1:
        return math.inf
    (t0, t1), (r0, r1) = lengths[i : i + 2], medians[i : i + 2]
    # log r falls from ≥ 0 to < 0 between log t0 and log t1
    f = math.log(r0) / (math.log(r0) - math.log(r1))
    return math.exp(math.log(t0) + f * (math.log(t1) - math.log(t0)))


def crossing(
    lengths: Sequence[int],
    ratios: Sequence[Sequence[float]],
    level: float = 0.95,
    boots: int = 2000,
    seed: int = 0,
) -> Crossing:
    """The crossover of paired per-round time ratios A/B measured at each of ``lengths``: the
    medians' crossing, and a percentile interval from resampling each length's rounds."""
    order = np.argsort(lengths)
    ts = tuple(int(lengths[i]) for i in order)
    rs = [np.asarray(ratios[i], dtype=float) for i in order]
    at = _crosses(ts, [float(np.median(r)) for r in rs])
    rng = np.random.default_rng(seed)
    draws = [
        _crosses(ts, [float(np.median(rng.choice(r, len(r)))) for r in rs]) for _ in range(boots)
    ]
    lo, hi = (
        float(q)
        for q in np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
    )
    where = "above" if math.isinf(at) else "below" if at == ts[0] else "within"
    return Crossing(where, at, lo, hi, ts)
