"""A report's sections as lists of Blocks, each built from the records alone: the answer (one
verdict line per task setting), the summary table, learning rates, paired tests, and time to
target. ``grubench.outputs.report`` puts them in order and writes them out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from grubench.analysis.answer import CUT, SHORT, UNDERPOWERED, Answer, answers
from grubench.analysis.frames import grid_text, paired_frame, settings, summary, trials_frame
from grubench.analysis.learned import NOT_LEARNED
from grubench.analysis.stats import ALPHA, LEVEL, RANGE, pairs_needed, summarise
from grubench.analysis.survival import logrank_p, time_to_target_frame
from grubench.models.registry import ARCHS, PAIR
from grubench.outputs import plots
from grubench.outputs.render import fmt
from grubench.published import Published


@dataclass(frozen=True)
class Block:
    """One piece of a report: kind is h1, h2, h3, p, table or img; ``**bold**`` in p text."""

    kind: str
    text: str = ""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


def table(headers: list[str], rows: list[list[Any]]) -> Block:
    return Block("table", headers=tuple(headers), rows=tuple(tuple(map(str, r)) for r in rows))


def ci(lo: float, hi: float, digits: int = 3, kind: str = "") -> str:
    """An interval cell; ``kind`` "range" says it is the min–max of n ≤ 3 values."""
    if lo is None or math.isnan(lo):
        return "–"
    return ("range " if kind == RANGE else "") + f"[{fmt(lo, digits)}, {fmt(hi, digits)}]"


def pair_archs(records: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The two archs a paired section compares: gru vs lstm when present, else the first two."""
    archs = list(dict.fromkeys(r["arch"] for r in records))
    if set(PAIR) <= set(archs):
        return PAIR
    return (archs[0], archs[1]) if len(archs) >= 2 else None


# --- the answer -------------------------------------------------------------------------------


def verdict_line(a: Answer) -> str:
    """One line: the winner, or why there is none, then the evidence it rests on."""
    x, y = (s.upper() for s in a.archs)
    head = f"**{a.setting}**: " + (
        f"{a.winner.upper()} wins." if a.winner else f"no winner ({a.reason})."
    )
    p = a.paired
    if p is None or p.n == 0:
        return f"{head} No complete {x}/{y} pairs."
    parts = [head]
    if a.reason == CUT:
        runs = ", ".join(f"{k.upper()} {v}/{a.runs[k]}" for k, v in a.cut.items() if v)
        parts.append(
            f"Runs cut by the wall-clock safety net, which measures the kernel, not the cell: "
            f"{runs}."
        )
    elif a.reason == NOT_LEARNED and a.better:
        bar = (
            f"its median run's validation score misses the target {fmt(a.target)}"
            if a.target is not None
            else "the interval of its validation scores (after the kept epoch, free of its "
            "selection) does not clear the trivial predictor's by the task's margin"
        )
        parts.append(f"{a.better.upper()}, the better of the two, has not learned the task: {bar}.")
    elif a.reason == SHORT and a.better:
        short = [k.upper() for k in a.archs if not a.learned[k] and not a.budget_used[k]]
        parts.append(
            f"{', '.join(short)} neither learned the task nor used its whole budget (a run "
            "diverged, was cut, or stopped early), so it has not shown what it would learn."
        )
    capped = ", ".join(f"{k.upper()} {v}/{a.runs[k]}" for k, v in a.capped.items() if v)
    if capped and a.reason != CUT:
        parts.append(
            f"At equal steps: runs that ended at the budget while still improving: {capped}."
        )
    diverged = ", ".join(f"{k.upper()} {v}/{a.runs[k]}" for k, v in a.diverged.items() if v)
    if diverged:
        parts.append(f"Diverged (left out of the pairs): {diverged}.")
    if a.compared:
        parts.append(
            f"Every run stopped on reaching the target {fmt(a.target)}, so the test metric only "
            f"says where each stopped; compared instead: {a.compared}."
        )
    if a.reason == UNDERPOWERED:
        parts.append(
            f"{p.n - p.ties} pairs that differ can give p ≥ {fmt(p.min_p, 2)} at best; "
            f"α = {a.alpha} needs {pairs_needed(a.alpha)}."
        )
    parts.append(_evidence(a) + f"; P({x} better) = {fmt(p.p_a_better, 2)} "
        f"{ci(p.p_a_better_lo, p.p_a_better_hi, 2)}.")  # fmt: skip
    unknown = sum(a.unknown.values())
    if unknown:
        at_cap = f" ({a.unknown_at_cap} stopped at the budget's cap)" if a.unknown_at_cap else ""
        parts.append(f"Convergence not recorded for {unknown}/{sum(a.runs.values())} runs{at_cap}.")
    return " ".join(parts)


