"""Do the full claims' decisive verdicts hang on the tuning choice? The conditions that decide
a verdict ((b) and (e): adding at T = 100; (d): a quarter of the chorales) are judged again with
each arch's final trials at every rate its tuning could not tell from the best (``within`` in
run.json), by the claims' own code: every combination of the two archs' rates, the other
experiments left at their chosen rates. The extra finals ran on another CPU than the chosen
ones, so seconds are judged only at the chosen pair; steps and metrics at every pair.

Run from the repository root (runs the missing final trials, then judges; resumable):
    python docs/findings/2026-12-04-tuning-rule/within_check.py RESULTS_DIR
RESULTS_DIR gets a copy of docs/claims/full with the extra finals; the verdicts are printed and
written to RESULTS_DIR/within-check.json. On the committed extra finals (nothing runs), from
the repository root: python docs/findings/2026-12-04-tuning-rule/within_check.py --committed
"""

from __future__ import annotations

import gzip
import itertools
import json
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from grubench.config import suite_from_dict
from grubench.run.local import run_local
from grubench.run.tune import settle
from grubench.store import append_trial, latest_per_trial, read_run, read_trials
from grubench.studies.claims.report import run_claims

HERE = Path(__file__).parent
CLAIMS = HERE.parents[1] / "claims" / "full"
COMMITTED = HERE / "within-check"
# experiment, task index, the condition's name in claims.md, the claims it decides
CHECKS = [
    ("data-jsb", 0, "chorales train_fraction=0.25", "d"),
    ("long-adding", 0, "adding length=100", "b,e"),
]


def records(folder: Path) -> list[dict]:
    out = []
    for name in ("trials.jsonl.gz", "superseded.jsonl.gz"):
        if (folder / name).exists():
            with gzip.open(folder / name, "rt") as f:
                out += [json.loads(line) for line in f if line.strip()]
    return out


def copy_claims(out: Path) -> None:
    """docs/claims/full as a results folder: plain trials.jsonl per experiment."""
    if (out / "full").exists():
        return
    shutil.copytree(CLAIMS, out / "full", ignore=shutil.ignore_patterns("*.gz", "retune-2000"))
    for exp in CLAIMS.glob("*/run.json"):
        rows = records(exp.parent)
        (out / "full" / exp.parent.name / "trials.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows)
        )


def plan(folder: Path, index: int):
    """The suite, its grids, the chosen rates and each arch's rates within one standard error,
    and the folder's latest record of every trial."""
    info = read_run(folder)
    suite = suite_from_dict(info["suite_source"])
    by_id = {r["trial_id"]: r for r in latest_per_trial(read_trials(folder)[0])}
    grids, tuning, choices = settle(suite, by_id)
    chosen = {key: c.lr for key, c in choices.items()}
    within = {arch: choices[(index, arch)].within for arch in suite.archs}
    return info, suite, grids, tuning, chosen, within, by_id


def of_task(suite, trials: list, index: int) -> list:
    """The trials of the task at ``index`` (``Suite.trials`` orders them task → seed → arch)."""
    n = suite.seeds * len(suite.archs)
    return trials[index * n : (index + 1) * n]


def extra_trials(folder: Path, index: int) -> list:
    """The finals of the task at ``index`` at every rate within one standard error that is not
    the chosen one, for each arch, that the folder has no record of."""
    _, suite, grids, _, chosen, within, by_id = plan(folder, index)
    out = []
    for arch, rates in within.items():
        for lr in rates:
            if lr != chosen[(index, arch)]:
                trials = of_task(suite, suite.trials({**chosen, (index, arch): lr}, grids), index)
                out += [t for t in trials if t.arch == arch and t.id not in by_id]
    return out


