"""Would tuning on each run's unselected validation loss (the median over the epochs after the
kept one, as the learned rule scores) make the full claims' rate choices survive other tuning
seeds better than the best validation loss they use? Compares, per experiment, the choice on
tuning seeds 1000/1001 (``trials.jsonl.gz``) with the one on 2000/2001 (``retune-2000/``).
Adding is left out: its runs stop at the target, so its rates are ranked by steps to it.

Run from the repository root: ``.venv/bin/python
docs/findings/2026-12-04-ucr-adhoc/exploration/tuning_unselected.py``.
"""

import collections
import gzip
import json
import math
import statistics
from pathlib import Path

ROOT = Path("docs/claims/full")


def unselected(r):
    after = [
        e["val_loss"]
        for e in r["history"]
        if e["epoch"] > r["best_epoch"] and e.get("val_loss") is not None
    ]
    after = [v for v in after if math.isfinite(v)]
    return statistics.median(after) if after else r["best_val_loss"]


def best(r):
    return r["best_val_loss"]


def load(paths):
    return [json.loads(line) for p in paths for line in gzip.open(p, "rt")]


def choices(records, score):
    per = collections.defaultdict(lambda: collections.defaultdict(list))
    for r in records:
        if r["role"] == "tune" and r["status"] == "ok":
            per[json.dumps(r["task_params"], sort_keys=True), r["arch"]][r["lr"]].append(score(r))
    out = {}
    for key, scores in per.items():
        med = {lr: statistics.median(v) for lr, v in scores.items()}
        out[key] = (min(med, key=lambda lr: (med[lr], statistics.fmean(scores[lr]))), sorted(med))
    return out


totals = collections.Counter()
for exp in sorted(p for p in ROOT.iterdir() if (p / "retune-2000").is_dir()):
    first = load([exp / "trials.jsonl.gz"])
    if any(r.get("stop_reason") == "target" for r in first):
        continue
    again = load(sorted((exp / "retune-2000").glob("*.jsonl.gz")))
    for name, score in (("best", best), ("unselected", unselected)):
        a, b = choices(first, score), choices(again, score)
        for key in a.keys() & b.keys():
            grid = sorted(set(a[key][1]) | set(b[key][1]))
            d = abs(grid.index(a[key][0]) - grid.index(b[key][0]))
            totals[name, ("same", "neighbour")[d] if d < 2 else "further"] += 1
            totals[name, "at an edge of its grid"] += a[key][0] in (a[key][1][0], a[key][1][-1])
for key in sorted(totals):
    print(*key, totals[key])
