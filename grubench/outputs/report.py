"""``report.md``, a self-contained ``report.html`` and ``plots/`` for a results folder.

A report is a list of blocks (heading, paragraph, table, image) emitted twice, as Markdown and
as HTML with the images inlined; everything in it comes from the records, so re-running it on
the same folder writes the same bytes.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from grubench.analysis.stats import ALPHA, paired_frame, summary, trials_frame
from grubench.analysis.survival import logrank_p, time_to_target_frame
from grubench.outputs import plots
from grubench.outputs.render import fmt
from grubench.store import atomic_write, latest_per_trial, read_run, read_trials


@dataclass(frozen=True)
class Block:
    """One piece of a report: kind is h1, h2, h3, p, table or img."""

    kind: str
    text: str = ""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


def table(headers: list[str], rows: list[list[Any]]) -> Block:
    return Block("table", headers=tuple(headers), rows=tuple(tuple(map(str, r)) for r in rows))


def to_markdown(blocks: list[Block]) -> str:
    out = []
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append("#" * int(b.kind[1]) + " " + b.text)
        elif b.kind == "p":
            out.append(b.text)
        elif b.kind == "img":
            out.append(f"![{Path(b.text).stem}]({b.text})")
        elif b.kind == "table":
            cells = [b.headers, *b.rows]
            lines = ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in cells]
            lines.insert(1, "|" + "|".join("---" for _ in b.headers) + "|")
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


CSS = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse;font-size:13px;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}"
    "td:first-child,th:first-child{text-align:left}img{max-width:100%}"
)


def to_html(blocks: list[Block], base: Path, title: str) -> str:
    """HTML with every image inlined as base64, so the file stands alone."""
    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"]
    out.append(f"<style>{CSS}</style></head><body>")
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append(f"<{b.kind}>{html.escape(b.text)}</{b.kind}>")
        elif b.kind == "p":
            out.append(f"<p>{html.escape(b.text.replace('`', ''))}</p>")
        elif b.kind == "img":
            data = base64.b64encode((base / b.text).read_bytes()).decode()
            alt = html.escape(Path(b.text).stem)
            out.append(f"<p><img alt='{alt}' src='data:image/png;base64,{data}'></p>")
        elif b.kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b.headers)
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in b.rows
            )
            out.append(f"<table><tr>{head}</tr>{body}</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def ci(lo: float, hi: float, digits: int = 3) -> str:
    return "–" if math.isnan(lo) else f"[{fmt(lo, digits)}, {fmt(hi, digits)}]"


def pair_archs(records: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The two archs a paired section compares: gru vs lstm when present, else the first two."""
    archs = list(dict.fromkeys(r["arch"] for r in records))
    if {"gru", "lstm"} <= set(archs):
        return ("gru", "lstm")
    return (archs[0], archs[1]) if len(archs) >= 2 else None


MEASURES = [
    ("test_metric", None, "test metric"),
    ("seconds_per_epoch", "min", "s/epoch"),
    ("throughput_seq_s", "max", "train seq/s"),
    ("peak_mem_mb", "min", "peak MiB"),
]


def summary_blocks(records: list[dict[str, Any]]) -> list[Block]:
    df = summary(records)
    rows = []
    for r in df.itertuples():
        arrow = {"min": "↓", "max": "↑"}.get(r.direction, "")
        n = f"{r.n}" + (f" ({r.diverged} div, {r.failed} fail)" if r.diverged or r.failed else "")
        rows.append(
            [
                r.setting,
                r.arch,
                n,
                f"{r.metric or ''}{arrow} {fmt(r.metric_mean)} ± {fmt(r.metric_std, 2)}",
                ci(r.metric_lo, r.metric_hi),
                fmt(r.baseline),
                fmt(r.hidden),
                fmt(r.params_total),
                fmt(r.sec_per_epoch, 3),
                fmt(r.throughput_seq_s, 4),
                fmt(r.peak_mem_mb, 3),
            ]
        )
    headers = ["setting", "arch", "seeds", "test metric (mean ± std)", "95% CI", "trivial"]
    headers += ["hidden", "params", "s/epoch (median)", "seq/s (median)", "peak MiB (median)"]
    return [Block("h2", "Test metric and cost per task × arch"), table(headers, rows)]


def paired_rows(records: list[dict[str, Any]], a: str, b: str) -> pd.DataFrame:
    """Every paired test of the report: each measure per setting (metric in its task's
    direction), ordered by setting."""
    frames = []
    for col, fixed, label in MEASURES:
        if fixed:
            groups = [(fixed, records)]
        else:
            dirs = dict.fromkeys(r["direction"] for r in records if r.get("direction"))
            groups = [(d, [r for r in records if r.get("direction") == d]) for d in dirs]
        for direction, subset in groups:
            f = paired_frame(subset, col, direction, (a, b))
            if len(f):
                frames.append(f.assign(label=label))
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    order = {s: i for i, s in enumerate(dict.fromkeys(trials_frame(records)["setting"]))}
    return df.sort_values("setting", key=lambda c: c.map(order), kind="stable")


