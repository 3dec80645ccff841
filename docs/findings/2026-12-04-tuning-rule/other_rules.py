"""Replay other tuning rules on the committed tuning records: does any of them make the choice
survive other tuning seeds where grubench's does not (the small validation splits)?

Each pair is one (experiment or set, arch) tuned twice, on seeds 1000… and on seeds 2000…; a
rule is applied to each side's table of scores (the grid as grubench's own rule grew it) and
the two choices are set against each other: the same rate, a neighbour, or further (grid steps
in the union of both grids). Also printed, for grubench's rule: on how many pairs each side's
choice lies within the other side's one standard error of its best.

Rules: "best" (the best median score), "middle" (grubench's: the middle of the rates within
one standard error of the best, the error pooled by the median), "quadratic" (the vertex of a
quadratic in log10(rate) fitted to every seed's score, snapped to the grid), "blocked" (the
middle rule with each seed's mean over the rates taken out first: the seeds' validation splits
differ in difficulty, and a rate × seed design can remove that).

Run from the repository root: python docs/findings/2026-12-04-tuning-rule/other_rules.py
"""

from __future__ import annotations

import gzip
import json
import math
import statistics
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from scipy.stats import chi2

from grubench.config import suite_from_dict
from grubench.run.tune import Choice, _table, choose_one, settle

HERE = Path(__file__).parent
DOCS = HERE.parent.parent
UCR = HERE.parent / "2026-12-04-ucr-adhoc"  # seeds 1000/1001 of the ad-hoc runs
SEEDS = ("1000", "2000")
Table = dict[float, list[float]]
Side = dict[tuple[int, str], tuple[Table, Choice]]


def records(folder: Path) -> dict[str, dict]:
    out = {}
    for name in ("trials.jsonl.gz", "superseded.jsonl.gz"):
        if (folder / name).exists():
            with gzip.open(folder / name, "rt") as f:
                out |= {r["trial_id"]: r for r in map(json.loads, filter(str.strip, f))}
    return out


def side(folder: Path) -> Side:
    """Each (task, arch)'s table of tuning scores and grubench's choice from it."""
    suite = suite_from_dict(json.loads((folder / "run.json").read_text())["suite_source"])
    by_id = records(folder)
    grids = settle(suite, by_id)[0]
    out = {}
    for key, trials in suite.tuning(grids).items():
        c = choose_one(trials, by_id, suite.train.lr)
        out[key] = (_table(trials, by_id, c.direction, c.scored_on), c)
    return out


def pairs(first: list[Path], second: list[Path]) -> Iterator[tuple[str, Side, Side]]:
    for a, b in zip(first, second, strict=True):
        yield a.name, side(a), side(b)


def claims() -> Iterator[tuple[str, Side, Side]]:
    again = sorted((DOCS / "claims" / "full").glob("*/retune-2000"))
    return pairs([p.parent for p in again], again)


def ucr(first: Path, second: Path) -> Iterator[tuple[str, Side, Side]]:
    names = sorted(p.name for p in second.iterdir() if (p / "run.json").exists())
    return pairs([first / n for n in names], [second / n for n in names])


def best(t: Table, c: Choice) -> float:
    return c.best if c.best is not None else c.lr


def middle(t: Table, c: Choice) -> float:
    return c.lr


def quadratic(t: Table, c: Choice) -> float:
    sign = 1.0 if c.direction == "min" else -1.0
    rows = {lr: v for lr, v in t.items() if all(math.isfinite(x) for x in v)}
    if len(rows) < 3:
        return c.lr
    xs = [math.log10(lr) for lr, v in rows.items() for _ in v]
    ys = [sign * x for v in rows.values() for x in v]
    a, b, _ = np.polyfit(xs, ys, 2)
    if a <= 0:  # no minimum inside: the better end
        return best(t, c)
    return min(rows, key=lambda lr: abs(math.log10(lr) + b / (2 * a)))


def blocked(t: Table, c: Choice) -> float:
    sign = 1.0 if c.direction == "min" else -1.0
    rows = {lr: v for lr, v in t.items() if all(math.isfinite(x) for x in v)}
    seeds = len(next(iter(rows.values()))) if rows else 0
    if len(rows) < 2 or seeds < 2:
        return c.lr
    level = [statistics.fmean(v[s] for v in rows.values()) for s in range(seeds)]
    centred = {lr: [v[s] - level[s] for s in range(seeds)] for lr, v in rows.items()}
    var = statistics.median(statistics.variance(v) for v in centred.values())
    se = math.sqrt(var * (seeds - 1) / chi2.median(seeds - 1) / seeds)
    med = {lr: statistics.median(v) for lr, v in centred.items()}
    top = min(med, key=lambda lr: sign * med[lr])
    within = sorted(lr for lr in med if sign * (med[lr] - med[top]) <= se)
    k = len(within)
    if k % 2:
        return within[k // 2]
    return min(within[k // 2 - 1 : k // 2 + 1], key=lambda lr: sign * med[lr])


RULES: dict[str, Callable[[Table, Choice], float]] = {
    "best": best,
    "middle": middle,
    "quadratic": quadratic,
    "blocked": blocked,
}


def apart(rule: Callable[[Table, Choice], float], data: list) -> list[int]:
    """The same, a neighbour, further: counts over every pair."""
    counts = [0, 0, 0]
    for _, first, second in data:
        for key, (ta, ca) in first.items():
            tb, cb = second[key]
            grid = sorted(set(ta) | set(tb))
            counts[min(abs(grid.index(rule(ta, ca)) - grid.index(rule(tb, cb))), 2)] += 1
    return counts


def agree(data: list) -> tuple[int, int]:
    """Pairs whose choices each lie within the other side's one standard error of its best."""
    both = total = 0
    for _, first, second in data:
        for key, (_, ca) in first.items():
            cb = second[key][1]
            total += 1
            both += ca.lr in cb.within and cb.lr in ca.within
    return both, total


def main() -> None:
    sets = {
        "full claims, 2 tuning seeds": list(claims()),
        "ad-hoc UCR/UEA, 2 tuning seeds": list(ucr(UCR, HERE / "retune-ucr")),
        "ad-hoc UCR/UEA, 4 tuning seeds": list(ucr(*(HERE / "seeds-ucr" / s for s in SEEDS))),
    }
    print("| rule | " + " | ".join(sets) + " |")
    print("|---|" + "---|" * len(sets))
    for name, rule in RULES.items():
        cells = ["{} / {} / {}".format(*apart(rule, data)) for data in sets.values()]
        print(f"| {name} | " + " | ".join(cells) + " |")
    cells = ["{} of {}".format(*agree(data)) for data in sets.values()]
    label = "middle: each choice within the other's one standard error"
    print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
