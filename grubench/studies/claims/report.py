"""Run (or reuse) the claims' experiments, judge every claim, and write ``claims.md``,
``claims.json`` and the charts. The verdicts come from studies.claims.judge; this module only
gathers and presents."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grubench.analysis.stats import ALPHA
from grubench.analysis.verdicts import Finding, Verdict
from grubench.errors import UserError
from grubench.outputs import plots
from grubench.outputs.report import write_page, write_report
from grubench.outputs.sections import Block, table
from grubench.run.local import Sink
from grubench.studies.claims import literature
from grubench.studies.claims import plots as claim_plots
from grubench.studies.claims.experiments import Outcome, run_sweep
from grubench.studies.claims.judge import CLAIMS, SEEDS, TIMING, Claim, param_ratios, sweeps
from grubench.studies.speed import plots as speed_plots
from grubench.studies.speed.grid import load_or_run


@dataclass(frozen=True)
class ClaimsResult:
    """Every judged claim with the experiments behind it, and where they live."""

    folder: Path
    verdicts: tuple[tuple[Claim, Verdict], ...]
    outcomes: dict[str, Any]  # sweep name -> Outcome; "timing" -> the timing grid's results
    wall_seconds: float = 0.0

    @property
    def mode(self) -> str:
        return self.folder.name


def select(only: str | None) -> list[Claim]:
    """Claims named by a comma-separated list of keys (``a,b``), or all of them."""
    if not only:
        return list(CLAIMS)
    keys = [k.strip() for k in only.split(",") if k.strip()]
    known = {c.key for c in CLAIMS}
    bad = [k for k in keys if k not in known]
    if bad or not keys:
        raise UserError(f"unknown claim '{bad[0] if bad else only}' (known: {', '.join(known)})")
    return [c for c in CLAIMS if c.key in keys]


def run_claims(
    out: Path, quick: bool, only: str | None, on_event: Sink, execute: bool = True
) -> ClaimsResult:
    """Run what is missing of the selected claims' experiments under ``out/quick`` (or
    ``out/full``), timing grid first (serially, nothing else of ours running), then judge."""
    started = time.perf_counter()
    chosen = select(only)
    folder = Path(out) / ("quick" if quick else "full")
    defs = sweeps(quick)
    needed = list(dict.fromkeys(n for c in chosen for n in c.needs))
    got: dict[str, Any] = {}
    if "timing" in needed:
        grid = TIMING["quick" if quick else "full"]
        timing = load_or_run(grid, folder / "timing", execute)
        if timing is not None:
            got["timing"] = timing
    for n in needed:
        if n in defs:  # not "timing", nor an experiment this mode cuts (judge.QUICK_CUT)
            got[n] = run_sweep(defs[n], folder / n, on_event, execute)
    verdicts = tuple((c, c.judge(got)) for c in chosen)
    return ClaimsResult(folder, verdicts, got, measured_wall(got) or time.perf_counter() - started)


# A stretch this long with no trial running is a pause between invocations (a full run may be
# made in parts, sessions apart), not time the run took.
PAUSE_S = 600.0


def measured_wall(got: dict[str, Any]) -> float:
    """Wall time the results took to make, read from the results themselves (so a resumed or
    ``--no-run`` invocation reports the run, not itself): the timing grid's wall time plus the
    time from the first trial's start to the last one's end, tuning trials included, less every
    pause of more than ``PAUSE_S`` with no trial running."""
    recs = [r for o in got.values() if isinstance(o, Outcome) for r in (*o.tuning, *o.records)]
    ends = [_stamp(r.get("finished_at")) for r in recs]
    spans = sorted(
        (e - float(r.get("wall_seconds") or 0.0), e)
        for r, e in zip(recs, ends, strict=True)
        if e is not None
    )
    trained, start, end = 0.0, None, None
    for s, e in spans:
        if end is None or s - end > PAUSE_S:
            trained += 0.0 if end is None else end - start
            start, end = s, e
        else:
            end = max(end, e)
    if end is not None:
        trained += end - start
    return trained + float((got.get("timing") or {}).get("wall_seconds") or 0.0)


def _stamp(text: str | None) -> float | None:
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None


def verdict_label(v: Verdict) -> str:
    return f"{v.verdict} ({v.condition})" if v.condition else v.verdict


def decided_by(v: Verdict) -> str:
    """The decisive conditions that counted, or why none did."""
    counted = [
        f"{f.condition}: {f.outcome}" for f in v.findings if f.decisive and f.outcome != "none"
    ]
    return "; ".join(counted) or "–"


def verdict_rows(result: ClaimsResult) -> list[list[str]]:
    """claim, experiment, decided by, verdict: the table printed and written."""
    return [
        [f"({c.key}) {c.text}", c.experiment, decided_by(v), verdict_label(v)]
        for c, v in result.verdicts
    ]


def claims_json(result: ClaimsResult) -> dict[str, Any]:
    """The machine-readable verdicts: mode, seeds, wall time, and per claim its conditions."""
    return {
        "mode": result.mode,
        "seeds": SEEDS.get(result.mode),
        "wall_seconds": round(result.wall_seconds, 1),
        "alpha": ALPHA,
        "claims": [
            {
                "id": c.key,
                "text": c.text,
                "verdict": v.verdict,
                "condition": v.condition,
                "scope": v.scope,
                "conditions": [f.as_dict() for f in v.findings],
            }
            for c, v in result.verdicts
        ],
    }


def charts(result: ClaimsResult) -> list[Path]:
    """Draw the claims' charts into ``folder/plots``."""
    d = result.folder / "plots"
    out = [plots.save(claim_plots.exact_ratios(param_ratios()), d / "claim-a-c-exact.png")]
    o = result.outcomes
    if "timing" in o:
        out.append(
            plots.save(speed_plots.crossover(o["timing"]["rows"]), d / "claim-b-c-crossover.png")
        )
    for prefix, title, png in (
        ("data-", "Claim d: training-set fraction (subset per seed)", "claim-d-data.png"),
        ("long-", "Claim e: long-term dependencies (equal params)", "claim-e-long.png"),
    ):
        names = [n for n in o if n.startswith(prefix) or (prefix == "long-" and n == "anbn")]
        panels = [
            (list(o[n].records), o[n].sweep.param, o[n].sweep.task)
            for n in names
            if isinstance(o[n], Outcome) and o[n].records
        ]
        if panels:
            out.append(plots.save(claim_plots.sweep_panels(panels, title), d / png))
    return out