def _evidence(a: Answer) -> str:
    """What the answer compared: both means, the ratio with its interval, the sign-flip p."""
    p = a.paired
    assert p is not None
    x, y = (s.upper() for s in a.archs)
    ratio = "" if math.isnan(p.ratio) else f" (×{fmt(p.ratio, 3)} {ci(p.ratio_lo, p.ratio_hi)})"
    return (
        f"{(a.compared or 'test ' + a.metric).capitalize()}: {x} {fmt(p.mean_a)} vs "
        f"{y} {fmt(p.mean_b)}{ratio}; sign-flip p = {fmt(p.p_perm, 2)} over {p.n} pairs"
    )


def answer_line(a: Answer) -> str:
    """The answer in one plain line for the terminal, the way a run ends: the verdict, then
    what it compared."""
    head = f"{a.setting}: " + (
        f"{a.winner.upper()} wins" if a.winner else f"no winner ({a.reason})"
    )
    if a.paired is None or a.paired.n == 0:
        return head  # its reason says there are no pairs
    return f"{head}. {_evidence(a)}."


def answer_blocks(records: list[dict[str, Any]], pair: tuple[str, str] | None) -> list[Block]:
    """One verdict line per task setting that ran both archs of ``pair``."""
    if pair is None:
        return [Block("p", "Only one arch ran: there is nothing to compare.")]
    return [Block("p", verdict_line(a)) for a in answers(records, pair)]


# --- tables -----------------------------------------------------------------------------------


def _converged(r: Any) -> str:
    if r.capped:
        return f"no: {r.capped}/{r.n} at cap"
    if r.converged == 0:
        return "?"
    return "yes" if r.converged == r.n else f"{r.converged}/{r.n}"


def summary_blocks(records: list[dict[str, Any]]) -> list[Block]:
    df = summary(records)
    has_eval = bool(df["peak_eval_mb"].notna().any())
    rows = []
    for r in df.itertuples():
        arrow = {"min": "↓", "max": "↑"}.get(r.direction, "")
        n = f"{r.n}" + (f" ({r.diverged} div, {r.failed} fail)" if r.diverged or r.failed else "")
        row = [
            r.setting,
            r.arch,
            n,
            _converged(r),
            f"{r.metric or ''}{arrow} {fmt(r.metric_mean)} ± {fmt(r.metric_std, 2)}",
            ci(r.metric_lo, r.metric_hi, kind=r.interval),
            fmt(r.baseline),
            fmt(r.lr, 3),
            fmt(r.hidden),
            fmt(r.params_total),
            fmt(r.sec_per_epoch, 3),
            fmt(r.throughput_seq_s, 4),
            fmt(r.peak_mem_mb, 3),
        ]
        rows.append(row + ([fmt(r.peak_eval_mb, 3)] if has_eval else []))
    mem = "peak train MiB (median)" if has_eval else "peak MiB (median, incl. eval)"
    headers = ["setting", "arch", "seeds", "converged", "test metric (mean ± std)"]
    headers += [f"{LEVEL:.0%} interval", "trivial", "lr", "hidden", "params", "s/epoch (median)"]
    headers += ["seq/s (median)", mem] + (["peak eval MiB (median)"] if has_eval else [])
    note = (
        f"Interval: the {LEVEL:.0%} Student-t interval of the mean over seeds; with 3 seeds or "
        "fewer, their range (min–max), marked so. Converged: runs that stopped on patience or "
        "the target, not the budget's cap (?: not recorded). Memory is MiB above the process's "
        "baseline" + (", training and evaluation apart." if has_eval else ".")
    )
    blocks = [Block("h2", "Test metric and cost per task × arch"), Block("p", note)]
    blocks.append(table(headers, rows))
    capped = [f"{r.setting} {r.arch} ({r.capped}/{r.n})" for r in df.itertuples() if r.capped]
    if capped:
        blocks.append(
            Block("p", "**Stopped at the cap while still improving**: " + ", ".join(capped) + ".")
        )
    return blocks


