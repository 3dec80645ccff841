"""The modern suite's tables, from the committed records: selective-copy accuracy per cell and
layer count beside Feng et al. 2024, and steps to target on adding and copy.

Run from the repository root: python docs/findings/2026-12-04-modern/tables.py
"""

from __future__ import annotations

import gzip
import json
import math
import sys
from pathlib import Path

import numpy as np

from grubench.analysis.frames import trials_frame
from grubench.analysis.learned import learned_by
from grubench.analysis.survival import horizon, observations, time_to_target
from grubench.store import planned

HERE = Path(__file__).parent
CELLS = ("gru", "lstm", "mingru-seq", "minlstm-seq")
NAMES = {"gru": "nn.GRU", "lstm": "nn.LSTM", "mingru-seq": "minGRU", "minlstm-seq": "minLSTM"}
# Feng et al. 2024, selective copying, test accuracy (%) by layers: mean ± spread
FENG = {
    ("mingru-seq", 1): "37.0 ± 2.3",
    ("mingru-seq", 2): "96.8 ± 3.2",
    ("mingru-seq", 3): "99.5 ± 0.2",
    ("minlstm-seq", 1): "37.6 ± 2.0",
    ("minlstm-seq", 2): "85.7 ± 5.8",
    ("minlstm-seq", 3): "96.0 ± 2.8",
}


def load(folder: Path) -> list[dict]:
    """The records of the trials the folder's run plans (finals at a rate the tuning rule no
    longer chooses stay in the file, unplanned)."""
    gz, plain = folder / "trials.jsonl.gz", folder / "trials.jsonl"
    if gz.exists():
        with gzip.open(gz, "rt") as f:
            recs = [json.loads(line) for line in f]
    else:
        recs = [json.loads(line) for line in plain.read_text().splitlines() if line.strip()]
    return planned(recs, json.loads((folder / "run.json").read_text()))


def finals(recs: list[dict], task: str, arch: str) -> list[dict]:
    return [
        r
        for r in recs
        if r["role"] == "final" and r["status"] == "ok" and r["task"] == task and r["arch"] == arch
    ]


def still_rising(r: dict) -> bool:
    """Ended on its step budget, not on patience: still improving over its last window (the
    report's "stopped at the cap while still improving")."""
    return r.get("converged") is False


def selective_rows(root: Path) -> list[list[str]]:
    rows = []
    for layers in (1, 2, 3):
        folder = root / f"sc-l{layers}"
        if not folder.exists():
            continue
        recs = load(folder)
        for arch in CELLS:
            runs = finals(recs, "selective-copy", arch)
            if not runs:
                continue
            acc = np.array([r["test_metrics"]["accuracy"] for r in runs]) * 100
            seq = np.array([r["test_metrics"]["seq_acc"] for r in runs]) * 100
            learned = learned_by(runs, [arch])[arch]
            sd = f" ± {acc.std(ddof=1):.1f}" if len(acc) > 1 else ""
            rows.append(
                [
                    NAMES[arch],
                    str(layers),
                    f"{runs[0]['lr']:g}",
                    str(len(runs)),
                    f"{acc.mean():.1f}{sd}",
                    f"{acc.min():.1f}–{acc.max():.1f}",
                    f"{seq.mean():.1f}",
                    "yes" if learned else "no",
                    f"{sum(map(still_rising, runs))}/{len(runs)}",
                    f"{runs[0]['baseline'] * 100:.1f}",
                    FENG.get((arch, layers), "not reported"),
                ]
            )
    return rows


def target_rows(root: Path, step_ms: dict[tuple[str, str], float]) -> list[list[str]]:
    folder = root / "adding-copy"
    if not folder.exists():
        return []
    recs = load(folder)
    rows = []
    for task in ("adding", "copy"):
        ok = [r for r in recs if r["role"] == "final" and r["status"] == "ok" and r["task"] == task]
        if not ok:
            continue
        df = trials_frame(ok)
        per = {
            a: observations(df[df["arch"] == a], "steps") for a in CELLS if (df["arch"] == a).any()
        }
        tau = horizon(*per.values())
        for arch, (t, reached) in per.items():
            s = time_to_target(t, reached, tau)
            runs = finals(ok, task, arch)
            metric = np.array([r["test_metric"] for r in runs])
            ms = step_ms.get((arch, task))
            secs = "" if ms is None or math.isnan(s.median) else f"{s.median * ms / 1000:.0f}"
            rows.append(
                [
                    task,
                    NAMES[arch],
                    f"{runs[0]['lr']:g}",
                    f"{s.reached}/{s.n}",
                    "not reached by half" if math.isnan(s.median) else f"{s.median:.0f}",
                    f"{s.rmst:.0f} (τ = {s.tau:.0f})",
                    "" if ms is None else f"{ms:.1f}",
                    secs,
                    f"{np.median(metric):.4f}",
                ]
            )
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def step_costs(root: Path) -> dict[tuple[str, str], float]:
    """Median training-step milliseconds per (arch, task) from ``speed-TASK/speed.csv``."""
    import pandas as pd

    out = {}
    for task in ("adding", "copy"):
        path = root / f"speed-{task}" / "speed.csv"
        if path.exists():
            df = pd.read_csv(path)
            for r in df[df["measure"] == "train"].itertuples():
                out[(r.label, task)] = float(r.median_ms)
    return out


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    print(
        table(
            [
                "cell",
                "layers",
                "rate",
                "runs",
                "token accuracy % (mean ± sd)",
                "range",
                "sequences all right %",
                "learned",
                "at the budget, still improving",
                "trivial %",
                "Feng et al. 2024 (%)",
            ],
            selective_rows(root),
        )
    )
    print()
    print(
        table(
            [
                "task",
                "cell",
                "rate",
                "reached target",
                "KM median steps",
                "restricted mean steps",
                "ms a step (alone)",
                "median seconds",
                "median test metric",
            ],
            target_rows(root, step_costs(root)),
        )
    )
