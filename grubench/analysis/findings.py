"""Findings from evidence: exact cost ratios, paired seed comparisons of a test metric, and
timing ratios, each with its effect, a 95% interval, its p-value and P(GRU better) with a
Clopper–Pearson interval. Whether a finding counts is decided in analysis.verdicts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from grubench.analysis.learned import NOT_LEARNED
from grubench.analysis.stats import (
    band_side,
    better_interval,
    mean_interval,
    one_sample_p,
    paired_test,
)
from grubench.analysis.survival import horizon, time_to_target
from grubench.analysis.verdicts import AGAINST, FOR, NONE, Finding


def from_ratio(condition: str, lo: float, hi: float, what: str) -> Finding:
    """Exact GRU/LSTM cost ratios (params, FLOPs) over sizes, from ``lo`` to ``hi``: for "GRU
    costs less" when below 1 − band at every size, against when above 1 + band at every size."""
    outcome = {"below": FOR, "above": AGAINST}.get(band_side(lo, hi), NONE)
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


def paired_finding(
    condition: str,
    gru: Any,
    lstm: Any,
    direction: str,
    favoured: str,
    what: str,
    learned_by: dict[str, bool] | None = None,
    decisive: bool = True,
    budget_used: dict[str, bool] | None = None,
) -> Finding:
    """A paired seed comparison of a test metric: GRU − LSTM with its t-interval, the exact
    sign-flip p and P(GRU better). Which side it leans to follows the better mean; whether it
    counts is decided later (``adjust``). No arch learned: it counts for nothing."""
    p = paired_test(gru, lstm, direction)
    if p.n == 0:
        return Finding(condition, NONE, f"{what}: no complete pairs", kind="metric")
    lo, hi = p.diff_lo, p.diff_hi
    gru_better = (p.diff < 0) == (direction == "min") and p.diff != 0
    lean = NONE if p.diff == 0 else (FOR if (gru_better == (favoured == "gru")) else AGAINST)
    note = ""
    if learned_by is not None and not any(learned_by.values()):
        note = NOT_LEARNED
    ci = (p.p_a_better_lo, p.p_a_better_hi)
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
        budget_used=budget_used,
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
    cheaper. It leans for the claim that GRUs cost less only when the whole interval is below
    1 − EQUAL_BAND, against only when it is above 1 + EQUAL_BAND: in between is the same cost."""
    x = np.asarray(log_ratios, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return Finding(condition, NONE, f"{what}: fewer than two points", kind=kind)
    lo, hi = mean_interval(x)
    p = one_sample_p(x)
    share = float(np.mean(x < 0) + 0.5 * np.mean(x == 0))
    ci = better_interval(int((x < 0).sum()), int((x == 0).sum()), len(x))
    ratio = math.exp(x.mean())
    # The band of "the same cost", as for exact ratios: a side only past ±5%.
    lean = {"below": FOR, "above": AGAINST}.get(band_side(math.exp(lo), math.exp(hi)), NONE)
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


def time_to_target_finding(
    condition: str,
    gru: tuple[Any, Any],
    lstm: tuple[Any, Any],
    unit: str,
    p: float,
    decisive: bool = True,
    favoured: str = "gru",
) -> Finding:
    """GRU vs LSTM time to a target, each given as (time, reached) per run: a run that never
    got there is censored where it stopped (grubench.analysis.survival). The effect is the
    ratio of restricted mean times to target up to the horizon both archs were observed for,
    ``p`` the log-rank test's; it leans for the claim that ``favoured`` gets there sooner only
    past the ±5% band."""
    tau = horizon(gru, lstm)
    g, m = time_to_target(*gru, tau), time_to_target(*lstm, tau)
    if g.reached + m.reached == 0:
        return Finding(
            condition,
            NONE,
            f"time to target in {unit}: no run of either arch reached it",
            kind="time to target",
            decisive=decisive,
        )
    ratio = g.rmst / m.rmst
    faster = {"below": "gru", "above": "lstm"}.get(band_side(ratio, ratio), "")
    lean = NONE if not faster else FOR if faster == favoured else AGAINST

    def said(t: Any) -> str:
        median = "not reached by half" if math.isnan(t.median) else f"median {t.median:.4g}"
        return f"{t.reached}/{t.n} reached, {median}"

    ev = (
        f"{unit} to target: GRU {said(g)}, LSTM {said(m)}; restricted mean to {tau:.4g} "
        f"GRU/LSTM ×{ratio:.3f}, log-rank p={p:.3g}"
    )
    return Finding(
        condition,
        NONE,
        ev,
        kind="time to target",
        decisive=decisive,
        lean=lean,
        effect=ratio,
        p=p,
        min_p=0.0,
        better="gru" if ratio < 1 else "lstm" if ratio > 1 else "",
    )
