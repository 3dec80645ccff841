"""Whether an arch learned a task, and whether a run used its budget: the one rule the report,
the answers and the claims share.

Learned is judged on validation, never on the test split the comparison reports: each run's best
validation metric (the epoch whose weights were kept) against the trivial predictor's validation
score. Where the task (or the suite) sets a target, the median run must reach it; otherwise the
worse end of the 95% t-interval of the mean (the range for n ≤ 3) must beat the trivial score by
the task's ``learned_margin``, or by ``LEARN_MARGIN`` of that score when the task declares none.

A run *used its budget* when nothing cut it short: it reached its target, stopped on patience
after leaving the trivial plateau (protocol 2 never stops on the plateau), or ran its whole step
or epoch budget. A run cut by the wall-clock safety net, one that diverged, or a protocol-1
patience stop (which could end on the plateau) did not. A comparison counts only when the winner
learned and the loser either learned or used its whole budget: a loser stopped early has not
shown what it would have learned.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from grubench.analysis.stats import summarise

NOT_LEARNED = "not learned within budget"
LEARN_MARGIN = 0.10  # beating the trivial predictor by less than 10% of its score is not learning
FULL_BUDGET_STOPS = ("target", "steps", "epochs")


def learned(
    values: Any,
    baseline: float | None,
    direction: str,
    target: float | None = None,
    margin: float | None = None,
) -> bool:
    """Whether runs whose best validation metrics are ``values`` learned the task: the median
    reaches ``target`` where there is one, else the worse end of the mean's interval beats the
    trivial ``baseline`` by ``margin`` (``LEARN_MARGIN`` of |baseline| when None)."""
    x = np.asarray([v for v in values if v is not None], dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return False
    sign = -1.0 if direction == "min" else 1.0  # positive: better
    if target is not None and math.isfinite(target):
        return bool(sign * (float(np.median(x)) - target) >= 0)
    if baseline is None or not math.isfinite(baseline):
        return False
    m = LEARN_MARGIN * abs(baseline) if margin is None else margin
    s = summarise(x)
    edge = s.hi if direction == "min" else s.lo
    return bool(sign * (edge - baseline) > m)


def used_budget(record: dict[str, Any]) -> bool:
    """Whether nothing cut this run short (see the module's docstring)."""
    if record.get("status") != "ok":
        return False
    stop = record.get("stop_reason")
    if stop in FULL_BUDGET_STOPS:
        return True
    return stop == "patience" and (record.get("protocol") or 1) >= 2


def _first(records: list[dict[str, Any]], key: str) -> Any:
    return next((r[key] for r in records if r.get(key) is not None), None)


def learned_by(records: Iterable[dict[str, Any]], archs: Iterable[str]) -> dict[str, bool]:
    """Per arch, whether its final runs in ``records`` (one task setting) learned the task, from
    what the records carry: best validation metric, the validation baseline (older records only
    have the test one: same predictor, same distribution), target, direction and margin."""
    final = [r for r in records if r.get("role", "final") == "final"]
    out = {}
    for arch in archs:
        runs = [r for r in final if r.get("arch") == arch and r.get("status") == "ok"]
        baseline = _first(runs, "val_baseline")
        if baseline is None and _first(runs, "val_metric_name") in (None, _first(runs, "metric")):
            baseline = _first(runs, "baseline")
        out[arch] = learned(
            [r.get("best_val_metric") for r in runs],
            baseline,
            _first(runs, "val_direction") or _first(runs, "direction") or "min",
            _first(runs, "target"),
            _first(runs, "learned_margin"),
        )
    return out


def budget_used_by(records: Iterable[dict[str, Any]], archs: Iterable[str]) -> dict[str, bool]:
    """Per arch, whether every one of its final runs used its whole budget."""
    final = [r for r in records if r.get("role", "final") == "final"]
    out = {}
    for arch in archs:
        runs = [r for r in final if r.get("arch") == arch]
        out[arch] = bool(runs) and all(used_budget(r) for r in runs)
    return out


def counts(winner: str, learned: dict[str, bool], budget_used: dict[str, bool]) -> str:
    """Why a comparison won by ``winner`` does not count ("" when it does): the winner did not
    learn, or the loser neither learned nor used its whole budget."""
    if not learned.get(winner, False):
        return f"{winner.upper()} wins but did not learn the task"
    losers = [a for a in learned if a != winner]
    short = [a for a in losers if not learned.get(a) and not budget_used.get(a, False)]
    if short:
        return f"{short[0].upper()} neither learned nor used its whole budget"
    return ""