def run_extra(out: Path) -> None:
    for exp, index, _, _ in CHECKS:
        folder = out / "full" / exp
        todo = extra_trials(folder, index)
        if todo:
            print(f"{exp}: {len(todo)} final trials to run", flush=True)
            cache = tempfile.mkdtemp(prefix="grubench-data-")
            try:
                keep = lambda rec, f=folder: append_trial(f, rec)  # noqa: E731
                run_local(todo, 2, keep, lambda ev: None, cache)
            finally:
                shutil.rmtree(cache, ignore_errors=True)


def judge(out: Path) -> list[dict]:
    """Each check's claims judged at every combination of the two archs' rates: the claims'
    own judgement on the experiment's finals with the task's finals swapped for those at the
    combination (the folder, and run.json, left as they are)."""
    rows = []
    for exp, index, condition, claims in CHECKS:
        _, suite, grids, _, chosen, within, by_id = plan(out / "full" / exp, index)
        result = run_claims(out, False, claims, lambda ev: None, execute=False)
        base = result.outcomes[exp]
        mine = {t.id for t in of_task(suite, suite.trials(chosen, grids), index)}
        others = [r for r in base.records if r["trial_id"] not in mine]
        for gru, lstm in itertools.product(within["gru"], within["lstm"]):
            rates = {**chosen, (index, "gru"): gru, (index, "lstm"): lstm}
            swapped = others + [
                by_id[t.id] if t.id in mine else untimed(by_id[t.id])
                for t in of_task(suite, suite.trials(rates, grids), index)
            ]
            outcomes = {**result.outcomes, exp: replace(base, records=tuple(swapped))}
            for claim, _ in result.verdicts:
                verdict = claim.judge(outcomes)
                for f in verdict.findings:
                    if f.condition.startswith(condition):
                        rows.append(row(exp, claim.key, verdict, f, gru, lstm, chosen, index))
    return rows


def untimed(record: dict) -> dict:
    """An extra final without its seconds: it ran on another CPU than the chosen finals it is
    set against, so no time to target in seconds is judged where it takes part (the claims'
    evidence skips that unit when a record lacks it), only steps and metrics."""
    return record | {"train_seconds": None, "time_to_target_s": None}


def row(exp, key, verdict, f, gru, lstm, chosen, index) -> dict:
    return {
        "experiment": exp,
        "claim": key,
        "condition": f.condition,
        "rates": {"gru": gru, "lstm": lstm},
        "chosen": gru == chosen[(index, "gru")] and lstm == chosen[(index, "lstm")],
        "counts": f.outcome,
        "effect": f.effect,
        "p": f.p,
        "p_holm": f.p_holm,
        "learned": f.learned,
        "verdict": verdict.verdict,
    }


def table(rows: list[dict]) -> list[str]:
    """The page's table: one line per claim, condition and pair of rates."""
    lines = [
        "| claim | condition | GRU rate | LSTM rate | counts | effect | p | p (Holm) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        holm = "–" if r["p_holm"] is None else f"{r['p_holm']:.2g}"
        mark = " (chosen)" if r["chosen"] else ""
        lines.append(
            f"| ({r['claim']}) | {r['condition']} | {r['rates']['gru']:g} | "
            f"{r['rates']['lstm']:g}{mark} | {r['counts']} | {r['effect']:.3g} | "
            f"{r['p']:.2g} | {holm} |"
        )
    return lines


def main(out: Path, committed: bool) -> list[dict]:
    copy_claims(out)
    if committed:  # the extra finals as committed beside this script
        for exp, _, _, _ in CHECKS:
            rows = records(COMMITTED / exp)
            with (out / "full" / exp / "trials.jsonl").open("a") as f:
                f.writelines(json.dumps(r) + "\n" for r in rows)
    else:
        run_extra(out)
    rows = judge(out)
    print("\n".join(table(rows)))
    (out / "within-check.json").write_text(json.dumps(rows, indent=1, default=str) + "\n")
    return rows


if __name__ == "__main__":
    if sys.argv[1:] == ["--committed"]:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp), committed=True)
    else:
        main(Path(sys.argv[1]), committed=False)
