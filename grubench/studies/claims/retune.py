"""Do the claims' learning-rate choices survive other tuning seeds?

Each experiment's tuning is run again, alone (no final trials), on tuning seeds that start at
``first_seed`` instead of 1000, with the same grid, the same growth rule and the same budget.
Each (condition, arch) choice is then set against the one the claims run made: the same rate, a
neighbour (one step apart in the union of both grids), or further. A choice that moves further
was decided by its tuning seeds, not by the arch, and a verdict that rests on it is weaker than
its p says.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from grubench.config import suite_from_dict
from grubench.errors import UserError
from grubench.outputs.report import to_markdown
from grubench.outputs.sections import Block, table
from grubench.run import plan as runs
from grubench.run.local import Sink
from grubench.run.tune import as_json, settle
from grubench.store import RUN, TRIALS, atomic_write, read_run
from grubench.studies.claims.experiments import Sweep

SAME, NEIGHBOUR, FAR = "same", "neighbour", "further"


@dataclass(frozen=True)
class Recheck:
    """One (experiment, condition, arch): its rate on the run's tuning seeds and on new ones."""

    experiment: str
    condition: str  # the swept parameter's value, or the task
    arch: str
    lr: float
    relr: float
    steps_apart: int  # in the union of both grids

    @property
    def verdict(self) -> str:
        return SAME if self.steps_apart == 0 else NEIGHBOUR if self.steps_apart == 1 else FAR


def compare(
    sweep: Sweep, first: list[dict[str, Any]], again: list[dict[str, Any]]
) -> list[Recheck]:
    """The choices of ``first`` (run.json ``tuning``) against those of ``again``."""
    tasks = sweep.source()["task"]
    redone = {(c["task_index"], c["arch"]): c for c in again}
    out = []
    for c in first:
        r = redone.get((c["task_index"], c["arch"]))
        if r is None:
            continue
        grid = sorted(set(c["grid"]) | set(r["grid"]))
        t = tasks[c["task_index"]]
        condition = f"{sweep.param} = {t[sweep.param]}" if sweep.param else t["name"]
        apart = abs(grid.index(c["lr"]) - grid.index(r["lr"]))
        out.append(Recheck(sweep.name, condition, c["arch"], c["lr"], r["lr"], apart))
    return out


def retune_sweep(
    sweep: Sweep, folder: Path, first_seed: int, on_event: Sink, execute: bool = True
) -> list[Recheck]:
    """Tune ``sweep`` again on seeds from ``first_seed`` (in ``folder``/retune-SEED, resumable)
    and compare with the choices its finished run in ``folder`` made."""
    if not read_run(folder).get("tuning"):
        raise UserError(
            f"'{folder}' holds no finished tuning of experiment {sweep.name}: "
            "run grubench claims first"
        )
    source = sweep.source()
    source["tune"] = {**source["tune"], "first_seed": first_seed}
    where = folder / f"retune-{first_seed}"
    if (where / RUN).exists():
        if read_run(where).get("suite_source") != source:
            raise UserError(f"'{where}' holds another re-tuning; remove it")
        plan = runs.plan_resume(where)
    else:
        plan = runs.plan_new(source, where)
    if execute and any(t.role == "tune" for t in plan.todo):
        runs.start(plan)
        runs.execute(plan, on_event, tune_only=True)
    # Both sets of choices from their records under today's rule, not as run.json stored them
    # when they ran: a change of the rule re-judges both alike.
    return compare(sweep, _choices(folder), _choices(where) if (where / RUN).exists() else [])


def _choices(folder: Path) -> list[dict[str, Any]]:
    """The tuning choices the records in ``folder`` settle on (empty: not settled yet)."""
    if not (folder / TRIALS).exists():
        return []
    suite = suite_from_dict(read_run(folder)["suite_source"], where=f"{folder}/{RUN}")
    by_id = {r["trial_id"]: r for r in runs.results(folder)}  # the records, read once
    _, _, choices = settle(suite, by_id)
    return as_json(choices) if choices else []


def write(rechecks: list[Recheck], folder: Path, first_seed: int) -> list[Path]:
    """retune.json and retune.md in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{**asdict(r), "verdict": r.verdict} for r in rechecks]
    js = folder / f"retune-{first_seed}.json"
    atomic_write(js, json.dumps({"first_seed": first_seed, "choices": rows}, indent=1) + "\n")
    moved = [r for r in rechecks if r.verdict == FAR]
    blocks = [
        Block("h1", f"Re-tuning the claims on tuning seeds from {first_seed}"),
        Block(
            "p",
            f"{len(rechecks)} choices re-made: "
            f"{sum(r.verdict == SAME for r in rechecks)} the same rate, "
            f"{sum(r.verdict == NEIGHBOUR for r in rechecks)} a neighbour, "
            f"**{len(moved)} further**.",
        ),
        table(
            ["experiment", "condition", "arch", "rate (seeds 1000…)", "re-tuned", "verdict"],
            [[r.experiment, r.condition, r.arch, r.lr, r.relr, r.verdict] for r in rechecks],
        ),
    ]
    md = folder / f"retune-{first_seed}.md"
    atomic_write(md, to_markdown(blocks))
    return [md, js]


def run_retune(
    out: Path, quick: bool, only: str | None, first_seed: int, on_event: Sink, execute: bool = True
) -> tuple[Path, list[Recheck]]:
    """Re-tune every experiment the selected claims need (their runs under ``out`` must be
    finished) and compare; returns the mode's folder and the rechecks."""
    from grubench.studies.claims.judge import sweeps
    from grubench.studies.claims.report import select

    folder = Path(out) / ("quick" if quick else "full")
    defs = sweeps(quick)
    needed = dict.fromkeys(n for c in select(only) for n in c.needs if n in defs)
    rechecks = []
    for name in needed:
        rechecks += retune_sweep(defs[name], folder / name, first_seed, on_event, execute)
    return folder, rechecks
