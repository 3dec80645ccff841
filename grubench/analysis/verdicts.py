"""Verdict rules: how findings (one per condition tested) become supported / contradicted /
inconclusive / depends. Pure functions, so every rule is tested on constructed evidence.

The rules, in order:
1. A metric condition counts only when its winner *learned* the task: with a target, the median
   seed reaches it on test; without one, the end of the mean's 95% t-interval beats the trivial
   baseline by the task's ``learned_margin``. When no arch learned, the condition reads "not
   learned within budget", counts for nothing and leaves the multiple-testing family.
2. Holm within each claim, over its decisive conditions: one counts when its Holm-adjusted p
   is below ALPHA. Context conditions (e.g. the full training set for a limited-data claim) are
   shown with their raw p and never count.
3. A condition is "underpowered" when even its smallest attainable p, times the family size,
   cannot go below ALPHA (few seeds with the exact sign-flip test).
4. A hedged claim ("may", "can") is supported by one decisive condition for it and contradicted
   only when at least two decisive conditions go against it and none is for it. An unhedged
   claim is supported when every decisive condition is for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import stats as st

from grubench.analysis.stats import ALPHA, paired_test

FOR, AGAINST, NONE = "for", "against", "none"
SUPPORTED, CONTRADICTED, INCONCLUSIVE, DEPENDS = (
    "supported",
    "contradicted",
    "inconclusive",
    "depends",
)
NOT_RUN = "not run"
NOT_LEARNED = "not learned within budget"
EQUAL_BAND = 0.05  # exact ratios within ±5% of 1 count as "the same cost"
HEDGES = ("may", "can", "might", "could")


@dataclass(frozen=True)
class Finding:
    """One test of a claim under one condition: whether it speaks for it, against it, or not.

    ``lean`` is the side the data fall on before significance (FOR/AGAINST/NONE); ``outcome`` is
    what counts after the learned rule and Holm. ``effect`` is GRU/LSTM (a ratio) for costs and
    GRU − LSTM for metrics; ``interval`` its 95% interval.
    """

    condition: str
    outcome: str
    evidence: str
    kind: str = "exact"  # exact | metric | timing
    decisive: bool = True
    lean: str = NONE
    learned: dict[str, bool] | None = None
    effect: float | None = None
    interval: tuple[float, float] | None = None
    p: float | None = None
    p_holm: float | None = None
    min_p: float | None = None
    p_gru_better: float | None = None
    p_gru_better_interval: tuple[float, float] | None = None
    underpowered: bool = False
    note: str = ""
    better: str = ""  # the arch the data favour before significance ("" when tied or exact)

    def as_dict(self) -> dict[str, Any]:
        """The claims.json form of a condition."""
        return {
            "name": self.condition,
            "kind": self.kind,
            "decisive": self.decisive,
            "counts": self.outcome,
            "learned": self.learned,
            "effect": _num(self.effect),
            "interval": None if self.interval is None else [_num(v) for v in self.interval],
            "p": _num(self.p),
            "p_holm": _num(self.p_holm),
            "p_gru_better": _num(self.p_gru_better),
            "p_gru_better_interval": None
            if self.p_gru_better_interval is None
            else [_num(v) for v in self.p_gru_better_interval],
            "underpowered": self.underpowered,
            "note": self.note,
            "evidence": self.evidence,
        }


def _num(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


@dataclass(frozen=True)
class Verdict:
    """A claim's verdict, the condition it depends on (if any), the evidence and its scope."""

    verdict: str
    condition: str
    findings: tuple[Finding, ...]
    scope: dict[str, Any] = field(default_factory=dict)


def hedged(text: str) -> bool:
    """Whether a claim only says something *may* happen."""
    return any(w in text.lower().split() for w in HEDGES)


