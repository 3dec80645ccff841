"""All of grubench's statistics: one sample summary, one quantile routine, one interval rule and
one paired test, used by the report, claims, compare and speed alike. Pure functions, no I/O.

Small-n rules (docs/statistics.md says why): the interval of a mean is Student's t (a ratio's
is t on the mean log-ratio); with n ≤ 3 values the report gives their range (min–max) instead
and calls it so. GRU vs LSTM comparisons are paired by seed and decided by an exact sign-flip
test, whose smallest achievable p counts only the non-zero differences. P(GRU better) comes
with an exact (Clopper–Pearson) interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import fmean, pstdev
from typing import Any

import numpy as np
from scipy import stats as st

from grubench.models.registry import PAIR

ALPHA = 0.05
LEVEL = 0.95
RANGE_MAX_N = 3  # up to this many values, an interval is called what it is: the range
T, RANGE, GIVEN = "t", "range", "given"  # how a Sample's lo–hi was made
NO_WINNER = "no clear difference"


def _finite(values: Any) -> np.ndarray:
    x = np.asarray([np.nan if v is None else v for v in np.ravel(values)], dtype=float)
    return x[np.isfinite(x)]


def quantiles(values: Any, qs: Sequence[float]) -> np.ndarray:
    """The one quantile routine: linear interpolation between order statistics (numpy's default,
    Python's ``statistics`` "inclusive"), so three values already have quartiles."""
    x = _finite(values)
    return np.quantile(x, qs) if len(x) else np.full(len(qs), math.nan)


def interval_kind(n: int) -> str:
    return "" if n == 0 else RANGE if n <= RANGE_MAX_N else T


def mean_interval(values: Any, level: float = LEVEL) -> tuple[float, float]:
    """Student-t interval of the mean (exact for normal data, about right for the few seeds a
    benchmark has, where the percentile bootstrap is too narrow); the min–max range when
    n ≤ 3 (see ``interval_kind``); NaNs when empty."""
    x = _finite(values)
    if len(x) == 0:
        return math.nan, math.nan
    if len(x) <= RANGE_MAX_N or np.all(x == x[0]):
        return float(x.min()), float(x.max())
    half = st.t.ppf(0.5 + level / 2, len(x) - 1) * st.sem(x)
    return float(x.mean() - half), float(x.mean() + half)


@dataclass(frozen=True)
class Sample:
    """One sample summarised: n, mean, median, quartiles, std, and an interval of the mean whose
    making ``interval`` names: "t", "range" (n ≤ 3), "given" (a centre read from a summary
    table, values unknown) or "" (no values)."""

    n: int
    mean: float
    median: float
    q1: float
    q3: float
    std: float  # ddof 1; NaN for one value
    lo: float
    hi: float
    interval: str
    values: tuple[float, ...] = ()
    keys: tuple[Any, ...] = ()  # what each value belongs to (its trial's seed), for pairing

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @property
    def rel_iqr(self) -> float:
        """IQR as a fraction of the median: the noise a reader should expect."""
        return self.iqr / self.median if self.median else math.inf

    @property
    def center(self) -> float | None:
        """The median (for a given sample, the centre its table gave); None when empty."""
        return None if math.isnan(self.median) else self.median

    def scaled(self, factor: float) -> Sample:
        """The same sample in other units (``factor`` > 0)."""
        f = float(factor)
        nums = {k: getattr(self, k) * f for k in ("mean", "median", "q1", "q3", "std", "lo", "hi")}
        return replace(self, **nums, values=tuple(v * f for v in self.values))


def summarise(values: Any, keys: Sequence[Any] | None = None, level: float = LEVEL) -> Sample:
    """The Sample of the finite numbers in ``values`` (None and NaN are left out); ``keys``, one
    per value, name what each kept value belongs to, so two samples can be paired."""
    if keys is not None:
        kept = [(k, v) for k, v in zip(keys, values, strict=True) if _finite([v]).size]
        keys, values = tuple(k for k, _ in kept), [v for _, v in kept]
    x = _finite(values)
    n = len(x)
    if n == 0:
        return given(None, 0)
    q1, med, q3 = (float(v) for v in quantiles(x, [0.25, 0.5, 0.75]))
    lo, hi = mean_interval(x, level)
    std = float(np.std(x, ddof=1)) if n > 1 else math.nan
    kind = interval_kind(n)
    return Sample(
        n, float(x.mean()), med, q1, q3, std, lo, hi, kind, tuple(x.tolist()), tuple(keys or ())
    )


def given(center: float | None, n: int, std: float | None = None) -> Sample:
    """A sample known only by a centre (and maybe a std) from a summary table: its mean and
    median both hold that centre."""
    c = math.nan if center is None else float(center)
    s = math.nan if std is None else float(std)
    return Sample(n, c, c, math.nan, math.nan, s, math.nan, math.nan, GIVEN if n else "")


# --- paired comparison ------------------------------------------------------------------------


@dataclass(frozen=True)
class Paired:
    """A paired comparison of arch ``a`` against ``b`` on one measure (diff = a − b)."""

    n: int
    mean_a: float
    mean_b: float
    diff: float
    diff_lo: float  # t-interval of the mean difference; the range of differences when n ≤ 3
    diff_hi: float
    ratio: float  # geometric mean of a/b over pairs (NaN unless every value is positive)
    ratio_lo: float  # exp of the t-interval of the mean log-ratio (range when n ≤ 3)
    ratio_hi: float
    interval: str  # "t" or "range": how the two intervals above were made
    p_perm: float  # exact two-sided sign-flip permutation test of the mean difference
    p_wilcoxon: float  # signed-rank, zero differences dropped (zero_method="wilcox")
    p_a_better: float  # share of pairs where a beats b (ties count half)
    p_a_better_lo: float  # exact Clopper–Pearson interval; ties lose for lo and win for hi
    p_a_better_hi: float
    ties: int  # pairs with no difference at all
    min_p: float  # the smallest p the non-zero pairs can give: ≥ ALPHA means underpowered
    winner: str  # the arch that is significantly better, or "no clear difference"


def paired_test(
    a: Any, b: Any, direction: str, names: tuple[str, str] = PAIR, alpha: float = ALPHA
) -> Paired:
    """Compare paired values; a winner is named only when the sign-flip p is below ``alpha``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    n, nan = len(a), math.nan
    if n == 0:
        return Paired(0, *[nan] * 8, "", nan, nan, nan, nan, nan, 0, nan, NO_WINNER)
    d = a - b
    lo, hi = mean_interval(d)
    ratio = ratio_lo = ratio_hi = nan
    if np.all(a > 0) and np.all(b > 0):
        logs = np.log(a / b)
        ratio = float(np.exp(logs.mean()))
        ratio_lo, ratio_hi = (float(np.exp(v)) for v in mean_interval(logs))
    ties = int((d == 0).sum())
    p_perm = sign_flip_p(d)
    p_wil = float(st.wilcoxon(d, zero_method="wilcox").pvalue) if n - ties > 0 else 1.0
    wins = int((d < 0).sum() if direction == "min" else (d > 0).sum())
    p_lo, p_hi = better_interval(wins, ties, n)
    winner = NO_WINNER
    if p_perm < alpha and d.mean() != 0:
        winner = names[0] if (d.mean() < 0) == (direction == "min") else names[1]
    return Paired(
        n,
        float(a.mean()),
        float(b.mean()),
        float(d.mean()),
        lo,
        hi,
        ratio,
        ratio_lo,
        ratio_hi,
        interval_kind(n),
        p_perm,
        p_wil,
        (wins + 0.5 * ties) / n,
        p_lo,
        p_hi,
        ties,
        p_floor(n - ties),
        winner,
    )


def p_floor(nonzero: int) -> float:
    """The smallest two-sided sign-flip p that ``nonzero`` non-zero differences can give: only
    the two all-same-sign flips are as extreme as data whose signs all agree. Zero differences
    flip to themselves, so they add nothing."""
    return min(1.0, 2.0 / 2**nonzero)


def pairs_needed(alpha: float = ALPHA) -> int:
    """The fewest non-zero pairs whose best possible sign-flip p is below ``alpha``."""
    m = 1
    while p_floor(m) >= alpha:
        m += 1
    return m


def better_interval(wins: int, ties: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval of P(a beats b in a new pair); a tie is unknown either
    way, so ties count as losses for the lower end and as wins for the upper end."""
    if n == 0:
        return math.nan, math.nan
    return proportion_interval(wins, n, level)[0], proportion_interval(wins + ties, n, level)[1]


def sign_flip_p(d: Any) -> float:
    """Two-sided p of the mean difference under random sign flips (exact for n ≤ 16). A zero
    difference flips to itself: it adds no configuration more extreme than the data."""
    d = np.asarray(d, dtype=float)
    if len(d) < 2 or not np.any(d != 0):
        return 1.0  # one pair: both sign flips are as extreme as the data
    res = st.permutation_test(
        (d,),
        lambda x, axis: np.mean(x, axis=axis),
        permutation_type="samples",
        vectorized=True,
        n_resamples=2**16,
        rng=0,
    )
    return float(res.pvalue)


# --- families, bands and proportions ---------------------------------------------------------

EQUAL_BAND = 0.05  # exact ratios within ±5% of 1 count as "the same cost"


def band_side(lo: float, hi: float, band: float = EQUAL_BAND) -> str:
    """Where an interval of a ratio lies against the band of "the same": "below" when all of it
    is under 1 − band, "above" when all of it is over 1 + band, "" otherwise (×1.047 [1.016,
    1.080] is the same cost, not a slower one)."""
    if hi < 1 - band:
        return "below"
    if lo > 1 + band:
        return "above"
    return ""


def holm(p_values: list[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values: family-wise error control for many tests at once."""
    m = len(p_values)
    adjusted, running = {}, 0.0
    for rank, i in enumerate(sorted(range(m), key=p_values.__getitem__)):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return [adjusted[i] for i in range(m)]


def proportion_interval(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval of a rate of ``k`` in ``n``."""
    ci = st.binomtest(k, n).proportion_ci(level, method="exact")
    return float(ci.low), float(ci.high)


def one_sample_p(x: Any) -> float:
    """Two-sided one-sample t-test p of mean 0 (log ratios of costs); 0 when every value is the
    same non-zero number (a deterministic difference), 1 when all are 0."""
    x = _finite(x)
    if np.ptp(x) > 0:
        return float(st.ttest_1samp(x, 0.0).pvalue)
    return 0.0 if len(x) and x[0] != 0 else 1.0


# --- A/B pairs (base, new) and the samples of two runs --------------------------------------

Pair = tuple[float, float]  # (base, new) values of one trial


def pairs_of(base: Sample, new: Sample) -> list[Pair]:
    """The values of the trials both runs have, matched by key (seed), in BASE's order: each
    trial of an A/B run ran on both revisions, one after the other, so a pair saw one machine
    state."""
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
    return math.exp(fmean(_differences(pairs))) - 1


def paired_t(pairs: list[Pair], alpha: float) -> tuple[bool | None, str, float | None]:
    """Whether (base, new) pairs differ beyond their own spread: (beyond, how judged, p). A
    one-sample t-test on the log-ratios new/base: logs, because a slowdown multiplies times; a
    t-test, because a rank test on the few pairs of a CI run (a signed-rank test needs 6 pairs
    to reach p < 0.05 at all) could never flag anything."""
    n = len(pairs)
    if n < 2:
        return None, f"{n} pair{'s' * (n != 1)}: spread unknown", None
    d = _differences(pairs)
    if all(x == 0 for x in d):
        # Nothing varied (same seed, same data, deterministic numbers): no test to correct for.
        return False, f"identical in all {n} pairs", None
    if pstdev(d) == 0:
        # The same change in every pair (deterministic numbers): real, whatever its size.
        return True, f"the same change in all {n} pairs", None
    p = float(st.ttest_1samp(d, 0.0).pvalue)
    return p < alpha, f"paired t p={p:.2g} ({n} pairs)", p


def rank_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Mann–Whitney p of two independent samples."""
    return float(st.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def welch_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Welch's t-test p of two independent samples (1 when degenerate: no spread, same mean)."""
    return _finite_p(st.ttest_ind(a, b, equal_var=False).pvalue)


def welch_p_from(a: Sample, b: Sample) -> float:
    """Welch's t-test p from two samples' centres, spreads and sizes alone."""
    t = st.ttest_ind_from_stats(a.center, a.std, a.n, b.center, b.std, b.n, equal_var=False)
    return _finite_p(t.pvalue)


def _finite_p(p: float) -> float:
    # A degenerate test (no spread on one side and equal centres) shows no difference.
    return float(p) if math.isfinite(p) else 1.0


# --- timings: paired rounds and where one implementation overtakes another ---------------


def paired_ratios(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """Round-by-round ratios a[i]/b[i]: each pair ran back to back, so slow spells cancel."""
    if len(a) != len(b):
        raise ValueError(f"unpaired samples: {len(a)} vs {len(b)}")
    return [x / y for x, y in zip(a, b, strict=True)]


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
