"""Time to target with censoring: a run that never reaches the target is censored at the time
it stopped, not dropped (dropping it would flatter the arch that fails more often).

Kaplan–Meier (scipy.stats.ecdf) gives the median time to target and the restricted mean up to
a horizon both archs were observed for; the log-rank test compares two archs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as st

from grubench.analysis.frames import trials_frame
from grubench.models.registry import ARCHS

RANK = {a: i for i, a in enumerate(ARCHS)}  # archs in registry order, as in the summary
UNITS = {
    "seconds": ("time_to_target_s", "train_seconds"),
    "epochs": ("epochs_to_target", "epochs_run"),
    # Optimiser steps: what the cell needs, apart from what this implementation costs here.
    "steps": ("steps_to_target", "steps_run"),
}


def observations(df: pd.DataFrame, unit: str = "seconds") -> tuple[np.ndarray, np.ndarray]:
    """(time, reached) per trial: the time to target if reached, else the time it ran."""
    hit, ran = UNITS[unit]
    reached = df[hit].notna().to_numpy()
    time = np.where(reached, df[hit].to_numpy(dtype=float), df[ran].to_numpy(dtype=float))
    return time, reached


def survival_curve(time: Any, reached: Any) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier estimate of P(target not yet reached at t): step points (t, S(t))."""
    time, reached = np.asarray(time, dtype=float), np.asarray(reached, dtype=bool)
    if not reached.any():
        return np.array([0.0]), np.array([1.0])
    data = st.CensoredData(uncensored=time[reached], right=time[~reached])
    sf = st.ecdf(data).sf
    return np.concatenate([[0.0], sf.quantiles]), np.concatenate([[1.0], sf.probabilities])


def km_median(time: Any, reached: Any) -> float:
    """Smallest t with S(t) ≤ 0.5; NaN when fewer than half the runs are known to get there."""
    t, s = survival_curve(time, reached)
    below = np.nonzero(s <= 0.5)[0]
    return float(t[below[0]]) if len(below) else math.nan


def rmst(time: Any, reached: Any, tau: float) -> float:
    """Restricted mean time to target: the area under S(t) from 0 to ``tau``."""
    t, s = survival_curve(time, reached)
    edges = np.append(np.minimum(t, tau), tau)
    return float(np.sum(s * np.diff(edges)))


def horizon(*groups: tuple[Any, Any]) -> float:
    """The restricted mean's horizon for groups of (time, reached): the longest time up to which
    every group's curve is known. A group whose longest run was censored is known only up to
    it; one whose longest run reached the target is known everywhere (nobody is left), so it
    does not shorten the horizon."""
    known, longest = [], 0.0
    for time, reached in groups:
        t, r = np.asarray(time, dtype=float), np.asarray(reached, dtype=bool)
        top = float(t.max())
        longest = max(longest, top)
        known.append(math.inf if r[t == top].all() else top)
    return min(min(known), longest)


@dataclass(frozen=True)
class TimeToTarget:
    """One group's time to target: runs, how many reached it, KM median and restricted mean."""

    n: int
    reached: int
    median: float  # NaN: not reached by half the runs within the budget
    rmst: float
    tau: float  # the horizon of rmst, shared by the archs compared
    max_time: float


def time_to_target(time: Any, reached: Any, tau: float | None = None) -> TimeToTarget:
    """Summarise censored times; ``tau`` defaults to the longest observed time."""
    time, reached = np.asarray(time, dtype=float), np.asarray(reached, dtype=bool)
    if len(time) == 0:
        return TimeToTarget(0, 0, math.nan, math.nan, math.nan, math.nan)
    tau = float(time.max()) if tau is None else tau
    return TimeToTarget(
        len(time),
        int(reached.sum()),
        km_median(time, reached),
        rmst(time, reached, tau),
        tau,
        float(time.max()),
    )


def time_to_target_frame(
    records: list[dict[str, Any]], unit: str = "seconds", archs: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Per task setting × arch, for tasks with a target: censored time-to-target summary, with
    the restricted mean over a horizon shared by all archs of the setting (``horizon``)."""
    df = trials_frame(records)
    if df.empty or "target" not in df:
        return pd.DataFrame()
    df = df[df["status"].isin(["ok", "diverged"]) & df["target"].notna()]
    if UNITS[unit][1] not in df or df[UNITS[unit][1]].isna().any():
        return pd.DataFrame()  # records older than the unit (steps came with protocol 2)
    if archs:
        df = df[df["arch"].isin(archs)]
    out = []
    for (task, setting), g in df.groupby(["task", "setting"], sort=False):
        time_all, _ = observations(g, unit)
        archs = sorted(dict.fromkeys(g["arch"]), key=lambda a: RANK.get(a, len(RANK)))
        per_arch = {a: observations(g[g["arch"] == a], unit) for a in archs}
        tau = horizon(*per_arch.values()) if len(time_all) else math.nan
        for arch, (t, r) in per_arch.items():
            row = asdict(time_to_target(t, r, tau))
            out.append({"task": task, "setting": setting, "arch": arch, "unit": unit, **row})
    return pd.DataFrame(out)


def logrank_p(records: list[dict[str, Any]], a: str, b: str, unit: str = "seconds") -> pd.DataFrame:
    """Per task setting: the log-rank p-value for arch ``a`` vs ``b`` reaching the target."""
    df = trials_frame(records)
    if df.empty or "target" not in df:
        return pd.DataFrame()
    df = df[df["status"].isin(["ok", "diverged"]) & df["target"].notna()]
    out = []
    for (task, setting), g in df.groupby(["task", "setting"], sort=False):
        obs = [observations(g[g["arch"] == arch], unit) for arch in (a, b)]
        if any(len(t) == 0 for t, _ in obs):
            continue
        out.append({"task": task, "setting": setting, "unit": unit, "p_logrank": logrank(*obs)})
    return pd.DataFrame(out)


def logrank(a: tuple[Any, Any], b: tuple[Any, Any]) -> float:
    """The log-rank p-value of two groups' (time, reached) observations."""
    if not any(np.asarray(r, dtype=bool).any() for _, r in (a, b)):
        return 1.0  # nobody reached it: no evidence of a difference
    x, y = (
        st.CensoredData(
            uncensored=np.asarray(t)[np.asarray(r, dtype=bool)],
            right=np.asarray(t)[~np.asarray(r, dtype=bool)],
        )
        for t, r in (a, b)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        p = float(st.logrank(x, y).pvalue)
    # Every event at one instant in both groups: zero variance, no difference.
    return p if math.isfinite(p) else 1.0
