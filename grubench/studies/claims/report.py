"""Run (or reuse) the claims' experiments, judge every claim, and write ``claims.md`` with its
charts. The verdicts come from studies.claims.judge; this module only gathers and presents."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grubench.analysis.frames import paired_frame
from grubench.analysis.stats import ALPHA
from grubench.analysis.verdicts import Verdict
from grubench.errors import UserError
from grubench.outputs import plots
from grubench.outputs.report import environment_line, to_html, to_markdown, write_report
from grubench.outputs.sections import Block, table
from grubench.run.local import Sink
from grubench.store import atomic_write, read_run
from grubench.studies.claims import plots as claim_plots
from grubench.studies.claims.experiments import Outcome, run_sweep
from grubench.studies.claims.judge import CLAIMS, Claim, param_ratios, sweeps


@dataclass(frozen=True)
class ClaimsResult:
    """Every judged claim with the experiments behind it, and where they live."""

    folder: Path
    verdicts: tuple[tuple[Claim, Verdict], ...]
    outcomes: dict[str, Outcome]


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
    ``out/full``), then judge each claim."""
    chosen = select(only)
    folder = Path(out) / ("quick" if quick else "full")
    defs = sweeps(quick)
    needed = list(dict.fromkeys(n for c in chosen for n in c.needs))
    outcomes = {n: run_sweep(defs[n], folder / n, on_event, execute) for n in needed}
    return ClaimsResult(folder, tuple((c, c.judge(outcomes)) for c in chosen), outcomes)


def verdict_label(v: Verdict) -> str:
    return f"{v.verdict} ({v.condition})" if v.condition else v.verdict


def evidence_text(v: Verdict, limit: int | None = None) -> str:
    fs = v.findings if limit is None else v.findings[:limit]
    more = "" if limit is None or len(v.findings) <= limit else f"; +{len(v.findings) - limit} more"
    return "; ".join(f"[{f.condition}] {f.evidence}" for f in fs) + more


def verdict_rows(result: ClaimsResult, limit: int | None = 2) -> list[list[str]]:
    """claim, experiment, evidence, verdict: the table printed and written."""
    return [
        [f"({c.key}) {c.text}", c.experiment, evidence_text(v, limit) or "–", verdict_label(v)]
        for c, v in result.verdicts
    ]


def _forest_rows(outcomes: dict[str, Outcome]) -> list[tuple[str, float, float, float, str]]:
    rows = []
    for name in ("timing-hidden", "timing-params"):
        if name not in outcomes or not outcomes[name].records:
            continue
        recs = list(outcomes[name].records)
        cond = "equal hidden" if name.endswith("hidden") else "equal params"
        for col, direction, label in (
            ("seconds_per_epoch", "min", "s/epoch"),
            ("throughput_seq_s", "max", "train seq/s"),
            ("peak_mem_mb", "min", "peak MiB"),
        ):
            for p in paired_frame(recs, col, direction).itertuples():
                if not math.isnan(p.ratio):
                    rows.append((f"{label}, {cond}", p.ratio, p.ratio_lo, p.ratio_hi, p.winner))
    return rows


def charts(result: ClaimsResult) -> list[Path]:
    """Draw the claims' charts into ``folder/plots``."""
    d = result.folder / "plots"
    out = [plots.save(claim_plots.exact_ratios(param_ratios()), d / "claim-a-c-exact.png")]
    o = result.outcomes
    forest = _forest_rows(o)
    if forest:
        fig = claim_plots.ratio_forest(forest, "Claims b, c: measured GRU/LSTM cost ratios")
        out.append(plots.save(fig, d / "claim-b-c-timing.png"))
    if "data-size" in o and o["data-size"].records:
        s = o["data-size"].sweep
        fig = claim_plots.sweep_panels(
            [(list(o["data-size"].records), s.param, s.task)], "Claim d: training-set size"
        )
        out.append(plots.save(fig, d / "claim-d-data.png"))
    long = [n for n in ("long-adding", "long-copy", "anbn") if n in o and o[n].records]
    if long:
        panels = [(list(o[n].records), o[n].sweep.param, o[n].sweep.task) for n in long]
        fig = claim_plots.sweep_panels(panels, "Claim e: long-term dependencies (equal params)")
        out.append(plots.save(fig, d / "claim-e-long.png"))
    return out


def _sweep_line(o: Outcome) -> str:
    s = o.sweep
    what = f"{s.param} ∈ {list(s.values)}" if s.param else "one setting"
    fixed = ", ".join(f"{k}={v}" for k, v in s.fixed) or "defaults"
    state = o.error or f"{len(o.records)} trials in `{o.folder.name}/`"
    return (
        f"`{s.name}`: {s.task}, {what} ({fixed}); archs {', '.join(s.archs)} matched by "
        f"{s.match} at hidden {s.hidden}; {s.seeds} seeds; ≤{s.epochs} epochs"
        + (f", target {s.target}" if s.target is not None else "")
        + (f", patience {s.patience}" if s.patience else "")
        + f"; 1 thread per trial, {s.workers} trials at once. {state}."
    )


def blocks(result: ClaimsResult, images: list[Path]) -> list[Block]:
    mode = result.folder.name
    info = next((read_run(o.folder) for o in result.outcomes.values() if o.records), {})
    trained = sum(r.get("wall_seconds") or 0 for o in result.outcomes.values() for r in o.records)
    out = [
        Block("h1", f"grubench claims ({mode})"),
        Block(
            "p",
            (environment_line(info) if info else "No training runs.")
            + f" Trial wall time in these results: {trained / 60:.1f} min.",
        ),
        table(["claim", "experiment", "evidence", "verdict"], verdict_rows(result)),
        Block(
            "p",
            "Rules (grubench/analysis/verdicts.py): a condition counts for or against a claim "
            "only when "
            f"its paired seed comparison has p < {ALPHA} (exact sign-flip permutation test; "
            "log-rank for time to target) or, for exact counts, a GRU/LSTM ratio beyond ±5%. "
            "All for: supported; none for and some against: contradicted; a mix: depends "
            "(the condition says where it holds); nothing significant: inconclusive.",
        ),
        Block("h2", "Experiments"),
    ]
    out += [Block("p", "- " + _sweep_line(o)) for o in result.outcomes.values()]
    out.append(Block("h2", "Evidence per claim"))
    for c, v in result.verdicts:
        out.append(Block("h3", f"({c.key}) {c.text}: {verdict_label(v)}"))
        rows = [[f.condition, f.outcome, f.evidence] for f in v.findings]
        out.append(table(["condition", "counts", "evidence"], rows) if rows else Block("p", "–"))
    out.append(Block("h2", "Charts"))
    out += [Block("img", str(p.relative_to(result.folder))) for p in images]
    return out


def write_claims(result: ClaimsResult) -> list[Path]:
    """claims.md and a self-contained claims.html in the mode's folder; each experiment that
    ran trials now also gets its own full report."""
    result.folder.mkdir(parents=True, exist_ok=True)
    for o in result.outcomes.values():
        if o.ran and o.records:
            write_report(o.folder)
    bs = blocks(result, charts(result))
    md, page = result.folder / "claims.md", result.folder / "claims.html"
    atomic_write(md, to_markdown(bs))
    atomic_write(page, to_html(bs, result.folder, bs[0].text))
    return [md, page]


def summary_line(result: ClaimsResult) -> dict[str, Any]:
    """Counts for the CLI's closing line."""
    ran = sum(o.ran for o in result.outcomes.values())
    total = sum(len(o.records) for o in result.outcomes.values())
    return {"ran": ran, "reused": total - ran, "folder": result.folder}
