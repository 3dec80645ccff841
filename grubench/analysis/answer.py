"""The answer per task setting: the arch that wins the paired comparison on the test metric, or
why none can be named. A winner needs all of: no run cut by the wall-clock safety net (a
seconds cap measures the kernel, not the cell), the winner learned the task and the loser learned
it or used its whole budget (grubench.analysis.learned, judged on validation), enough pairs for
the test to reach α, and a significant difference. A run that ended at its budget (steps or
epochs, the same for both archs) while still improving is evidence of what the cell learns in
that many steps: it counts, and the answer says how many ended so. Records that predate
``converged`` leave convergence unknown."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from grubench.analysis.frames import finals, paired_frame, trials_frame
from grubench.analysis.learned import NOT_LEARNED, budget_used_by, counts, learned_by
from grubench.analysis.stats import ALPHA, NO_WINNER, Paired, paired_test
from grubench.models.registry import PAIR

CUT, UNDERPOWERED = "cut by wall time", "underpowered"
# The loser neither learned nor used its whole budget: it was stopped before it showed what it
# would learn, so the comparison says nothing yet.
SHORT = "the other arch stopped short"
# Every run of both archs stopped because it reached the target: their test metrics are where
# each stopped, not how good each can get, so the pair is compared on time to target instead.
SOLVED = "both solved; no clear difference in time to target"
NO_PAIRS = "no complete pairs"
CAPS = ("epochs", "steps", "seconds")  # stop reasons that mean a cap ended training


@dataclass(frozen=True)
class Answer:
    """One task setting's verdict: ``winner`` (an arch) or ``reason`` why there is none, with
    the evidence it rests on."""

    task: str
    setting: str
    archs: tuple[str, str]
    winner: str | None
    reason: str  # "" when there is a winner
    paired: Paired | None
    metric: str
    baseline: float | None
    target: float | None
    alpha: float
    better: str | None = None  # the arch with the better mean, significant or not
    runs: dict[str, int] = field(default_factory=dict)  # arch -> runs
    # arch -> runs that ended at their (equal) budget while still improving: they count
    capped: dict[str, int] = field(default_factory=dict)
    cut: dict[str, int] = field(default_factory=dict)  # arch -> runs cut by the seconds net
    diverged: dict[str, int] = field(default_factory=dict)  # arch -> runs that diverged
    unknown: dict[str, int] = field(default_factory=dict)  # arch -> runs with no `converged`
    unknown_at_cap: int = 0  # of those, runs whose stop reason was the cap
    learned: dict[str, bool] = field(default_factory=dict)  # judged on validation
    budget_used: dict[str, bool] = field(default_factory=dict)  # every run used its budget
    compared: str = ""  # what ``paired`` compares, when not the test metric


def answers(
    records: list[dict[str, Any]], archs: tuple[str, str] = PAIR, alpha: float = ALPHA
) -> list[Answer]:
    """One Answer per task setting that ran both archs (tuning trials left out), in suite
    order."""
    recs = finals(records)
    df = trials_frame(recs)
    if df.empty:
        return []
    if "converged" not in df:
        df["converged"] = None
    paired = _paired(recs, archs)
    by_setting: dict[str, list[dict[str, Any]]] = {}
    for r, setting in zip(recs, df["setting"], strict=True):
        by_setting.setdefault(setting, []).append(r)
    return [
        _answer(task, setting, g, by_setting[setting], paired.get(setting), archs, alpha)
        for (task, setting), g in df.groupby(["task", "setting"], sort=False)
        if set(archs) <= set(g["arch"])
    ]


def _paired(recs: list[dict[str, Any]], archs: tuple[str, str]) -> dict[str, Paired]:
    """Each setting's paired test of the test metric, in its task's direction."""
    out = {}
    for d in dict.fromkeys(r.get("direction") for r in recs if r.get("direction")):
        df = paired_frame(recs, "test_metric", d, archs, of_direction=True)
        for row in df.itertuples():
            out[row.setting] = Paired(**{k: getattr(row, k) for k in Paired.__dataclass_fields__})
    return out


def _answer(
    task: str,
    setting: str,
    g: pd.DataFrame,
    recs: list[dict[str, Any]],
    p: Paired | None,
    archs: tuple[str, str],
    alpha: float,
) -> Answer:
    baseline, target = _num(g, "baseline"), _num(g, "target")
    by = {a: g[g["arch"] == a] for a in archs}
    stop = g["stop_reason"] if "stop_reason" in g else pd.Series(None, index=g.index)
    a = Answer(
        task=task,
        setting=setting,
        archs=archs,
        winner=None,
        reason=NO_PAIRS,
        paired=p,
        metric=_first(g, "metric") or "metric",
        baseline=baseline,
        target=target,
        alpha=alpha,
        runs={k: len(v) for k, v in by.items()},
        # A diverged run was not cut off while improving: it is counted as diverged (older
        # records wrote converged = False for it, so the status decides, not the flag).
        capped={
            k: int((v["converged"].eq(False) & v["status"].eq("ok")).sum()) for k, v in by.items()
        },
        diverged={k: int(v["status"].eq("diverged").sum()) for k, v in by.items()},
        cut={
            k: int((stop[v.index].eq("seconds") & v["status"].eq("ok")).sum())
            for k, v in by.items()
        },
        unknown={
            k: int((v["converged"].isna() & v["status"].eq("ok")).sum()) for k, v in by.items()
        },
        unknown_at_cap=int(stop[g["converged"].isna() & g["status"].eq("ok")].isin(CAPS).sum()),
        learned=learned_by(recs, archs),
        budget_used=budget_used_by(recs, archs),
    )
    if p is None or p.n == 0:
        return a
    if len(stop) and stop.eq("target").all():
        return _on_time_to_target(a, g, archs, alpha)
    # Pairs exist only for records that carry a direction (``_paired``).
    direction = str(_first(g, "direction"))
    better = p.winner if p.winner != NO_WINNER else _better_mean(p, archs, direction)
    a = replace(a, better=better)
    if any(a.cut.values()):
        return replace(a, reason=CUT)
    if better is not None and not a.learned[better]:
        return replace(a, reason=NOT_LEARNED)
    if better is not None and counts(better, a.learned, a.budget_used):
        return replace(a, reason=SHORT)
    if p.winner != NO_WINNER:
        return replace(a, winner=p.winner, reason="")
    if p.min_p >= alpha and p.ties < p.n:  # every pair tied: no difference, not too few
        return replace(a, reason=UNDERPOWERED)
    return replace(a, reason=NO_WINNER)


def _on_time_to_target(a: Answer, g: pd.DataFrame, archs: tuple[str, str], alpha: float) -> Answer:
    """Every run reached the target: seconds to target, paired by seed (none censored, so a
    plain paired test applies); a winner only when it is significantly faster."""
    t = g.pivot_table(index="seed", columns="arch", values="time_to_target_s").dropna()
    p = paired_test(t[archs[0]], t[archs[1]], "min", archs, alpha)
    what = "seconds to target"
    if p.winner != NO_WINNER:
        return replace(a, winner=p.winner, reason="", paired=p, compared=what, better=p.winner)
    return replace(a, reason=SOLVED, paired=p, compared=what)


def _first(g: pd.DataFrame, col: str) -> str | None:
    v = g[col].dropna() if col in g else ()
    return str(v.iloc[0]) if len(v) else None


def _num(g: pd.DataFrame, col: str) -> float | None:
    v = pd.to_numeric(g[col], errors="coerce").dropna() if col in g else ()
    return float(v.iloc[0]) if len(v) else None


def _better_mean(p: Paired, archs: tuple[str, str], direction: str) -> str | None:
    if p.diff == 0 or math.isnan(p.diff):
        return None
    return archs[0] if (p.diff < 0) == (direction == "min") else archs[1]
