"""Rich renderings of results: tables and the live progress display."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table


def fmt(x: Any, digits: int = 4) -> str:
    """A number for a table cell: significant digits, blanks for missing."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def summary_table(df: pd.DataFrame, title: str = "Results") -> Table:
    """One row per task × arch: metric mean ± std over seeds, size and cost."""
    t = Table(title=title, title_justify="left")
    for col, justify in [
        ("task", "left"),
        ("arch", "left"),
        ("test metric (mean ± std)", "right"),
        ("trivial", "right"),
        ("seeds", "right"),
        ("hidden", "right"),
        ("params", "right"),
        ("s/epoch", "right"),
        ("seq/s", "right"),
        ("peak MiB", "right"),
        ("to target", "right"),
    ]:
        t.add_column(col, justify=justify)
    last_task = None
    for _, r in df.iterrows():
        if last_task is not None and r["task"] != last_task:
            t.add_section()
        last_task = r["task"]
        label = r.get("setting", r["task"])
        arrow = "↓" if r["direction"] == "min" else "↑"
        metric = f"{r['metric']}{arrow} {fmt(r['metric_mean'])} ± {fmt(r['metric_std'], 2)}"
        seeds = str(r["n"])
        if r["diverged"] or r["failed"]:
            seeds += f" ({r['diverged']} div, {r['failed']} fail)"
        target = "–" if pd.isna(r["target"]) else f"{r['reached_target']}/{r['n']}"
        if r["reached_target"]:
            target += f" in {fmt(r['time_to_target_s'], 3)}s"
        t.add_row(
            label,
            r["arch"],
            metric,
            fmt(r["baseline"]),
            seeds,
            fmt(r["hidden"]),
            fmt(r["params_total"]),
            fmt(r["sec_per_epoch"], 3),
            fmt(r["throughput_seq_s"], 4),
            fmt(r["peak_mem_mb"], 3),
            target,
        )
    return t


def _verdicts(title: str, columns: dict[str, int], styles: dict[str, str], rows: Any) -> Table:
    """A table whose last column is a verdict, coloured by its first words."""
    t = Table(title=title, title_justify="left", show_lines=True)
    for col, ratio in columns.items():
        t.add_column(col, ratio=ratio, overflow="fold")
    for row in rows:
        cells = [escape(c) for c in row]
        style = styles.get(row[-1].split(" (")[0], "")
        t.add_row(*cells[:-1], f"[{style}]{cells[-1]}[/]" if style else cells[-1])
    return t


def verdict_table(rows: list[list[str]]) -> Table:
    """The claims' verdicts: claim, experiment, the conditions that decided it, verdict."""
    columns = {"claim": 2, "experiment": 2, "decided by": 5, "verdict": 2}
    styles = {"supported": "green", "contradicted": "red"}
    return _verdicts("The seed's claims against measurements", columns, styles, rows)


def reproduce_table(rows: list[list[str]]) -> Table:
    """The papers' orderings against ours: set-up, ordering, our p, holds or why not."""
    columns = {"set-up": 2, "paper's ordering": 3, "ours": 1, "verdict": 4}
    styles = {"holds": "green", "reversed": "red"}
    return _verdicts("Published results against ours", columns, styles, rows)


def size_table(rows: list[Any], gap: dict[str, float]) -> Table:
    t = Table(title="Model sizes per matching rule", title_justify="left")
    for col in ("rule", "arch", "hidden", "recurrent params", "total params", "FLOPs/step"):
        t.add_column(col, justify="left" if col in ("rule", "arch") else "right")
    for r in rows:
        t.add_row(
            r.rule,
            r.arch,
            str(r.hidden),
            f"{r.params_recurrent:,}",
            f"{r.params_total:,}",
            f"{r.flops_per_step:,}",
        )
    return t


def progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def problems_table(records: list[dict[str, Any]]) -> Table:
    """The trials that diverged or failed, each with its reason."""
    t = Table(title="Trials without a result", title_justify="left")
    for col in ("task", "arch", "seed", "status", "reason"):
        t.add_column(col)
    for r in records:
        reason = r.get("diverged_reason") if r["status"] == "diverged" else r.get("error")
        t.add_row(str(r["task"]), str(r["arch"]), str(r["seed"]), r["status"], str(reason or "–"))
    return t


def scaling_table(rows: list[Any]) -> Table:
    """Sweep wall time per worker count and the speed-up over the first count."""
    t = Table(title="Sweep wall time by workers", title_justify="left")
    for col in ("workers", "threads each", "sweeps", "median s", "range s", "speed-up (range)"):
        t.add_column(col, justify="right")
    for r in rows:
        t.add_row(
            str(r.workers),
            str(r.threads),
            str(r.n),
            f"{r.median_s:.1f}",
            f"{r.min_s:.1f}–{r.max_s:.1f}",
            f"{r.speedup:.2f}× ({r.speedup_min:.2f}–{r.speedup_max:.2f})",
        )
    return t