def _fmt(v: float | None, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}g}"


def condition_row(f: Finding) -> list[str]:
    lo_hi = f"[{_fmt(f.interval[0])}, {_fmt(f.interval[1])}]" if f.interval else ""
    share = ""
    if f.p_gru_better is not None and f.p_gru_better_interval:
        a, b = f.p_gru_better_interval
        share = f"{f.p_gru_better:.2f} [{a:.2f}, {b:.2f}]"
    learned = ", ".join(f"{k.upper()} {'yes' if v else 'no'}" for k, v in (f.learned or {}).items())
    note = "; ".join(x for x in (f.note, "underpowered" if f.underpowered else "") if x)
    return [
        f.condition,
        "yes" if f.decisive else "context",
        f.outcome,
        f"{_fmt(f.effect)} {lo_hi}".strip(),
        _fmt(f.p),
        _fmt(f.p_holm),
        share or "–",
        learned or "–",
        note or "–",
    ]


COLUMNS = ["condition", "decisive", "counts", "effect [95% CI]", "p", "p (Holm)"]
COLUMNS += ["P(GRU better) [95% CI]", "learned", "note"]
RULES = (
    "Rules (grubench/analysis/verdicts.py): a metric condition counts only when its winner "
    "learned the task, judged on validation without the choice of the kept epoch (each run's "
    "median validation score over the epochs after it: the target reached by the median run, "
    "or the runs' 95% t-interval, widened for accuracy by the validation split's sampling "
    "error, beyond the trivial predictor's score by the task's margin), and its loser learned "
    "it too or used its whole budget; when no "
    "arch learned it reads 'not learned within budget' and counts for nothing. A time-to-target "
    "condition's effect is GRU/LSTM restricted mean time to target (runs that never reached "
    "it censored where they stopped), its p the log-rank test's. p-values are Holm-adjusted "
    "within each "
    f"claim and compared with α = {ALPHA}. A hedged claim ('may') is supported by one decisive "
    "condition for it and contradicted only by two or more against it with none for it; an "
    "unhedged claim needs every decisive condition. 'underpowered': even the smallest p the "
    "design allows could not pass Holm. Effects: GRU/LSTM for costs, GRU − LSTM for metrics."
)


def blocks(result: ClaimsResult, images: list[Path]) -> list[Block]:
    out = [
        Block("h1", f"grubench claims ({result.mode})"),
        Block("p", f"Wall time {result.wall_seconds / 60:.1f} min; {SEEDS[result.mode]} seeds."),
        table(["claim", "experiment", "decided by", "verdict"], verdict_rows(result)),
        Block("p", RULES),
        Block("h2", "Evidence per claim"),
    ]
    for c, v in result.verdicts:
        out.append(Block("h3", f"({c.key}) {c.text}: {verdict_label(v)}"))
        scope = "; ".join(f"{k}: {val}" for k, val in v.scope.items())
        out.append(Block("p", f"Scope: {scope or '–'}."))
        rows = [condition_row(f) for f in v.findings]
        out.append(table(COLUMNS, rows) if rows else Block("p", "–"))
        if c.key == "e":
            out += literature.blocks()
    out.append(Block("h2", "Charts"))
    out += [Block("img", str(p.relative_to(result.folder))) for p in images]
    return out


def write_claims(result: ClaimsResult) -> list[Path]:
    """claims.md, claims.json and a self-contained claims.html in the mode's folder; each
    experiment that ran trials now also gets its own full report."""
    result.folder.mkdir(parents=True, exist_ok=True)
    for o in result.outcomes.values():
        if isinstance(o, Outcome) and o.ran and o.records:
            write_report(o.folder)
    return write_page(result.folder, "claims", blocks(result, charts(result)), claims_json(result))


def summary_line(result: ClaimsResult) -> dict[str, Any]:
    """Counts for the CLI's closing line."""
    trained = [o for o in result.outcomes.values() if isinstance(o, Outcome)]
    ran = sum(o.ran for o in trained)
    stored = sum(o.stored for o in trained)
    return {"ran": ran, "reused": stored - ran, "folder": result.folder}