def within_sets(
    finals: list[dict[str, Any]], info: dict[str, Any]
) -> dict[tuple[str, str], tuple[float, ...]]:
    """Per (setting, arch) of ``finals``: the rates tuning could not tell from the best (the
    ``within`` run.json records per choice); none where run.json does not
    say (runs older than the rule, or untuned). A record belongs to the suite's task entry of
    its name whose every value it shares (read from the raw suite: the report never imports
    torch, which parsing a suite would)."""
    source, tuning = info.get("suite_source"), info.get("tuning") or []
    if not isinstance(source, dict) or not tuning:
        return {}
    entries = [e for e in source.get("task") or [] if isinstance(e, dict)]
    within = {(t.get("task_index"), t.get("arch")): t.get("within") for t in tuning}
    out = {}
    for r, setting in zip(finals, settings(finals), strict=True):
        given = r.get("task_params") or {}
        index = [
            i
            for i, entry in enumerate(entries)
            if entry.get("name") == r["task"]
            and all(given[k] == v for k, v in entry.items() if k in given)
        ]
        rates = within.get((index[0], r["arch"])) if len(index) == 1 else None
        if rates:
            out[(setting, r["arch"])] = tuple(float(v) for v in rates)
    return out


def lr_blocks(
    finals: list[dict[str, Any]],
    tunes: list[dict[str, Any]],
    out: Path,
    info: dict[str, Any] | None = None,
) -> list[Block]:
    """The learning rate each arch used, the grid it was chosen from and the rates tuning could
    not tell from the best (from run.json, ``info``), with a validation against LR curve per
    setting where tuning trials are in the folder."""
    df = summary(finals)
    blocks = [Block("h2", "Learning rate")]
    if df["lr"].isna().all():
        return blocks + [Block("p", "Not recorded in these trials.")]
    if not df["lr_grid"].map(bool).any():
        used = ", ".join(
            f"{r.arch} {fmt(r.lr, 3)}" for r in df.drop_duplicates("arch").itertuples()
        )
        return blocks + [
            Block("p", f"Not tuned: every trial used the suite's learning rate ({used}).")
        ]
    tf = trials_frame(tunes) if tunes else pd.DataFrame()
    counts = tf.groupby(["setting", "arch"]).size() if len(tf) else pd.Series(dtype=int)
    within = within_sets(finals, info or {})
    rows = [
        [
            r.setting,
            r.arch,
            fmt(r.lr, 3) + (" (grid's edge)" if _at_edge(r.lr, r.lr_grid) else ""),
            grid_text(r.lr_grid) or "–",
            grid_text(within.get((r.setting, r.arch))) or "–",
            int(counts.get((r.setting, r.arch), 0)),
        ]
        for r in df.itertuples()
    ]
    note = (
        "Each arch was tuned over the same grid with the same number of trials and chose on "
        "validation only (the lowest validation loss, median over tuning seeds; where runs "
        "stop at a target, the fewest steps to it), taking the middle of the rates within one "
        "standard error of the best, since the best of a curve flat within the seeds' spread "
        "is an accident of the seeds; tuning seeds are not the final seeds. A best or a "
        "choice at the grid's edge grows the grid one step that way, within the suite's "
        "bounds; a rate still at the edge means the best rate may lie beyond them. "
        "'Within one SE' lists the rates the tuning seeds cannot tell from the best: a result "
        "that would differ across them is a result about the rate, not the arch."
    )
    headers = ["setting", "arch", "lr", "grid", "within one SE", "tuning trials"]
    blocks += [Block("p", note), table(headers, rows)]
    for setting in dict.fromkeys(tf["setting"]) if len(tf) else []:
        chosen = {r.arch: r.lr for r in df[df["setting"] == setting].itertuples()}
        sets = {arch: rates for (s, arch), rates in within.items() if s == setting}
        fig = plots.lr_curves(tunes, chosen, setting, sets)
        path = plots.save(fig, out / "plots" / f"lr-{plots.slug(setting)}.png")
        blocks.append(Block("img", str(path.relative_to(out))))
    return blocks


