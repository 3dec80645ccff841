"""Verdict rules: how findings (one per condition tested) become supported / contradicted /
inconclusive / depends. Pure functions, so every rule is tested on constructed evidence."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from grubench.analysis.stats import ALPHA, Paired, mean_interval

FOR, AGAINST, NONE = "for", "against", "none"
SUPPORTED, CONTRADICTED, INCONCLUSIVE, DEPENDS = (
    "supported",
    "contradicted",
    "inconclusive",
    "depends",
)
NOT_RUN = "not run"
EQUAL_BAND = 0.05  # exact ratios within ±5% of 1 count as "the same cost"


@dataclass(frozen=True)
class Finding:
    """One test of a claim under one condition: whether it speaks for it, against it, or not."""

    condition: str
    outcome: str  # FOR, AGAINST or NONE
    evidence: str


@dataclass(frozen=True)
class Verdict:
    """A claim's verdict, the condition it depends on (if any) and the evidence."""

    verdict: str
    condition: str
    findings: tuple[Finding, ...]


def combine(findings: list[Finding]) -> Verdict:
    """All for: supported. None for and some against: contradicted. Some for and some not:
    depends (holds exactly where it was for). No significant finding: inconclusive."""
    fs = tuple(findings)
    yes = [f.condition for f in fs if f.outcome == FOR]
    no = [f.condition for f in fs if f.outcome == AGAINST]
    if not fs or (not yes and not no):
        return Verdict(
            INCONCLUSIVE,
            "no condition decided it: nothing significant beyond the trivial baseline",
            fs,
        )
    if yes and len(yes) == len(fs):
        return Verdict(SUPPORTED, "", fs)
    if not yes:
        return Verdict(CONTRADICTED, "; ".join(no) if len(no) < len(fs) else "", fs)
    cond = "holds for " + ", ".join(yes)
    if no:
        cond += "; reversed for " + ", ".join(no)
    return Verdict(DEPENDS, cond, fs)


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
    return Finding(condition, outcome, f"{what} GRU/LSTM {span} (exact)")


def beats_baseline(values: Any, baseline: float, direction: str) -> bool:
    """Whether the 95% interval of the mean of ``values`` lies wholly on the better side of the
    trivial predictor's score: the arch learned something the task can't give away."""
    lo, hi = mean_interval(values)
    return hi < baseline if direction == "min" else lo > baseline


def from_paired(
    condition: str,
    p: Paired,
    what: str,
    favoured: str = "gru",
    learned: dict[str, bool] | None = None,
) -> Finding:
    """A paired seed comparison: significant in favour of ``favoured`` is for the claim,
    significant the other way is against, otherwise none. With ``learned`` (arch -> beats the
    trivial baseline), a winner that doesn't beat it counts as none: it only failed less."""
    if p.n == 0:
        return Finding(condition, NONE, f"{what}: no complete pairs")
    if p.winner == favoured:
        outcome = FOR
    elif p.winner in ("gru", "lstm"):
        outcome = AGAINST
    else:
        outcome = NONE
    note = ""
    if outcome != NONE and learned is not None and not learned.get(p.winner, False):
        outcome = NONE
        note = f"; {p.winner.upper()} wins but does not beat the trivial baseline"
    ratio = "" if math.isnan(p.ratio) else f" ×{p.ratio:.3g} [{p.ratio_lo:.3g}, {p.ratio_hi:.3g}]"
    return Finding(
        condition,
        outcome,
        f"{what} GRU {p.mean_a:.4g} vs LSTM {p.mean_b:.4g}{ratio}, "
        f"p={p.p_perm:.3g}, n={p.n}, P(GRU better)={p.p_a_better:.2f} "
        f"[{p.p_a_better_lo:.2f}, {p.p_a_better_hi:.2f}]{note}",
    )


def from_logrank(
    condition: str, rmst_gru: float, rmst_lstm: float, p: float, reached: str
) -> Finding:
    """Time to target: a significant log-rank test speaks for the arch with the lower
    restricted mean time."""
    outcome = NONE
    if p < ALPHA:
        outcome = FOR if rmst_gru < rmst_lstm else AGAINST
    return Finding(
        condition,
        outcome,
        f"time to target restricted mean GRU {rmst_gru:.3g}s vs LSTM {rmst_lstm:.3g}s, "
        f"log-rank p={p:.3g}, reached {reached}",
    )
