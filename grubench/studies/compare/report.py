"""Renderings of a comparison: a Rich table, Markdown for CI, JSON, github-action-benchmark files
and a chart of the changes against their thresholds."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.table import Table

from grubench.outputs.render import fmt
from grubench.store import atomic_write
from grubench.studies.compare.load import Comparison, RunData
from grubench.studies.compare.rows import Row, Thresholds, order, regressions

STYLE = {"regression": "bold red", "improvement": "green", "inconclusive": "yellow"}
MARK = {"regression": "❌", "improvement": "✅", "inconclusive": "❔", "unchanged": "·"}
MARK["not comparable"] = "≠"


def change_text(r: Row) -> str:
    if r.change is None:
        return "–"
    if r.kind == "failures":
        return f"{r.change:+g} trials"
    if math.isinf(r.change):
        return "from 0"
    return f"{r.change:+.1%}" + (" (norm.)" if r.normalised else "")


def threshold_text(r: Row) -> str:
    if r.kind == "failures":
        return f"> {r.threshold:g} trials"
    return f"±{r.threshold:.0%}" if r.threshold else "exact"


def value_text(x: float | None, r: Row) -> str:
    unit = "" if r.metric == "test_metric" or r.kind == "ratio" else r.unit
    return (fmt(x) + (f" {unit}" if unit else "")) if x is not None else "–"


def headline(c: Comparison) -> str:
    bad = regressions(c.rows)
    counts = {v: sum(r.verdict == v for r in c.rows) for v in MARK}
    counts["regression"] -= len(bad)  # what is left are ratio regressions, not gated
    names = {"regression": "ratio regression, not gated"}
    tail = ", ".join(f"{n} {names.get(v, v)}" for v, n in counts.items() if n)
    if bad:
        return f"❌ {len(bad)} regression{'s' * (len(bad) > 1)} ({tail})"
    return f"✅ no regression ({tail})"


def table(c: Comparison) -> Table:
    t = Table(title=f"grubench compare: {headline(c)}", title_justify="left")
    for col in ("task", "arch", "metric", "BASE", "NEW", "change", "threshold", "noise", "verdict"):
        left = col in ("task", "arch", "metric", "noise", "verdict")
        t.add_column(col, justify="left" if left else "right")
    for r in order(c.rows):
        style = STYLE.get(r.verdict, "dim" if r.verdict == "unchanged" else "")
        verdict = r.verdict + ("" if r.gates or r.verdict != "regression" else " (not gated)")
        t.add_row(
            r.task,
            r.arch,
            r.label,
            value_text(r.base, r),
            value_text(r.new, r),
            change_text(r),
            threshold_text(r),
            r.noise,
            f"[{style}]{verdict}[/]" if style else verdict,
        )
    return t


def _md_table(rows: list[Row]) -> list[str]:
    out = [
        "| task | arch | metric | BASE | NEW | change | threshold | noise | verdict |",
        "|---|---|---|--:|--:|--:|--:|---|---|",
    ]
    for r in rows:
        cells = [r.task, r.arch, r.label, value_text(r.base, r), value_text(r.new, r)]
        cells += [change_text(r), threshold_text(r), r.noise, f"{MARK[r.verdict]} {r.verdict}"]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return out


def markdown(c: Comparison, base: RunData, new: RunData) -> str:
    """Short first (headline, regressions, warnings), every row folded below."""
    lines = [f"### grubench compare: {headline(c)}", ""]
    lines.append(f"BASE `{base.path}` {_stamp(base)} → NEW `{new.path}` {_stamp(new)}  ")
    lines += [f"{n}  " for n in c.notes]
    lines.append("")
    bad = [r for r in order(c.rows) if r.verdict == "regression"]
    if bad:
        lines += ["**Regressions** (beyond threshold and beyond the runs' own noise):", ""]
        lines += _md_table(bad) + [""]
    if c.warnings:
        lines += ["**Warnings**: the runs differ in more than the code under test:", ""]
        lines += [f"- {w}" for w in c.warnings] + [""]
    lines += [f"<details><summary>All {len(c.rows)} comparisons</summary>", ""]
    lines += _md_table(order(c.rows)) + ["", "</details>", ""]
    return "\n".join(lines)


def _stamp(run: RunData) -> str:
    env = run.info.get("environment", {})
    sha = (env.get("git_sha") or "")[:8]
    parts = [p for p in (sha, run.info.get("started_at")) if p]
    return f"({', '.join(parts)})" if parts else ""


def _clean(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def to_json(c: Comparison, base: RunData, new: RunData, th: Thresholds) -> str:
    data = {
        "base": str(base.path),
        "new": str(new.path),
        "headline": headline(c),
        "regressions": len(regressions(c.rows)),
        "thresholds": asdict(th),
        "probe_seconds": list(c.probes) if c.probes else None,
        "warnings": c.warnings,
        "notes": c.notes,
        "rows": [asdict(r) for r in order(c.rows)],
    }
    return json.dumps(_clean(data), indent=2, allow_nan=False) + "\n"


def gh_benchmark(c: Comparison) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """NEW's values as github-action-benchmark entries: (customSmallerIsBetter,
    customBiggerIsBetter). Normalised times are in units of the GEMM probe."""
    smaller, bigger = [], []
    for r in c.rows:
        if r.new is None or r.kind == "failures":
            continue
        value, unit = r.new, r.unit or "count"
        if r.normalised and r.new_norm is not None:
            # Dimensionless: a time in probe durations, a rate in items per probe duration.
            value = r.new_norm
            unit = "probe times" if r.direction == "min" else f"{unit.removesuffix('/s')} per probe"
        entry = {
            "name": f"{r.task} {r.arch} {r.label}",
            "unit": unit,
            "value": value,
            "extra": f"median of {r.new_n}; raw NEW {value_text(r.new, r)}, BASE "
            f"{value_text(r.base, r)}; {r.verdict} ({r.noise})",
        }
        (smaller if r.direction == "min" else bigger).append(entry)
    return smaller, bigger


def write_gh_benchmark(c: Comparison, path: Path) -> tuple[Path, Path]:
    """FILE gets the smaller-is-better entries, FILE-bigger.SUFFIX the bigger-is-better ones."""
    smaller, bigger = gh_benchmark(c)
    other = path.with_name(f"{path.stem}-bigger{path.suffix or '.json'}")
    for p, entries in ((path, smaller), (other, bigger)):
        atomic_write(p, json.dumps(_clean(entries), indent=2, allow_nan=False) + "\n")
    return path, other


def chart(c: Comparison, path: Path) -> None:
    """Horizontal bars: each relative change (+ is worse) against its threshold band."""
    from grubench.outputs.plots import STYLE, plt, save  # matplotlib only when a chart is asked

    rows = [r for r in order(c.rows) if r.worse_by is not None and r.kind != "failures"]
    rows = [r for r in rows if math.isfinite(r.worse_by)][::-1]
    colours = {"regression": "#d62728", "improvement": "#2ca02c", "inconclusive": "#ff7f0e"}
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 0.3 * len(rows) + 1.2), layout="constrained")
        y = range(len(rows))
        worse = [100 * r.worse_by for r in rows]
        ax.barh(y, worse, color=[colours.get(r.verdict, "#999") for r in rows])
        for i, r in enumerate(rows):
            ax.plot([-100 * r.threshold, 100 * r.threshold], [i, i], "|", color="black", ms=10)
        ax.set_yticks(list(y), [f"{r.task} {r.arch} {r.label}" for r in rows], fontsize=8)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel("change NEW vs BASE (%, positive is worse); | marks the threshold")
        ax.set_title(headline(c).lstrip("❌✅ "), fontsize=9)
    save(fig, path)
