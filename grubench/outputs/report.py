"""``report.md``, a self-contained ``report.html`` and ``plots/`` for a results folder.

It opens with the answer (a verdict line per task setting), then the tables and charts it rests
on. A report is a list of blocks (heading, paragraph, table, image) emitted twice, as Markdown and
as HTML with the images inlined; everything in it comes from the records, so re-running it on
the same folder writes the same bytes.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path
from typing import Any

from grubench.analysis.frames import Records, trials_frame
from grubench.outputs import plots
from grubench.outputs.sections import (
    Block,
    answer_blocks,
    lr_blocks,
    pair_archs,
    paired_blocks,
    published_blocks,
    summary_blocks,
    target_blocks,
)
from grubench.store import atomic_write, finals_only, planned, read_run, read_trials


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


BOLD = re.compile(r"[*][*](.+?)[*][*]")


def write_page(folder: Path, stem: str, blocks: list[Block], data: Any) -> list[Path]:
    """A study's page: ``stem``.md, ``stem``.json (``data``) and a self-contained ``stem``.html
    in ``folder``, each written atomically; the first block's text is the HTML title."""
    md, js, page = (folder / f"{stem}.{ext}" for ext in ("md", "json", "html"))
    atomic_write(md, to_markdown(blocks))
    atomic_write(page, to_html(blocks, folder, blocks[0].text))
    atomic_write(js, json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n")
    return [md, js, page]


def _inline(text: str) -> str:
    """A paragraph's or a cell's Markdown as HTML: ``**bold**`` in bold, code marks dropped."""
    return BOLD.sub(r"<b>\1</b>", html.escape(text.replace("`", "")))


def to_html(blocks: list[Block], base: Path, title: str) -> str:
    """HTML with every image inlined as base64, so the file stands alone."""
    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"]
    out.append(f"<style>{CSS}</style></head><body>")
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append(f"<{b.kind}>{html.escape(b.text)}</{b.kind}>")
        elif b.kind == "p":
            out.append(f"<p>{_inline(b.text)}</p>")
        elif b.kind == "img":
            data = base64.b64encode((base / b.text).read_bytes()).decode()
            alt = html.escape(Path(b.text).stem)
            out.append(f"<p><img alt='{alt}' src='data:image/png;base64,{data}'></p>")
        elif b.kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b.headers)
            body = "".join(
                "<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in b.rows
            )
            out.append(f"<table><tr>{head}</tr>{body}</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


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
        charts.append(plots.save(plots.cost_bars(records, task), out / f"plots/cost-{name}.png"))
        blocks += [Block("img", str(c.relative_to(out))) for c in charts]
    return blocks


def environment_line(info: dict[str, Any]) -> str:
    env = info.get("environment", {})
    suite = info.get("suite", {}).get("name", "?")
    # The CPU precisely (older runs only recorded the name it reports): "AMD EPYC" names Zen 2
    # and Zen 5 VMs alike, and the shipped kernels' speeds differ between them.
    cpu = env.get("cpu_label") or env.get("cpu", "?")
    onednn = f", oneDNN {env['onednn_isa']}" if env.get("onednn_isa") else ""
    return (
        f"Suite `{suite}`, started {info.get('started_at', '?')}; {cpu}{onednn} "
        f"({env.get('cpu_count', '?')} cores), torch {env.get('torch', '?')}, "
        f"{env.get('torch_threads', '?')} threads, git {str(env.get('git_sha') or '?')[:10]}."
    )


def input_form(records: list[dict[str, Any]]) -> list[str]:
    """One line per task whose series were fed in patches of steps: an answer about a cell on a
    long series is an answer about it with that input form (the archs share it)."""
    lines = {}
    for r in records:
        info = r.get("data_info") or {}
        if (info.get("patch") or 1) > 1 and r["task"] not in lines:
            lines[r["task"]] = (
                f"{r['task']}: each series fed in patches of {info['patch']} consecutive steps "
                f"({info.get('length_max', '?')} steps → {info.get('cell_steps', '?')} cell "
                "steps), the same for every arch; `patch = 1` in a suite feeds every step."
            )
    return list(lines.values())


def build(run_dir: Path, everything: list[dict[str, Any]] | None = None) -> list[Block]:
    """The report's blocks for a results folder (draws the charts as a side effect), from its
    records (``everything``: the latest record per trial, when the caller has read them)."""
    info = read_run(run_dir)
    if everything is None:
        everything = planned(read_trials(run_dir)[0], info)
    # Each built into its table once, however many sections read it.
    records = Records(finals_only(everything))
    tunes = Records(r for r in everything if r.get("role") == "tune")
    pair = pair_archs(records)
    blocks = [Block("h1", f"grubench report: {info.get('suite', {}).get('name', run_dir.name)}")]
    if not records:
        return blocks + [Block("p", environment_line(info)), Block("p", "No trials finished yet.")]
    # The answer first: one verdict line per task setting, then what it rests on.
    blocks += answer_blocks(records, pair)
    trials = f" {len(records)} trials" + (f" and {len(tunes)} tuning trials." if tunes else ".")
    blocks.append(Block("p", environment_line(info) + trials))
    blocks += [Block("p", line) for line in input_form(records)]
    blocks += summary_blocks(records)
    blocks += published_blocks(records, info.get("suite", {}).get("published") or [])
    blocks += lr_blocks(records, tunes, run_dir, info)
    if pair:
        blocks += paired_blocks(records, *pair)
    blocks += target_blocks(records, pair, run_dir)
    blocks += chart_blocks(records, run_dir)
    return blocks


def write_report(run_dir: Path, everything: list[dict[str, Any]] | None = None) -> list[Path]:
    """Write report.md, report.html and plots/ into ``run_dir``; returns the two reports.
    ``everything``: its records, already read (the latest per trial), else read here."""
    run_dir = Path(run_dir)
    for old in (run_dir / "plots").glob("*.png"):
        old.unlink()  # charts of a task no longer in the folder would linger otherwise
    blocks = build(run_dir, everything)
    title = blocks[0].text
    md, page = run_dir / "report.md", run_dir / "report.html"
    atomic_write(md, to_markdown(blocks))
    atomic_write(page, to_html(blocks, run_dir, title))
    return [md, page]
