"""Pure rules of the speed benchmark: when to stop timing, GFLOP/s and their share of a limit
(paired ratios, crossovers and sample
summaries come from ``grubench.analysis.stats``).

Nothing here times anything, so every rule is tested on fixed numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from grubench.analysis.stats import summarise

CONVERGED, MAX_REPEATS, TIME_CAP = "converged", "max-repeats", "time-cap"


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
