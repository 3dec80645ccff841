"""Trial records as pandas tables: one row per trial, a summary per task setting × arch, and
the paired GRU/LSTM comparisons. The numbers themselves come from ``grubench.analysis.stats``."""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import cached_property
from typing import Any

import pandas as pd

from grubench.analysis.stats import paired_test, summarise
from grubench.models.registry import ARCHS, PAIR
from grubench.store import finals_only

GROUP = ["task", "setting", "arch"]


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


NUMERIC = (
    "test_metric",
    "seconds_per_epoch",
    "throughput_seq_s",
    "peak_mem_mb",
    "peak_eval_mb",
    "params_total",
    "hidden",
    "train_seconds",
    "time_to_target_s",
    "epochs_to_target",
    "epochs_run",
    "steps_to_target",
    "steps_run",
    "baseline",
    "flops_per_step",
    "lr",
)


class Records(list):
    """Trial records that build their tables once: a report reads the same records in a dozen
    sections, and each used to rebuild the frame (settings, JSON keys) from the dicts. Built
    whole and only read: the tables are cached on first use."""

    @cached_property
    def frame(self) -> pd.DataFrame:
        return _frame_of(self)

    @cached_property
    def summary(self) -> pd.DataFrame:
        return _summary_of(self)

    @cached_property
    def finals(self) -> Records:
        kept = finals_only(self)
        return self if len(kept) == len(self) else Records(kept)


def finals(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``finals_only``, keeping a ``Records``' built frame when nothing is left out."""
    return records.finals if isinstance(records, Records) else finals_only(records)


def trials_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per trial with the scalar fields (history and nested specs left out). A copy:
    callers add their own columns."""
    if isinstance(records, Records):
        return records.frame.copy()
    return _frame_of(records)


def _frame_of(records: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [{k: v for k, v in r.items() if not isinstance(v, dict | list)} for r in records]
    df = pd.DataFrame(rows)
    for col in NUMERIC:
        df[col] = pd.to_numeric(df[col], errors="coerce") if col in df else float("nan")
    if records:
        df["setting"] = settings(records)
        df["params_key"] = [_params_key(r.get("task_params")) for r in records]
        df["lr_grid"] = [_grid(r) for r in records]
        if "lr" not in {k for r in records for k in r}:  # older records: the suite's one lr
            df["lr"] = pd.to_numeric([_spec_lr(r) for r in records], errors="coerce")
    return df


def _spec_lr(r: dict[str, Any]) -> Any:
    return ((r.get("spec") or {}).get("train") or {}).get("lr")


def _grid(r: dict[str, Any]) -> tuple[float, ...]:
    """The learning-rate grid a trial was tuned over, as numbers (empty: not tuned)."""
    grid = r.get("lr_grid")
    return tuple(float(v) for v in grid) if isinstance(grid, list | tuple) else ()


def grid_text(grid: Any) -> str:
    """A grid as the tables and summary.csv write it: rates separated by spaces."""
    return " ".join(f"{float(v):g}" for v in grid or ())


def summary(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Per task setting × arch of the final trials: test metric summary over the seeds that
    finished, the LR and its grid, convergence, sizes and costs. Failed and diverged trials are
    counted, never averaged in silently."""
    if isinstance(records, Records):
        return records.summary.copy()
    return _summary_of(records)


def _summary_of(records: list[dict[str, Any]]) -> pd.DataFrame:
    df = trials_frame(finals(records))
    if df.empty:
        return pd.DataFrame()
    # Rows in suite order (task and setting as first run, archs in registry order), not
    # completion order.
    df["_arch_rank"] = df["arch"].map({a: i for i, a in enumerate(ARCHS)}).fillna(len(ARCHS))
    df["_task_rank"] = df["task"].map({t: i for i, t in enumerate(dict.fromkeys(df["task"]))})
    df["_setting_rank"] = df["setting"].map(
        {t: i for i, t in enumerate(dict.fromkeys(df["setting"]))}
    )
    df = df.sort_values(["_task_rank", "_setting_rank", "_arch_rank"], kind="stable")
    conv = df["converged"] if "converged" in df else pd.Series(None, index=df.index)
    out = []
    for (task, setting, arch), g in df.groupby(GROUP, sort=False):
        ok = g[g["status"] == "ok"]
        s = summarise(ok["test_metric"])
        c = conv[ok.index]
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
                "metric_mean": s.mean,
                "metric_std": s.std,
                "metric_median": s.median,
                "metric_q1": s.q1,
                "metric_q3": s.q3,
                "metric_lo": s.lo,
                "metric_hi": s.hi,
                "interval": s.interval,
                "converged": int(c.eq(True).sum()),  # missing in older records: unknown
                "capped": int(c.eq(False).sum()),  # hit the cap while still improving
                "lr": ok["lr"].median(),
                "lr_grid": next((x for x in g["lr_grid"] if x), ()),
                "baseline": _first(g, "baseline"),
                "hidden": _first(ok, "hidden"),
                "params_total": _first(ok, "params_total"),
                "sec_per_epoch": ok["seconds_per_epoch"].median(),
                "throughput_seq_s": ok["throughput_seq_s"].median(),
                "peak_mem_mb": ok["peak_mem_mb"].median(),
                "peak_eval_mb": ok["peak_eval_mb"].median(),
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


def paired_frame(
    records: list[dict[str, Any]],
    column: str,
    direction: str,
    archs: tuple[str, str] = PAIR,
    by: tuple[str, ...] = ("task", "setting"),
    of_direction: bool = False,
) -> pd.DataFrame:
    """Per group in ``by``: the paired test of ``column`` between two archs, matched by
    (task, task parameters, seed); trials that are not ``ok``, tuning trials and trials without
    a partner drop out. ``of_direction``: only the tasks whose metric runs in ``direction``
    (the test metric's direction is the task's)."""
    df = trials_frame(finals(records))
    out = []
    if df.empty or column not in df:
        return pd.DataFrame(out)
    keep = (df["status"] == "ok") & df["arch"].isin(archs)
    if of_direction:
        keep &= df["direction"] == direction if "direction" in df else False
    df = df[keep]
    for key, g in df.groupby(list(by), sort=False):
        wide = g.pivot_table(
            index=["params_key", "seed"], columns="arch", values=column, aggfunc="last"
        )
        if not all(a in wide for a in archs):
            continue
        p = paired_test(wide[archs[0]], wide[archs[1]], direction, archs)
        out.append({**dict(zip(by, key, strict=True)), "measure": column, **asdict(p)})
    return pd.DataFrame(out)
