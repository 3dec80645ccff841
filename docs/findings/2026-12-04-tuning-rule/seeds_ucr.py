"""Does tuning on more seeds fix the choice on small validation splits? Tune the ten ad-hoc
UCR/UEA runs of 2026-12-04 on ``SEEDS`` tuning seeds from 1000 and again from 2000, and set
each arch's choice from the first against the second's, under today's rule
(``grubench.run.tune``). The two-seed records of ``retune_ucr.py`` (seeds 1000/1001 from the
ad-hoc page, 2000/2001 from ``retune-ucr/``) are reused: a trial's id does not depend on how
many tuning seeds the suite has, so only the further seeds run.

Run from the repository root (tuning trials only; resumable):
    python docs/findings/2026-12-04-tuning-rule/seeds_ucr.py RESULTS_DIR [SEEDS]
On the committed records (nothing runs; their per-epoch histories left out, since a choice
reads each trial's best validation loss), from docs/findings/2026-12-04-tuning-rule/:
    python seeds_ucr.py seeds-ucr 4
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

from retune_ucr import SETS, UCR, choices, records, row

from grubench.run import plan as runs

HERE = Path(__file__).parent
TWO_SEEDS = {1000: UCR, 2000: HERE / "retune-ucr"}  # where each side's first two seeds are


def tuned(name: str, first: int, seeds: int, out: Path) -> tuple[dict, dict]:
    """The suite of ``name`` tuned on ``seeds`` seeds from ``first`` as it ran, and its records
    (run here unless ``out`` holds them gzipped, as the committed copy does)."""
    source = copy.deepcopy(json.loads((UCR / name / "run.json").read_text())["suite_source"])
    source["tune"] = {**source["tune"], "seeds": seeds, "first_seed": first}
    where = out / str(first) / name
    if not (where / "trials.jsonl.gz").exists():
        if not (where / "run.json").exists():
            plan = runs.plan_new(source, where)
            runs.start(plan)
            old = [r for r in records(TWO_SEEDS[first] / name).values() if r.get("role") == "tune"]
            with (where / "trials.jsonl").open("a") as f:
                f.writelines(json.dumps(r) + "\n" for r in old)
        plan = runs.plan_resume(where)
        if any(t.role == "tune" for t in plan.todo):
            runs.execute(plan, lambda ev: None, tune_only=True)
    # The suite as it ran (the ad-hoc grid grew two steps each way then, three now).
    return json.loads((where / "run.json").read_text())["suite_source"], records(where)


def main(out: Path, seeds: int) -> None:
    rows = []
    for name in SETS:
        a_src, a_rec = tuned(name, 1000, seeds, out)
        b_src, b_rec = tuned(name, 2000, seeds, out)
        first, second = choices(a_src, a_rec), choices(b_src, b_rec)
        for arch in first:
            rows.append(row(name, arch, first[arch], second[arch]))
            r = rows[-1]
            print(f"{name:22s} {arch:4s} {r['middle'][0]:g} → {r['middle'][1]:g} "
                  f"({r['middle_apart']} apart)")  # fmt: skip
    d = [r["middle_apart"] for r in rows]
    print(
        f"{seeds} tuning seeds: {sum(x == 0 for x in d)} the same, {sum(x == 1 for x in d)} a "
        f"neighbour, {sum(x > 1 for x in d)} further, of {len(d)}"
    )
    (out / f"seeds-{seeds}.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 4)