def _at_edge(lr: float, grid: tuple[float, ...]) -> bool:
    """Whether ``lr`` is the lowest or highest rate of a grid of more than two (a chosen rate
    there may not be the best one)."""
    return len(grid) > 2 and lr in (min(grid), max(grid))


MEASURES = [
    ("test_metric", None, "test metric"),
    ("seconds_per_epoch", "min", "s/epoch"),
    ("throughput_seq_s", "max", "train seq/s"),
    ("peak_mem_mb", "min", "peak train MiB"),
    ("peak_eval_mb", "min", "peak eval MiB"),
]


def paired_rows(records: list[dict[str, Any]], a: str, b: str) -> pd.DataFrame:
    """Every paired test of the report: each measure per setting (metric in its task's
    direction), ordered by setting; measures no pair has are left out."""
    frames = []
    with_eval = any(r.get("peak_eval_mb") is not None for r in records)
    for col, fixed, label in MEASURES:
        if col == "peak_mem_mb" and not with_eval:
            label = "peak MiB (incl. eval)"  # older records: one peak over training and eval
        if fixed:
            groups = [fixed]
        else:
            groups = list(dict.fromkeys(r["direction"] for r in records if r.get("direction")))
        for direction in groups:
            f = paired_frame(records, col, direction, (a, b), of_direction=not fixed)
            if len(f):
                frames.append(f[f["n"] > 0].assign(label=label))
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
            f"{fmt(p.diff, 3)} {ci(p.diff_lo, p.diff_hi, kind=p.interval)}",
            f"{fmt(p.ratio, 3)} {ci(p.ratio_lo, p.ratio_hi, kind=p.interval)}",
            fmt(p.p_perm, 2) + (f" ({p.ties} tie{'s' * (p.ties > 1)})" if p.ties else ""),
            f"{fmt(p.p_a_better, 2)} {ci(p.p_a_better_lo, p.p_a_better_hi, 2)}",
            p.winner,
        ]
        for p in paired_rows(records, a, b).itertuples()
    ]
    note = (
        f"Pairs share task parameters, seed, data and batch order. diff = {a} − {b} with the "
        f"{LEVEL:.0%} t-interval of the mean difference; ratio = geometric mean of {a}/{b} with "
        f"the t-interval of the mean log-ratio (with 3 pairs or fewer: the range). p: exact "
        f"sign-flip permutation test; a winner is named only when p < {ALPHA}. Pairs with no "
        f"difference (ties) cannot flip, so {pairs_needed()} pairs that differ are the fewest "
        f"that can name one. P({a} better): the share of pairs {a} wins (ties count half), "
        f"with an exact Clopper–Pearson interval."
    )
    headers = ["setting", "measure", "pairs", a, b, "diff [interval]", "ratio [interval]"]
    headers += ["p (sign-flip)", f"P({a} better) [95%]", "winner"]
    return [Block("h2", f"{a.upper()} vs {b.upper()}, paired by seed"), Block("p", note)] + (
        [table(headers, rows)] if rows else [Block("p", "No complete pairs.")]
    )


def _steps_cell(row: Any) -> str:
    if row is None:
        return "–"
    return fmt(row.median, 3) if row.reached else "not reached"


