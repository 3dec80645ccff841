"""The outputs of ``grubench speed``: tidy CSVs, a Markdown table, the fingerprint, the plots."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from grubench.analysis.stats import crossing, quantiles
from grubench.models.registry import PAIR
from grubench.outputs.render import fmt
from grubench.store import atomic_write
from grubench.studies.speed.config import SpeedConfig
from grubench.studies.speed.limits import GemmResult

BASES = PAIR  # what every other implementation's crossover is measured against

SHAPE = ["hidden", "seq_len", "batch", "layers", "input_size"]


def square_text(square: GemmResult) -> str:
    """The square GEMM limit in words: its GFLOP/s, which library gave it, what the other did."""
    others = ", ".join(f"{lib} {g:.1f}" for lib, g in square.others)
    return f"{square.gflops:.1f} GFLOP/s ({square.library}" + (f"; {others})" if others else ")")


def limits_frame(square: GemmResult, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The ceilings: the square GEMM, then each arch's GEMM floor per point and measure."""
    head = {
        "kind": "square GEMM",
        "shape": f"{square.gemm.m}x{square.gemm.k}x{square.gemm.n}",
        "median_ms": square.time.median * 1e3,
        "rel_iqr": square.time.rel_iqr,
        "rounds": square.rounds,
        "stop": square.stop,
        "gflops": square.gflops,
        "library": square.library,
    }
    floors = [
        {
            "kind": f"{r['arch']} {r['measure']} GEMMs",
            "shape": "x".join(str(r[k]) for k in ("hidden_arch", "seq_len", "measure_batch")),
            "median_ms": r["gemm_floor_ms"],
            "rel_iqr": None,
            "rounds": r["rounds"],
            "stop": r["stop"],
            "gflops": r["step_limit_gflops"],
        }
        for r in rows
        if not r["label"].endswith("#b")
    ]
    return pd.DataFrame([head, *floors])


def _cell(x: Any, digits: int = 3) -> str:
    return fmt(x, digits)  # speed tables read best at 3 significant digits


def markdown_table(df: pd.DataFrame) -> str:
    """One line per shape, measure and arch: time (median [IQR]), ratio, GFLOP/s, % of limits."""
    head = (
        "| hidden | seq | batch | measure | arch (H) | median ms [q1–q3] | ratio [q1–q3] "
        "| GFLOP/s | % step GEMM | % square GEMM | rounds (stop) |"
    )
    lines = [head, "|" + "---|" * 11]
    for _, r in df.iterrows():
        ratio = "–"
        if r["ratio_to"] is not None and not pd.isna(r["ratio_to"]):
            ratio = (
                f"{r['ratio_median']:.3f} [{r['ratio_q1']:.3f}–{r['ratio_q3']:.3f}] "
                f"vs {r['ratio_to']}"
            )
        lines.append(
            f"| {r['hidden']} | {r['seq_len']} | {r['measure_batch']} | {r['measure']} "
            f"| {r['label']} ({r['hidden_arch']}) "
            f"| {_cell(r['median_ms'])} [{_cell(r['q1_ms'])}–{_cell(r['q3_ms'])}] | {ratio} "
            f"| {_cell(r['gflops'])} | {_cell(r['pct_step_limit'])} | {_cell(r['pct_square'])} "
            f"| {r['rounds']} ({r['stop']}) |"
        )
    return "\n".join(lines) + "\n"


