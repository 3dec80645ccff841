"""Summaries of trial records as DataFrames: pure functions, no I/O."""

from __future__ import annotations

from typing import Any

import pandas as pd

from grubench.archs import ARCHS

KEYS = ["task", "arch"]


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
        "baseline",
    ):
        if col not in df:
            df[col] = float("nan")
    return df


def summary(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Per task × arch: test metric mean and std over the seeds that finished, sizes and costs.

    Failed and diverged trials are counted, never averaged in silently."""
    df = trials_frame(records)
    if df.empty:
        return pd.DataFrame()
    # Rows in suite order (task as first run, archs in registry order), not completion order.
    df["_arch_rank"] = df["arch"].map({a: i for i, a in enumerate(ARCHS)}).fillna(len(ARCHS))
    df["_task_rank"] = df["task"].map({t: i for i, t in enumerate(dict.fromkeys(df["task"]))})
    df = df.sort_values(["_task_rank", "_arch_rank"], kind="stable")
    out = []
    for (task, arch), g in df.groupby(KEYS, sort=False):
        ok = g[g["status"] == "ok"]
        out.append(
            {
                "task": task,
                "arch": arch,
                "metric": _first(g, "metric"),
                "direction": _first(g, "direction"),
                "n": len(ok),
                "diverged": int((g["status"] == "diverged").sum()),
                "failed": int((g["status"] == "failed").sum()),
                "metric_mean": ok["test_metric"].mean(),
                "metric_std": ok["test_metric"].std(ddof=1) if len(ok) > 1 else float("nan"),
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