def target_blocks(
    records: list[dict[str, Any]], pair: tuple[str, str] | None, out: Path
) -> list[Block]:
    """The censored time-to-target table and a Kaplan–Meier chart per task."""
    secs, epochs = time_to_target_frame(records), time_to_target_frame(records, "epochs")
    if secs.empty:
        return []
    steps = time_to_target_frame(records, "steps")
    by_steps = {(r.setting, r.arch): r for r in steps.itertuples()} if not steps.empty else None
    lr = logrank_p(records, *pair) if pair else pd.DataFrame()
    p_by = dict(zip(lr.get("setting", []), lr.get("p_logrank", []), strict=False))
    frame = trials_frame(records)
    targets = dict(zip(frame["setting"], frame["target"], strict=True))
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
            ]
            + ([_steps_cell(by_steps.get((s.setting, s.arch)))] if by_steps is not None else [])
            + [fmt(p_by.get(s.setting), 2)]
        )
    note = (
        "Runs that never reach the target are censored at the time they stopped (Kaplan–Meier), "
        "not dropped. Seconds say what this implementation costs on this machine; epochs and "
        "optimiser steps say what the cell needs, whatever its kernel. Restricted mean: area "
        "under the not-yet-reached curve up to τ, the shortest run of the setting. No median "
        "(– or 'not reached') when fewer than half the runs got there."
    )
    headers = ["setting", "arch", "target", "reached", "median s (KM)", "restricted mean s"]
    headers += ["median epochs (KM)"] + (["median steps (KM)"] if by_steps is not None else [])
    headers += ["log-rank p"]
    blocks = [Block("h2", "Time to target (censored)"), Block("p", note), table(headers, rows)]
    for task in dict.fromkeys(secs["task"]):
        fig = plots.time_to_target_km(records, task)
        path = plots.save(fig, out / "plots" / f"target-{plots.slug(task)}.png")
        blocks.append(Block("img", str(path.relative_to(out))))
    return blocks


# --- papers' figures beside ours ---------------------------------------------------------------


def published_blocks(records: list[dict[str, Any]], published: list[dict[str, Any]]) -> list[Block]:
    """A suite's ``[[published]]`` figures for the tasks this run holds, each beside our arch of
    the same family (``mingru-seq`` stands for a minGRU) at the same depth: the mean ± std of
    the test metric over final seeds, or "not run at this depth"."""
    figures = [Published(**f) for f in published]
    tasks = {r["task"] for r in records}
    figures = [f for f in figures if f.task in tasks]
    if not figures:
        return []
    rows = []
    for f in figures:
        ours = [
            r
            for r in records
            if r["task"] == f.task
            and r.get("status") == "ok"
            and _family(r["arch"]) == _family(f.arch)
        ]
        at = [r for r in ours if f.layers is None or r.get("layers", 1) == f.layers]
        here = ", ".join(map(str, sorted({r.get("layers", 1) for r in ours}))) or "none"
        side = [("–", "–", f"not run at this depth (this run: {here})")] if not at else []
        for arch in dict.fromkeys(r["arch"] for r in at):
            x = summarise([r["test_metric"] for r in at if r["arch"] == arch])
            spread = f" ± {fmt(x.std, 2)}" if x.n > 1 else ""
            side.append((arch, x.n, f"{fmt(x.mean)}{spread}"))
        head = [f.task, f.arch, f.layers or "", f.text_value(), f.quantity]
        rows += [[*head, *ours_cells, f.source, f.checked] for ours_cells in side]
    headers = [
        "task",
        "paper's cell",
        "layers",
        "published",
        "quantity",
        "ours",
        "seeds",
        "ours: test metric (mean ± std)",
        "source",
        "checked",
    ]
    note = (
        "Figures the suite file quotes (`[[published]]`), beside this run's final trials of the "
        "same cell family and depth. A paper's set-up is not ours: the suite file and the "
        "findings page say how they differ."
    )
    return [Block("h2", "Published figures beside ours"), Block("p", note), table(headers, rows)]


def _family(arch: str) -> str:
    """An arch's family; a name no longer registered is its own."""
    return ARCHS[arch].family if arch in ARCHS else arch