def paired_blocks(records: list[dict[str, Any]], a: str, b: str) -> list[Block]:
    rows = [
        [
            p.setting,
            p.label,
            p.n,
            fmt(p.mean_a),
            fmt(p.mean_b),
            f"{fmt(p.diff, 3)} {ci(p.diff_lo, p.diff_hi)}",
            f"{fmt(p.ratio, 3)} {ci(p.ratio_lo, p.ratio_hi)}",
            fmt(p.p_perm, 2),
            fmt(p.p_wilcoxon, 2),
            fmt(p.p_a_better, 2),
            p.winner,
        ]
        for p in paired_rows(records, a, b).itertuples()
    ]
    note = (
        f"Pairs share task parameters, seed, data and batch order. diff = {a} − {b} with a 95% "
        f"bootstrap CI; ratio = geometric mean of {a}/{b}. p: exact sign-flip permutation test "
        f"(decides), Wilcoxon signed-rank beside it. A winner is named only when p < {ALPHA}; "
        f"with n pairs the smallest possible p is 2/2^n, so fewer than 6 seeds cannot name one."
    )
    headers = ["setting", "measure", "pairs", a, b, "diff [95% CI]", "ratio [95% CI]"]
    headers += ["p (perm.)", "p (Wilcoxon)", f"P({a} better)", "winner"]
    return [Block("h2", f"{a.upper()} vs {b.upper()}, paired by seed"), Block("p", note)] + (
        [table(headers, rows)] if rows else [Block("p", "No complete pairs.")]
    )


def target_blocks(records: list[dict[str, Any]], pair: tuple[str, str] | None) -> list[Block]:
    secs, epochs = time_to_target_frame(records), time_to_target_frame(records, "epochs")
    if secs.empty:
        return []
    lr = logrank_p(records, *pair) if pair else pd.DataFrame()
    p_by = dict(zip(lr.get("setting", []), lr.get("p_logrank", []), strict=False))
    targets = {s: t for s, t in zip(*_cols(records, "setting", "target"), strict=True)}
    rows = []
    for s, e in zip(secs.itertuples(), epochs.itertuples(), strict=True):
        rows.append(
            [
                s.setting,
                s.arch,
                fmt(targets.get(s.setting)),
                f"{s.reached}/{s.n}",
                fmt(s.median, 3) if s.reached else "not reached",
                f"{fmt(s.rmst, 3)} (τ={fmt(s.tau, 3)})",
                fmt(e.median, 3),
                fmt(p_by.get(s.setting), 2),
            ]
        )
    note = (
        "Runs that never reach the target are censored at the time they stopped (Kaplan–Meier), "
        "not dropped. Restricted mean: area under the not-yet-reached curve up to τ, the "
        "shortest run of the setting. No median (– or 'not reached') when fewer than half "
        "the runs got there."
    )
    headers = ["setting", "arch", "target", "reached", "median s (KM)", "restricted mean s"]
    headers += ["median epochs (KM)", "log-rank p"]
    return [Block("h2", "Time to target (censored)"), Block("p", note), table(headers, rows)]


def _cols(records: list[dict[str, Any]], *cols: str) -> list[list[Any]]:
    frame = trials_frame(records)
    return [list(frame[c]) if c in frame else [None] * len(frame) for c in cols]


def chart_blocks(records: list[dict[str, Any]], out: Path) -> list[Block]:
    """Draw every chart into ``out/plots`` and return the image blocks, per task."""
    blocks = [Block("h2", "Charts")]
    frame = trials_frame(records)
    ok = frame[frame["status"] == "ok"]
    for task in dict.fromkeys(ok["task"]):
        blocks.append(Block("h3", task))
        charts = []
        for setting in dict.fromkeys(ok[ok["task"] == task]["setting"]):
            fig = plots.learning_curves(records, setting)
            charts.append(plots.save(fig, out / "plots" / f"curves-{plots.slug(setting)}.png"))
        name = plots.slug(task)
        if plots.sizes_differ(records, task):  # matched by params, a size chart shows nothing
            fig = plots.metric_vs_params(records, task)
            charts.append(plots.save(fig, out / f"plots/size-{name}.png"))
        if not time_to_target_frame([r for r in records if r["task"] == task]).empty:
            fig = plots.time_to_target_bars(records, task)
            charts.append(plots.save(fig, out / f"plots/target-{name}.png"))
        charts.append(plots.save(plots.cost_bars(records, task), out / f"plots/cost-{name}.png"))
        blocks += [Block("img", str(c.relative_to(out))) for c in charts]
    return blocks


def environment_line(info: dict[str, Any]) -> str:
    env = info.get("environment", {})
    suite = info.get("suite", {}).get("name", "?")
    return (
        f"Suite `{suite}`, started {info.get('started_at', '?')}; {env.get('cpu', '?')} "
        f"({env.get('cpu_count', '?')} cores), torch {env.get('torch', '?')}, "
        f"{env.get('torch_threads', '?')} threads, git {str(env.get('git_sha') or '?')[:10]}."
    )


def build(run_dir: Path) -> list[Block]:
    """The report's blocks for a results folder (draws the charts as a side effect)."""
    records = latest_per_trial(read_trials(run_dir)[0])
    info = read_run(run_dir)
    pair = pair_archs(records)
    blocks = [
        Block("h1", f"grubench report: {info.get('suite', {}).get('name', run_dir.name)}"),
        Block("p", environment_line(info) + f" {len(records)} trials."),
    ]
    if not records:
        return blocks + [Block("p", "No trials finished yet.")]
    blocks += summary_blocks(records)
    if pair:
        blocks += paired_blocks(records, *pair)
    blocks += target_blocks(records, pair)
    blocks += chart_blocks(records, run_dir)
    return blocks


def write_report(run_dir: Path) -> list[Path]:
    """Write report.md, report.html and plots/ into ``run_dir``; returns the two reports."""
    run_dir = Path(run_dir)
    for old in (run_dir / "plots").glob("*.png"):
        old.unlink()  # charts of a task no longer in the folder would linger otherwise
    blocks = build(run_dir)
    title = blocks[0].text
    md, page = run_dir / "report.md", run_dir / "report.html"
    atomic_write(md, to_markdown(blocks))
    atomic_write(page, to_html(blocks, run_dir, title))
    return [md, page]
