"""Re-tune the ten ad-hoc UCR/UEA runs of 2026-12-04 on tuning seeds 2000/2001 and set each
choice against the one their own tuning seeds (1000/1001) give, under both rules: the best
score (the rule before 2026-12-04) and the middle of the rates within one standard error of it
(``grubench.run.tune``). Data the rule was not designed on: it was chosen on the full claims.

Run from the repository root (tuning trials only; resumable):
    python docs/findings/2026-12-04-tuning-rule/retune_ucr.py RESULTS_DIR
RESULTS_DIR gets one folder per set (retune-2000 runs); the comparison is printed and written
to RESULTS_DIR/retune-ucr.json. On the committed records (gzipped, so nothing runs), from
docs/findings/2026-12-04-tuning-rule/: python retune_ucr.py retune-ucr
"""

from __future__ import annotations

import copy
import gzip
import json
import sys
from pathlib import Path

from grubench.config import suite_from_dict
from grubench.run import plan as runs
from grubench.run.tune import settle

HERE = Path(__file__).parent
UCR = HERE.parent / "2026-12-04-ucr-adhoc"
SETS = sorted(p.parent.name for p in UCR.glob("*/run.json") if p.parent.name != "patch-1")


def records(folder: Path) -> dict[str, dict]:
    gz, plain = folder / "trials.jsonl.gz", folder / "trials.jsonl"
    f = gzip.open(gz, "rt") if gz.exists() else plain.open()
    with f:
        return {r["trial_id"]: r for r in map(json.loads, filter(str.strip, f))}


def choices(source: dict, by_id: dict[str, dict]) -> dict:
    _, _, chosen = settle(suite_from_dict(source), by_id)
    assert chosen is not None, "tuning not finished"
    return {arch: c for (_, arch), c in chosen.items()}


def apart(a: float, b: float, grid: list[float]) -> int:
    return abs(grid.index(a) - grid.index(b))


def row(name: str, arch: str, a, b) -> dict:
    """One arch's two choices set against each other: the best and the middle, each side's."""
    grid = sorted(set(a.grid) | set(b.grid))
    return {
        "set": name,
        "arch": arch,
        "best": [a.best, b.best],
        "middle": [a.lr, b.lr],
        "best_apart": apart(a.best, b.best, grid),
        "middle_apart": apart(a.lr, b.lr, grid),
        "within": [list(a.within), list(b.within)],
        "se": [a.se, b.se],
        "edge": [a.edge, b.edge],
    }


def main(out: Path) -> None:
    rows = []
    for name in SETS:
        source = json.loads((UCR / name / "run.json").read_text())["suite_source"]
        again = copy.deepcopy(source)
        again["tune"] = {**again["tune"], "first_seed": 2000}
        where = out / name
        if not (where / "trials.jsonl.gz").exists():  # the committed records: read, never run
            resumed = (where / "run.json").exists()
            plan = runs.plan_resume(where) if resumed else runs.plan_new(again, where)
            if any(t.role == "tune" for t in plan.todo):
                runs.start(plan)
                runs.execute(plan, lambda ev: None, tune_only=True)
        first, second = choices(source, records(UCR / name)), choices(again, records(where))
        for arch in first:
            a, b = first[arch], second[arch]
            rows.append(row(name, arch, a, b))
            r = rows[-1]
            print(
                f"{name:22s} {arch:4s} best {a.best:g} → {b.best:g} ({r['best_apart']} apart); "
                f"middle {a.lr:g} → {b.lr:g} ({r['middle_apart']} apart)"
            )
    for rule in ("best", "middle"):
        d = [r[f"{rule}_apart"] for r in rows]
        print(
            f"{rule}: {sum(x == 0 for x in d)} the same, {sum(x == 1 for x in d)} a neighbour, "
            f"{sum(x > 1 for x in d)} further, of {len(d)}"
        )
    (out / "retune-ucr.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
