"""Summaries of trial records as DataFrames: pure functions, no I/O.

Spread over seeds is a 95% percentile bootstrap CI of the mean; GRU vs LSTM comparisons are
paired by seed (same data, same batch order) and tested with an exact sign-flip permutation
test, with Wilcoxon's signed-rank p-value beside it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as st

from grubench.models.registry import ARCHS

KEYS = ["task", "arch"]
GROUP = ["task", "setting", "arch"]
ALPHA = 0.05
LEVEL = 0.95
N_BOOT = 4000


def _params_key(params: Any) -> str:
    return json.dumps(params or {}, sort_keys=True, default=str)


def settings(records: list[dict[str, Any]]) -> list[str]:
    """A short label per record: the task plus the task parameters that vary within this set of
    records (``adding length=100``), so a sweep's points are told apart and nothing else is."""
    values: dict[str, dict[str, set[str]]] = {}
    for r in records:
        for k, v in (r.get("task_params") or {}).items():
            values.setdefault(r["task"], {}).setdefault(k, set()).add(json.dumps(v, default=str))
    out = []
    for r in records:
        varying = values.get(r["task"], {})
        parts = [f"{k}={v}" for k, v in sorted((r.get("task_params") or {}).items())]
        parts = [p for p in parts if len(varying.get(p.split("=")[0], ())) > 1]
        out.append(" ".join([r["task"], *parts]))
    return out


def trials_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per trial with the scalar fields (history and nested specs left out)."""
    rows = [{k: v for k, v in r.items() if not isinstance(v, dict | list)} for r in records]
    df = pd.DataFrame(rows)
    for col in (
        "test_metric",
        "seconds_per_epoch",
        "throughput_seq_s",
        "peak_mem_mb",
        "params_total",
        "hidden",
        "train_seconds",
        "time_to_target_s",
        "epochs_to_target",
        "epochs_run",
        "baseline",
        "flops_per_step",
    ):
        df[col] = pd.to_numeric(df[col], errors="coerce") if col in df else float("nan")
    if records:
        df["setting"] = settings(records)
        df["params_key"] = [_params_key(r.get("task_params")) for r in records]
    return df


@dataclass(frozen=True)
class Described:
    """Mean, standard deviation and a bootstrap CI of the mean over ``n`` values."""

    n: int
    mean: float
    std: float
    lo: float
    hi: float


def bootstrap_ci(values: Any, level: float = LEVEL, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean (fixed resampling seed: the same data, the same CI)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return math.nan, math.nan
    if len(x) == 1 or np.all(x == x[0]):
        return float(x[0]), float(x[0])
    ci = st.bootstrap(
        (x,), np.mean, n_resamples=N_BOOT, confidence_level=level, method="percentile", rng=seed
    ).confidence_interval
    return float(ci.low), float(ci.high)


def describe(values: Any) -> Described:
    """n, mean, std (ddof 1) and the bootstrap CI of finite ``values``."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return Described(0, math.nan, math.nan, math.nan, math.nan)
    lo, hi = bootstrap_ci(x)
    std = float(np.std(x, ddof=1)) if len(x) > 1 else math.nan
    return Described(len(x), float(np.mean(x)), std, lo, hi)


