"""The learned rule (judged on validation, without the kept epoch's selection) against the same
interval rule applied to the test accuracies, for every task setting and arch in the committed
records that has no target and at least 3 runs. Prints the agreement counts and each
disagreement.

Run from the repository root: ``.venv/bin/python
docs/findings/2026-12-04-ucr-adhoc/exploration/rule_vs_test.py``.
"""

import collections
import gzip
import json
from pathlib import Path

from grubench.analysis.learned import learned, learned_by
from grubench.store import planned

counts = collections.Counter()
for path in sorted(Path("docs").glob("**/trials.jsonl.gz")):
    if "retune" in path.parts[-2]:
        continue
    with gzip.open(path, "rt") as f:
        recs = list(map(json.loads, f))
    run = path.parent / "run.json"  # finals it no longer plans stay recorded: left out
    info = json.loads(run.read_text()) if run.exists() else {}
    finals = [
        r
        for r in planned(recs, info)
        if r.get("role", "final") == "final" and r.get("status") == "ok"
    ]
    groups = collections.defaultdict(list)
    for r in finals:
        groups[r["task"], json.dumps(r.get("task_params"), sort_keys=True), r.get("layers")].append(
            r
        )
    for (task, _, _), runs in groups.items():
        archs = sorted({r["arch"] for r in runs})
        on_val = learned_by(runs, archs)
        for arch in archs:
            mine = [r for r in runs if r["arch"] == arch]
            tests = [r["test_metric"] for r in mine if r.get("test_metric") is not None]
            if mine[0].get("target") is not None or len(tests) < 3:
                continue
            first = mine[0]
            on_test = learned(
                tests, first["baseline"], first["direction"], None, first.get("learned_margin")
            )
            counts[on_val[arch], on_test] += 1
            if on_val[arch] != on_test:
                print(f"{path.parent}: {task} {arch}: validation {on_val[arch]}, test {on_test}")
for (val, test), n in sorted(counts.items()):
    print(f"validation {val}, test {test}: {n}")
