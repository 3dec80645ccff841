"""Whether an arch learned a task, and whether a run used its budget: the one rule the report,
the answers and the claims share.

Learned is judged on validation, never on the test split the comparison reports, and on a value
no choice was made by: each run's validation metric over the epochs *after* the one whose weights
were kept (their median: the epochs the stopping window watched), or the kept epoch's when it was
the run's last. The kept epoch's own value is the best of every epoch seen, and on a validation
split of a few series the best of hundreds of epochs clears any bar by selection alone (ArrowHead,
6 validation series: best accuracy 0.67–1.0 in every run, test accuracy at the trivial level).
Where the task (or the suite) sets a target, the median run must reach it; otherwise the worse
end of the 95% t-interval of the mean (the range for n ≤ 3) must beat the trivial score by the
task's ``learned_margin``, or by ``LEARN_MARGIN`` of that score when the task declares none.
Every run is scored on the same validation items, so where the metric is a proportion of them
(accuracy) their sampling error is shared and does not shrink with more seeds: the interval
adds it (Agresti–Coull, on the split's size), so that 6 validation series cannot show learning
that 500 could.

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
import scipy.stats as st

from grubench.analysis.stats import LEVEL, summarise

NOT_LEARNED = "not learned within budget"
PROPORTIONS = ("accuracy",)  # validation metrics that are a share of the split's items
LEARN_MARGIN = 0.10  # beating the trivial predictor by less than 10% of its score is not learning
FULL_BUDGET_STOPS = ("target", "steps", "epochs")


def learned(
    values: Any,
    baseline: float | None,
    direction: str,
    target: float | None = None,
    margin: float | None = None,
    items: int | None = None,
) -> bool:
    """Whether runs whose validation metrics are ``values`` learned the task: the median
    reaches ``target`` where there is one, else the worse end of the mean's interval beats the
    trivial ``baseline`` by ``margin`` (``LEARN_MARGIN`` of |baseline| when None). ``items``:
    the values are proportions of that many validation items, shared by every run."""
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
    return bool(sign * (_worse_edge(x, direction, items) - baseline) > m)


def _worse_edge(x: np.ndarray, direction: str, items: int | None) -> float:
    """The worse end of the interval of the mean of ``x``, widened by the shared sampling error
    of ``items`` validation items when the values are proportions of them."""
    s = summarise(x)
    edge = s.hi if direction == "min" else s.lo
    if not items:
        return edge
    # Agresti–Coull: a proportion of 6 of 6 still carries the error of 6 items.
    p = (s.mean * items + 2) / (items + 4)
    split_var = p * (1 - p) / (items + 4)
    worse = 1.0 if direction == "min" else -1.0
    if s.interval == "t":
        seed_var = s.std**2 / s.n
        return s.mean + worse * st.t.ppf(0.5 + LEVEL / 2, s.n - 1) * math.sqrt(seed_var + split_var)
    # The range of n ≤ 3 runs, widened by the split's normal error.
    return edge + worse * st.norm.ppf(0.5 + LEVEL / 2) * math.sqrt(split_var)


def unselected(record: dict[str, Any]) -> float | None:
    """A run's validation metric free of the choice of the kept epoch: the median over the
    epochs after it, or the kept value when it was the last (see the module's docstring)."""
    best = record.get("best_epoch")
    after = [
        e.get("val_metric")
        for e in record.get("history") or ()
        if best is not None and e.get("epoch", 0) > best
    ]
    after = [v for v in after if v is not None and math.isfinite(v)]
    return float(np.median(after)) if after else record.get("best_val_metric")


def _items(records: list[dict[str, Any]]) -> int | None:
    """The validation split's size where the validation metric is a proportion of its items."""
    if _first(records, "val_metric_name") not in PROPORTIONS:
        return None
    info = _first(records, "data_info") or {}
    if info.get("val_shared") is False:
        return None  # each seed drew its own split: the seeds' spread already holds its error
    return info.get("n_val") or None


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
            [unselected(r) for r in runs],
            baseline,
            _first(runs, "val_direction") or _first(runs, "direction") or "min",
            _first(runs, "target"),
            _first(runs, "learned_margin"),
            _items(runs),
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