def _md(head: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table of ``head`` and already-formatted ``rows``."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def memory_markdown(mem: pd.DataFrame) -> str:
    head = ["arch", "hidden", "batch", "seq", "peak MiB", "autograd-saved MiB (closed form)"]
    rows = [
        [r["arch"], r["hidden"], r["batch"], r["seq_len"], _cell(r["peak_mb"])]
        + [_cell(r["saved_activations_mb"]), _cell(r["optimizer_state_mb"])]
        for _, r in mem.iterrows()
    ]
    return _md([*head, "weights+grads+Adam MiB"], rows)


def ratio_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Rows that carry a ratio: the comparison in one small table."""
    cols = [*SHAPE, "measure", "label", "ratio_to", "ratio_median", "ratio_q1", "ratio_q3"]
    return df[df["ratio_to"].notna()][cols].reset_index(drop=True)


def crossovers(df: pd.DataFrame) -> pd.DataFrame:
    """Per shape (all but the length) and measure, the sequence length from which each label's
    step is faster than nn.GRU's and nn.LSTM's for good, with its bootstrap interval; empty for a
    grid of one length."""
    keys = [c for c in SHAPE if c != "seq_len"]
    out = []
    d = df[df["measure"].isin(["forward", "train"])]
    for (*shape, measure), g in d.groupby([*keys, "measure"], sort=False):
        if g["seq_len"].nunique() < 2:
            continue
        by = {lab: s.sort_values("seq_len") for lab, s in g.groupby("label", sort=False)}
        for base in (b for b in BASES if b in by):
            for label in (lab for lab in by if lab != base):
                a, b = by[label], by[base]
                ratios = [
                    [x / y for x, y in zip(ra, rb, strict=True)]
                    for ra, rb in zip(a["samples_ms"], b["samples_ms"], strict=True)
                ]
                c = crossing(list(a["seq_len"]), ratios)
                quartiles = [tuple(quantiles(r, [0.25, 0.5, 0.75]).tolist()) for r in ratios]
                out.append(
                    {**dict(zip(keys, shape, strict=True)), "measure": measure, "label": label}
                    | {"vs": base, "where": c.where, "at": c.at, "lo": c.lo, "hi": c.hi}
                    | {"lengths": f"{c.lengths[0]}–{c.lengths[-1]}"}
                    | {"ratio_first": quartiles[0][1], "ratio_last": quartiles[-1][1]}
                    # per length, for the chart: the lengths and the ratios' quartiles
                    | {"seq_lens": c.lengths, "ratio_quartiles": tuple(quartiles)}
                )
    return pd.DataFrame(out)


def crossover_text(r: dict[str, Any] | pd.Series) -> str:
    """One crossover in words: "faster from T ≈ 310 [299, 314]" or why there is none."""
    if r["where"] == "below":
        return f"faster at every length ({r['lengths']})"
    if r["where"] == "above":
        return f"slower at every length up to {r['lengths'].split('–')[-1]}"
    hi = "beyond the grid" if r["hi"] == float("inf") else _cell(r["hi"])
    return f"faster from T ≈ {_cell(r['at'])} [{_cell(r['lo'])}, {hi}]"


def crossover_markdown(cross: pd.DataFrame) -> str:
    head = ["hidden", "batch", "measure", "implementation", "vs"]
    rows = [
        [r["hidden"], r["batch"], r["measure"], r["label"], r["vs"]]
        + [f"{_cell(r['ratio_first'])} / {_cell(r['ratio_last'])}", crossover_text(r)]
        for _, r in cross.iterrows()
    ]
    tail = ["time ratio at the shortest / longest length", "crossover (95% bootstrap interval)"]
    return _md(head + tail, rows)


def write_outputs(
    out: Path,
    cfg: SpeedConfig,
    rows: list[dict[str, Any]],
    square: GemmResult,
    mem: list[dict[str, Any]],
    env: dict[str, Any],
    plots: bool = True,
) -> dict[str, Path]:
    """Every file of a speed run, each written atomically; returns their paths."""
    df = pd.DataFrame(rows)
    mem_df = pd.DataFrame(mem)
    cross = crossovers(df) if "samples_ms" in df else pd.DataFrame()
    paths = {
        "speed.csv": out / "speed.csv",
        "limits.csv": out / "limits.csv",
        "memory.csv": out / "memory.csv",
        "speed.md": out / "speed.md",
        "env.json": out / "env.json",
    }
    flat = df.drop(columns=["samples_ms"], errors="ignore")
    atomic_write(paths["speed.csv"], flat.to_csv(index=False))
    if "samples_ms" in df:
        rounds = df.explode("samples_ms").rename(columns={"samples_ms": "ms"})
        rounds = rounds.assign(round=rounds.groupby(level=0).cumcount())
        paths["rounds.csv"] = out / "rounds.csv"
        keep = [*SHAPE, "measure", "label", "round", "ms"]
        atomic_write(paths["rounds.csv"], rounds[keep].to_csv(index=False))
    if not cross.empty:
        paths["crossover.csv"] = out / "crossover.csv"
        flat_cross = cross.drop(columns=["seq_lens", "ratio_quartiles"])
        atomic_write(paths["crossover.csv"], flat_cross.to_csv(index=False))
    atomic_write(paths["limits.csv"], limits_frame(square, rows).to_csv(index=False))
    atomic_write(paths["memory.csv"], mem_df.to_csv(index=False))
    cpu = env.get("cpu_label") or env.get("cpu")
    md = f"# grubench speed\n\n{cpu} · torch {env.get('torch')} · "
    md += f"device {cfg.device} · {cfg.threads} thread(s) · {cfg.timer} clock · "
    md += f"square GEMM {square.gemm.m}: {square_text(square)}"
    md += "; step GEMM floors through MKL (torch.mm)\n\n" + markdown_table(df)
    if not cross.empty:
        md += (
            "\n## Crossover: the length from which each implementation's step is faster\n\n"
            "Paired per-round time ratios at each length, their medians' last crossing of 1 "
            "interpolated in log-log; the interval resamples each length's rounds (2000 "
            "draws).\n\n" + crossover_markdown(cross)
        )
    if not mem_df.empty:
        md += "\n## Peak training memory\n\n" + memory_markdown(mem_df)
    atomic_write(paths["speed.md"], md)
    config = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()}
    blob = {"config": config, "environment": env}
    atomic_write(paths["env.json"], json.dumps(blob, indent=2, default=str))
    if plots:
        from grubench.studies.speed.plots import all_plots

        paths.update(all_plots(flat, mem_df, out / "plots", cross))
    return paths


def console_table(df: pd.DataFrame, title: str) -> Any:  # a rich Table, imported lazily
    """The speed table for the terminal: the Markdown table's columns, grouped by shape."""
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for col in (
        "hidden",
        "seq",
        "batch",
        "measure",
        "arch (H)",
        "median ms [IQR]",
        "ratio [IQR]",
        "GFLOP/s",
        "% step GEMM",
        "% square",
        "rounds",
    ):
        t.add_column(col, justify="left" if col in ("measure", "arch (H)") else "right")
    last = None
    for _, r in df.iterrows():
        shape = tuple(r[c] for c in SHAPE)
        if last is not None and shape != last:
            t.add_section()
        last = shape
        ratio = "–"
        if r["ratio_to"] is not None and not pd.isna(r["ratio_to"]):
            ratio = f"{r['ratio_median']:.3f} [{r['ratio_q1']:.3f}–{r['ratio_q3']:.3f}]"
        t.add_row(
            str(r["hidden"]),
            str(r["seq_len"]),
            str(r["measure_batch"]),
            r["measure"],
            f"{r['label']} ({r['hidden_arch']})",
            f"{_cell(r['median_ms'])} [{_cell(r['q1_ms'], 2)}–{_cell(r['q3_ms'], 2)}]",
            ratio,
            _cell(r["gflops"]),
            _cell(r["pct_step_limit"], 2),
            _cell(r["pct_square"], 2),
            f"{r['rounds']} {r['stop']}",
        )
    return t