def holm(p_values: list[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values: family-wise error control for many tests at once."""
    m = len(p_values)
    adjusted, running = [0.0] * m, 0.0
    for rank, i in enumerate(sorted(range(m), key=p_values.__getitem__)):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def adjust(findings: list[Finding]) -> list[Finding]:
    """Holm over the tested findings that can decide the claim (decisive, p known, not "not
    learned"); each then counts for its lean when its adjusted p is below ALPHA and its winner
    learned the task. Context conditions keep their raw p and count for nothing."""
    family = [
        i
        for i, f in enumerate(findings)
        if f.decisive and f.p is not None and f.note != NOT_LEARNED
    ]
    adjusted = dict(zip(family, holm([findings[i].p or 1.0 for i in family]), strict=True))
    out = []
    for i, f in enumerate(findings):
        if i not in adjusted:
            out.append(f)
            continue
        ph = adjusted[i]
        outcome, note = (f.lean if ph < ALPHA else NONE), f.note
        if outcome != NONE and f.learned is not None and not f.learned.get(f.better, False):
            outcome, note = NONE, f"{f.better.upper()} wins but did not learn the task"
        floor = f.min_p if f.min_p is not None else 0.0
        out.append(
            replace(
                f, outcome=outcome, p_holm=ph, note=note, underpowered=floor * len(family) >= ALPHA
            )
        )
    return out


def combine(findings: list[Finding], claim: str = "") -> Verdict:
    """The claim's verdict from its findings (Holm already applied; see ``adjust``)."""
    fs = tuple(findings)
    decisive = [f for f in fs if f.decisive]
    yes = [f.condition for f in decisive if f.outcome == FOR]
    no = [f.condition for f in decisive if f.outcome == AGAINST]
    if not yes and not no:
        metric = [f for f in decisive if f.kind == "metric"]
        if metric and all(f.note == NOT_LEARNED for f in metric):
            return Verdict(INCONCLUSIVE, f"{NOT_LEARNED} by either arch", fs)
        if any(f.underpowered for f in decisive):
            return Verdict(INCONCLUSIVE, "underpowered: too few seeds to reach significance", fs)
        return Verdict(INCONCLUSIVE, "no decisive condition was significant", fs)
    if hedged(claim):
        if yes and no:
            return Verdict(DEPENDS, _where(yes, no), fs)
        if yes:
            return Verdict(SUPPORTED, "holds for " + ", ".join(yes), fs)
        if len(no) >= 2:
            return Verdict(CONTRADICTED, "; ".join(no), fs)
        return Verdict(INCONCLUSIVE, f"only one decisive condition against: {no[0]}", fs)
    if len(yes) == len(decisive):
        return Verdict(SUPPORTED, "", fs)
    if not yes:
        return Verdict(CONTRADICTED, "; ".join(no) if len(no) < len(decisive) else "", fs)
    return Verdict(DEPENDS, _where(yes, no), fs)


def _where(yes: list[str], no: list[str]) -> str:
    cond = "holds for " + ", ".join(yes)
    return cond + ("; reversed for " + ", ".join(no) if no else "")


def judge(findings: list[Finding], claim: str, scope: dict[str, Any] | None = None) -> Verdict:
    """Holm, then the claim's rule; the verdict carries its scope."""
    v = combine(adjust(findings), claim)
    return replace(v, scope=scope or {})


# --- findings from evidence -------------------------------------------------------------------


def from_ratio(condition: str, lo: float, hi: float, what: str) -> Finding:
    """Exact GRU/LSTM cost ratios (params, FLOPs) over sizes, from ``lo`` to ``hi``: for "GRU
    costs less" when below 1 − band at every size, against when above 1 + band at every size."""
    if hi < 1 - EQUAL_BAND:
        outcome = FOR
    elif lo > 1 + EQUAL_BAND:
        outcome = AGAINST
    else:
        outcome = NONE
    span = f"×{lo:.3f}" if lo == hi else f"×{lo:.3f}–{hi:.3f}"
    return Finding(
        condition,
        outcome,
        f"{what} GRU/LSTM {span} (exact)",
        note=f"exact: {what} GRU/LSTM {span} over the sizes (the interval is that range)",
        lean=outcome,
        effect=math.sqrt(lo * hi),
        interval=(lo, hi),
    )


def mean_interval(values: Any, level: float = 0.95) -> tuple[float, float]:
    """Student-t interval of the mean of the finite ``values`` (the range when n ≤ 2)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return math.nan, math.nan
    if len(x) <= 2 or np.all(x == x[0]):
        return float(x.min()), float(x.max())
    lo, hi = st.t.interval(level, len(x) - 1, loc=x.mean(), scale=st.sem(x))
    return float(lo), float(hi)


def share_interval(wins: float, n: int) -> tuple[float, float]:
    """Clopper–Pearson 95% interval of P(GRU better) from ``wins`` of ``n`` pairs (ties half)."""
    if n == 0:
        return math.nan, math.nan
    ci = st.binomtest(int(round(wins)), n).proportion_ci(0.95)
    return float(ci.low), float(ci.high)


def learned(
    values: Any,
    baseline: float | None,
    direction: str,
    target: float | None = None,
    margin: float | None = None,
) -> bool:
    """Whether an arch learned the task: the median seed reaches ``target`` on test or, without
    a target, the mean's interval clears the trivial ``baseline`` by ``margin`` (0 if unset)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return False
    if target is not None:
        med = float(np.median(x))
        return med <= target if direction == "min" else med >= target
    if baseline is None or not math.isfinite(baseline):
        return False
    lo, hi = mean_interval(x)
    m = margin or 0.0
    return hi < baseline - m if direction == "min" else lo > baseline + m


def paired_finding(
    condition: str,
    gru: Any,
    lstm: Any,
    direction: str,
    favoured: str,
    what: str,
    learned_by: dict[str, bool] | None = None,
    decisive: bool = True,
) -> Finding:
    """A paired seed comparison of a test metric: GRU − LSTM with its t-interval, the exact
    sign-flip p and P(GRU better). Which side it leans to follows the better mean; whether it
    counts is decided later (``adjust``). No arch learned: it counts for nothing."""
    p = paired_test(gru, lstm, direction)
    if p.n == 0:
        return Finding(condition, NONE, f"{what}: no complete pairs", kind="metric")
    d = np.asarray(gru, dtype=float) - np.asarray(lstm, dtype=float)
    d = d[np.isfinite(d)]
    lo, hi = mean_interval(d)
    gru_better = (p.diff < 0) == (direction == "min") and p.diff != 0
    lean = NONE if p.diff == 0 else (FOR if (gru_better == (favoured == "gru")) else AGAINST)
    note = ""
    if learned_by is not None and not any(learned_by.values()):
        note = NOT_LEARNED
    ci = share_interval(p.p_a_better * p.n, p.n)
    ev = (
        f"{what} GRU {p.mean_a:.4g} vs LSTM {p.mean_b:.4g}, GRU−LSTM {p.diff:+.3g} "
        f"[{lo:.3g}, {hi:.3g}], p={p.p_perm:.3g}, n={p.n}, "
        f"P(GRU better)={p.p_a_better:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]"
    )
    if learned_by is not None:
        said = (f"{a.upper()} {'yes' if v else 'no'}" for a, v in learned_by.items())
        ev += "; learned: " + ", ".join(said)
    return Finding(
        condition,
        NONE,
        ev,
        kind="metric",
        decisive=decisive,
        lean=lean,
        learned=learned_by,
        effect=p.diff,
        interval=(lo, hi),
        p=p.p_perm,
        min_p=p.min_p,
        p_gru_better=p.p_a_better,
        p_gru_better_interval=ci,
        note=note,
        better="" if p.diff == 0 else ("gru" if gru_better else "lstm"),
    )


def ratio_finding(
    condition: str, log_ratios: Any, what: str, decisive: bool = True, kind: str = "timing"
) -> Finding:
    """GRU/LSTM cost ratios (one log-ratio per grid point or pair): geometric mean with its
    t-interval, a one-sample t-test of log ratio 0, and the share of points where GRU is
    cheaper. Cheaper GRU leans for the claim that GRUs cost less."""
    x = np.asarray(log_ratios, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return Finding(condition, NONE, f"{what}: fewer than two points", kind=kind)
    lo, hi = mean_interval(x)
    p = float(st.ttest_1samp(x, 0.0).pvalue) if np.ptp(x) > 0 else 0.0
    share = float(np.mean(x < 0) + 0.5 * np.mean(x == 0))
    ci = share_interval(share * len(x), len(x))
    ratio = math.exp(x.mean())
    lean = FOR if x.mean() < 0 else AGAINST if x.mean() > 0 else NONE
    ev = (
        f"{what} GRU/LSTM ×{ratio:.3f} [{math.exp(lo):.3f}, {math.exp(hi):.3f}] "
        f"(range ×{math.exp(x.min()):.2f}–{math.exp(x.max()):.2f}), t-test p={p:.3g}, "
        f"n={len(x)}, P(GRU cheaper)={share:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]"
    )
    return Finding(
        condition,
        NONE,
        ev,
        kind=kind,
        decisive=decisive,
        lean=lean,
        effect=ratio,
        interval=(math.exp(lo), math.exp(hi)),
        p=p,
        min_p=0.0,
        p_gru_better=share,
        p_gru_better_interval=ci,
        better="gru" if x.mean() < 0 else "lstm" if x.mean() > 0 else "",
    )
