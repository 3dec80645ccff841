"""Verdict rules: how findings (one per condition tested) become supported / contradicted /
inconclusive / depends. Pure functions, so every rule is tested on constructed evidence.

The rules, in order:
1. A metric condition counts only when its winner *learned* the task and its loser learned it or
   used its whole budget (grubench.analysis.learned: judged on validation). When no arch
   learned, the condition reads "not learned within budget", counts for nothing and leaves the
   multiple-testing family.
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

from grubench.analysis.learned import NOT_LEARNED, counts
from grubench.analysis.stats import ALPHA, holm

FOR, AGAINST, NONE = "for", "against", "none"
SUPPORTED, CONTRADICTED, INCONCLUSIVE, DEPENDS = (
    "supported",
    "contradicted",
    "inconclusive",
    "depends",
)
NOT_RUN = "not run"
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
    budget_used: dict[str, bool] | None = None  # per arch: every run used its whole budget
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
            "budget_used": self.budget_used,
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


def adjust(findings: list[Finding]) -> list[Finding]:
    """Holm over the tested findings that can decide the claim (decisive, p known, not "not
    learned"); each then counts for its lean when its adjusted p is below ALPHA, its winner
    learned the task and its loser learned it or used its whole budget. Context conditions keep
    their raw p and count for nothing."""
    family = [
        i
        for i, f in enumerate(findings)
        if f.decisive and f.p is not None and f.note != NOT_LEARNED
    ]
    # (A p of exactly 0, an exact test's floor on identical samples, is a p, not a missing one.)
    adjusted = dict(zip(family, holm([findings[i].p for i in family]), strict=True))
    out = []
    for i, f in enumerate(findings):
        if i not in adjusted:
            out.append(f)
            continue
        ph = adjusted[i]
        outcome, note = (f.lean if ph < ALPHA else NONE), f.note
        why = "" if f.learned is None else counts(f.better, f.learned, f.budget_used or {})
        if outcome != NONE and why:
            outcome, note = NONE, why
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
