"""Ours beside the papers: each published figure against our runs' interval, each published
ordering against a paired test over seeds, each reach rate with its exact interval. Pure
functions of the records, so every line of ``reproduce.md`` can be recomputed from
``trials.jsonl``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from grubench.analysis.learned import learned_by
from grubench.analysis.stats import ALPHA, Sample, paired_test, proportion_interval, summarise
from grubench.studies.claims.experiments import Sweep
from grubench.studies.reproduce.setups import Ordering, Published, Setup

HOLDS, REVERSED, NOT_SHOWN = "holds", "reversed", "not shown"


@dataclass(frozen=True)
class FigureRow:
    figure: Published
    ours: Sample  # the arch's final test metrics at the figure's setting (n = 0: none)
    unit: str  # the test metric's name
    near: bool | None  # within the set-up's tolerance of the paper (None: no number or tolerance)


@dataclass(frozen=True)
class OrderingRow:
    ordering: Ordering
    n: int
    mean_better: float
    mean_worse: float
    p: float
    p_better: float  # share of seeds where the paper's better arch is better (ties half)
    p_better_lo: float
    p_better_hi: float
    verdict: str  # HOLDS, REVERSED or NOT_SHOWN
    reason: str  # one line where it does not hold ("" when it does)


@dataclass(frozen=True)
class ReachRow:
    setting: Any
    arch: str
    reached: int
    runs: int
    lo: float
    hi: float
    steps: tuple[int, ...]  # steps to the target of the runs that reached it


@dataclass(frozen=True)
class SetupResult:
    setup: Setup
    figures: tuple[FigureRow, ...]
    orderings: tuple[OrderingRow, ...]
    reach: tuple[ReachRow, ...]
    error: str | None = None  # why it could not run (a missing data set, say)
    left_out: str = ""  # the figures and orderings at settings this mode did not run


def finals(records: Any, setup: Setup, setting: Any) -> list[dict[str, Any]]:
    """The final (not tuning) runs at one setting of the set-up's sweep."""
    param = setup.sweep.param
    return [
        r
        for r in records
        if r.get("role", "final") == "final"
        and (setting is None or param is None or r["task_params"].get(param) == setting)
    ]


def _metric(runs: list[dict[str, Any]], arch: str) -> dict[int, float]:
    return {
        r["seed"]: float(r["test_metric"])
        for r in runs
        if r["arch"] == arch and r.get("status") == "ok" and r.get("test_metric") is not None
    }


def figure_row(setup: Setup, records: Any, fig: Published) -> FigureRow:
    runs = finals(records, setup, fig.beside)
    ours = summarise(list(_metric(runs, fig.arch).values()))
    unit = next((r.get("metric") for r in runs if r.get("metric")), "")
    near = None
    if fig.value is not None and setup.tolerance is not None and ours.n:
        near = abs(ours.mean - fig.value) <= setup.tolerance
    return FigureRow(fig, ours, str(unit), near)


def ordering_row(setup: Setup, records: Any, o: Ordering) -> OrderingRow:
    runs = finals(records, setup, o.setting)
    a, b = _metric(runs, o.better), _metric(runs, o.worse)
    seeds = sorted(a.keys() & b.keys())
    direction = next((r.get("direction") for r in runs if r.get("direction")), "min")
    pt = paired_test(
        [a[s] for s in seeds], [b[s] for s in seeds], direction, (o.better, o.worse), ALPHA
    )
    verdict = HOLDS if pt.winner == o.better else REVERSED if pt.winner == o.worse else NOT_SHOWN
    reason = ""
    learned = learned_by(runs, [o.better, o.worse])
    if not pt.n:
        reason = "no paired runs"
    elif verdict != HOLDS and not any(learned.values()):
        reason = "neither arch learned the task within the budget"
    elif verdict == REVERSED:
        reason = f"ours: {o.worse} better by {abs(pt.diff):.3g} (p = {pt.p_perm:.2g})"
    elif verdict == NOT_SHOWN and pt.min_p >= ALPHA:
        reason = f"underpowered: {pt.n - pt.ties} untied pairs cannot give p < {ALPHA}"
    elif verdict == NOT_SHOWN:
        reason = f"no clear difference (p = {pt.p_perm:.2g}, {pt.n} pairs)"
    if verdict != HOLDS and pt.n and not all(learned.values()) and any(learned.values()):
        missing = ", ".join(k for k, v in learned.items() if not v)
        reason += f"; not learned by {missing}"
    return OrderingRow(
        o,
        pt.n,
        pt.mean_a,
        pt.mean_b,
        pt.p_perm,
        pt.p_a_better,
        pt.p_a_better_lo,
        pt.p_a_better_hi,
        verdict,
        reason,
    )


def reach_rows(setup: Setup, records: Any) -> list[ReachRow]:
    """Per setting and arch: how many final runs reached the target within their step budget,
    with the exact (Clopper–Pearson) interval of the rate."""
    out = []
    sweep = setup.sweep
    for value in sweep.values if sweep.param else (None,):
        runs = finals(records, setup, value)
        for arch in sweep.archs:
            mine = [r for r in runs if r["arch"] == arch and r.get("status") in ("ok", "diverged")]
            if not mine:
                continue
            steps = tuple(int(r["steps_to_target"]) for r in mine if r.get("steps_to_target"))
            k, n = len(steps), len(mine)
            out.append(ReachRow(value, arch, k, n, *proportion_interval(k, n), steps))
    return out


def judge(
    setup: Setup, records: Any, error: str | None = None, ran: Sweep | None = None
) -> SetupResult:
    """``ran``: the sweep this mode ran (default: the set-up's own); figures and orderings at
    settings it left out are named as such rather than shown as missing runs."""
    records = list(records)
    if error or not records:
        return SetupResult(setup, (), (), (), error or "not run")
    values = (ran or setup.sweep).values if setup.sweep.param else None

    def runs_at(setting: Any) -> bool:
        return values is None or setting is None or setting in values

    figures = [f for f in setup.figures if runs_at(f.beside)]
    orderings = [o for o in setup.orderings if runs_at(o.setting)]
    skipped = sorted(
        {f.beside for f in setup.figures if not runs_at(f.beside)}
        | {o.setting for o in setup.orderings if not runs_at(o.setting)}
    )
    left_out = ""
    if skipped:
        ran_at = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)
        at = ", ".join(map(str, skipped))
        left_out = (
            f"This mode ran {setup.sweep.param} = {ran_at} only: the figures and orderings at "
            f"{setup.sweep.param} = {at} are left out (the full run has them)."
        )
    return SetupResult(
        setup,
        tuple(figure_row(setup, records, f) for f in figures),
        tuple(ordering_row(setup, records, o) for o in orderings),
        tuple(reach_rows(setup, records)) if setup.reach else (),
        left_out=left_out,
    )


def interval(s: Sample) -> str:
    """``mean [lo, hi] (n)``, or "–" when there are no runs."""
    if not s.n:
        return "–"
    if math.isnan(s.lo):
        return f"{s.mean:.4g} (n = {s.n})"
    return f"{s.mean:.4g} [{s.lo:.4g}, {s.hi:.4g}] (n = {s.n})"