def summary(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Per task setting × arch: test metric mean, std and CI over the seeds that finished, sizes
    and costs. Failed and diverged trials are counted, never averaged in silently."""
    df = trials_frame(records)
    if df.empty:
        return pd.DataFrame()
    # Rows in suite order (task as first run, archs in registry order), not completion order.
    df["_arch_rank"] = df["arch"].map({a: i for i, a in enumerate(ARCHS)}).fillna(len(ARCHS))
    df["_task_rank"] = df["task"].map({t: i for i, t in enumerate(dict.fromkeys(df["task"]))})
    df = df.sort_values(["_task_rank", "_arch_rank"], kind="stable")
    out = []
    if df.empty:
        return pd.DataFrame(out)
    for (task, setting, arch), g in df.groupby(GROUP, sort=False):
        ok = g[g["status"] == "ok"]
        d = describe(ok["test_metric"])
        out.append(
            {
                "task": task,
                "setting": setting,
                "arch": arch,
                "metric": _first(g, "metric"),
                "direction": _first(g, "direction"),
                "n": len(ok),
                "diverged": int((g["status"] == "diverged").sum()),
                "failed": int((g["status"] == "failed").sum()),
                "metric_mean": d.mean,
                "metric_std": d.std,
                "metric_lo": d.lo,
                "metric_hi": d.hi,
                "baseline": _first(g, "baseline"),
                "hidden": _first(ok, "hidden"),
                "params_total": _first(ok, "params_total"),
                "sec_per_epoch": ok["seconds_per_epoch"].median(),
                "throughput_seq_s": ok["throughput_seq_s"].median(),
                "peak_mem_mb": ok["peak_mem_mb"].median(),
                "target": _first(g, "target"),
                "time_to_target_s": ok["time_to_target_s"].median(),
                "reached_target": int(ok["time_to_target_s"].notna().sum()),
            }
        )
    return pd.DataFrame(out)


def _first(g: pd.DataFrame, col: str) -> Any:
    if col not in g or g[col].dropna().empty:
        return None
    return g[col].dropna().iloc[0]


# --- paired comparison ------------------------------------------------------------------------


@dataclass(frozen=True)
class Paired:
    """A paired comparison of arch ``a`` against ``b`` on one measure (diff = a − b)."""

    n: int
    mean_a: float
    mean_b: float
    diff: float
    diff_lo: float
    diff_hi: float
    ratio: float  # geometric mean of a/b over pairs (NaN unless every value is positive)
    ratio_lo: float
    ratio_hi: float
    p_perm: float  # exact two-sided sign-flip permutation test of the mean difference
    p_wilcoxon: float
    p_a_better: float  # share of pairs where a beats b (ties count half)
    min_p: float  # the smallest p-value n pairs can give: below ALPHA or no winner is possible
    winner: str  # the arch that is significantly better, or "no clear difference"


def paired_test(
    a: Any, b: Any, direction: str, names: tuple[str, str] = ("gru", "lstm"), alpha: float = ALPHA
) -> Paired:
    """Compare paired values; a winner is named only when the permutation p is below ``alpha``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    n = len(a)
    nan = math.nan
    if n == 0:
        return Paired(0, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, _NONE)
    d = a - b
    lo, hi = bootstrap_ci(d)
    ratio = ratio_lo = ratio_hi = nan
    if np.all(a > 0) and np.all(b > 0):
        logs = np.log(a / b)
        ratio = float(np.exp(logs.mean()))
        ratio_lo, ratio_hi = (float(np.exp(v)) for v in bootstrap_ci(logs))
    p_perm = _sign_flip_p(d)
    p_wil = float(st.wilcoxon(d).pvalue) if n > 1 and np.any(d != 0) else 1.0
    a_better = d < 0 if direction == "min" else d > 0
    p_a = float((a_better.sum() + 0.5 * (d == 0).sum()) / n)
    winner = _NONE
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
        p_perm,
        p_wil,
        p_a,
        min(1.0, 2.0 / 2**n),
        winner,
    )


_NONE = "no clear difference"


def _sign_flip_p(d: np.ndarray) -> float:
    """Two-sided p of the mean difference under random sign flips (exact for n ≤ 16)."""
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


def paired_frame(
    records: list[dict[str, Any]],
    column: str,
    direction: str,
    archs: tuple[str, str] = ("gru", "lstm"),
    by: tuple[str, ...] = ("task", "setting"),
) -> pd.DataFrame:
    """Per group in ``by``: the paired test of ``column`` between two archs, matched by
    (task, task parameters, seed); trials that are not ``ok`` or lack a partner drop out."""
    df = trials_frame(records)
    out = []
    if df.empty or column not in df:
        return pd.DataFrame(out)
    df = df[(df["status"] == "ok") & df["arch"].isin(archs)]
    for key, g in df.groupby(list(by), sort=False):
        wide = g.pivot_table(
            index=["params_key", "seed"], columns="arch", values=column, aggfunc="last"
        )
        if not all(a in wide for a in archs):
            continue
        p = paired_test(wide[archs[0]], wide[archs[1]], direction, archs)
        out.append({**dict(zip(by, key, strict=True)), "measure": column, **asdict(p)})
    return pd.DataFrame(out)
