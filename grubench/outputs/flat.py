"""Flat CSV views of a results folder, for spreadsheets and a plain ``pd.read_csv``:
``trials.csv`` (one row per trial) and ``history.csv`` (long: one row per trial and epoch).

``trials.jsonl`` stays the record of truth; these are re-made from it by every finish.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from grubench.analysis.frames import settings
from grubench.store import atomic_write

# spec repeats the top-level fields; history has a file of its own
LEFT_OUT = ("spec", "history")
KEYS = ("trial_id", "task", "setting", "arch", "seed")  # the first columns of both files


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts become ``outer.inner`` columns; lists become JSON text in one cell."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, f"{name}."))
        elif isinstance(v, list | tuple):
            out[name] = json.dumps(v)
        else:
            out[name] = v
    return out


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    first = [c for c in KEYS if c in df.columns]
    return df[first + [c for c in df.columns if c not in first]]


def trials_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per trial: every scalar field, nested ones as ``a.b`` columns."""
    labels = settings(records) if records else []
    rows = []
    for r, setting in zip(records, labels, strict=True):
        row = flatten({k: v for k, v in r.items() if k not in LEFT_OUT})
        rows.append({**row, "setting": setting})
    return _frame(rows)


def history_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per trial and epoch: the trial's keys, then the epoch's numbers (``val.NAME``
    for each validation metric; ``seconds`` is training time so far, ``wall`` wall time)."""
    labels = settings(records) if records else []
    rows = []
    for r, setting in zip(records, labels, strict=True):
        head = {k: r.get(k) for k in KEYS if k != "setting"} | {"setting": setting}
        rows += [head | flatten(epoch) for epoch in r.get("history") or []]
    return _frame(rows)


def write_flat(out: Path, records: list[dict[str, Any]]) -> tuple[Path, Path]:
    """Write ``trials.csv`` and ``history.csv`` into ``out`` (atomically, like every result)."""
    paths = (out / "trials.csv", out / "history.csv")
    for path, table in zip(paths, (trials_table(records), history_table(records)), strict=True):
        atomic_write(path, table.to_csv(index=False))
    return paths
