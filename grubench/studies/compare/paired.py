"""The paired test of an A/B run: each trial ran on both revisions, one after the other, so
each pair saw the same machine state, and the test is on the pairs' differences.

scipy.stats' one-sample t-test on the log-ratios (new/base) of the pairs. Logs, because a
slowdown multiplies times; a t-test, because a rank test on the few pairs of a CI run (a
signed-rank test needs 6 pairs to reach p < 0.05 at all) could never flag anything.
"""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING

from scipy import stats as st

if TYPE_CHECKING:
    from grubench.analysis.stats import Sample

Pair = tuple[float, float]  # (base, new) values of one trial


def pairs_of(base: Sample, new: Sample) -> list[Pair]:
    """The samples of the trials both sides ran, matched by key (seed), in BASE's order."""
    by_key = dict(zip(new.keys, new.values, strict=True))
    return [(a, by_key[k]) for k, a in zip(base.keys, base.values, strict=True) if k in by_key]


def _differences(pairs: list[Pair]) -> list[float]:
    if all(a > 0 and b > 0 for a, b in pairs):
        return [math.log(b / a) for a, b in pairs]
    return [b - a for a, b in pairs]  # zeros or signs (a metric): plain differences


def paired_change(pairs: list[Pair]) -> float | None:
    """NEW relative to BASE from the pairs: the geometric mean of the ratios, minus one (None
    where a value is not positive; the caller then compares the medians)."""
    if not pairs or not all(a > 0 and b > 0 for a, b in pairs):
        return None
    return math.exp(statistics.fmean(_differences(pairs))) - 1


def paired_test(pairs: list[Pair], alpha: float) -> tuple[bool | None, str, float | None]:
    """Whether the pairs differ beyond their own spread: (beyond, how judged, p-value)."""
    n = len(pairs)
    if n < 2:
        return None, f"{n} pair{'s' * (n != 1)}: spread unknown", None
    d = _differences(pairs)
    if all(x == 0 for x in d):
        # Nothing varied (same seed, same data, deterministic numbers): no test to correct for.
        return False, f"identical in all {n} pairs", None
    if statistics.pstdev(d) == 0:
        # The same change in every pair (deterministic numbers): real, whatever its size.
        return True, f"the same change in all {n} pairs", None
    p = float(st.ttest_1samp(d, 0.0).pvalue)
    return p < alpha, f"paired t p={p:.2g} ({n} pairs)", p
