"""Plots of a speed run: time against sequence length and hidden size, the GRU/LSTM ratio heat
map over hidden × sequence length, and peak memory against sequence length."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from grubench.models.registry import arch_color
from grubench.outputs.plots import STYLE, plain_log, plt, save, whiskers

MEASURE = "train"  # the plots show the training step: the cost the seed's claim is about
MARKERS = "osD^v<>"  # one per series within an arch (its hidden size or sequence length)
LABELS = {"hidden": "requested hidden size", "seq_len": "sequence length (steps)"}


def _lines(df: pd.DataFrame, x: str, series: str, title: str) -> Figure:
    """One line per arch × series value: the arch's colour, a marker per series value."""
    keys = sorted(df[series].unique())
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
        for (label, key), g in df.groupby(["label", series]):
            g = g.sort_values(x)
            ax.errorbar(
                g[x],
                g["median_ms"],
                yerr=[g["median_ms"] - g["q1_ms"], g["q3_ms"] - g["median_ms"]],
                marker=MARKERS[keys.index(key) % len(MARKERS)],
                color=arch_color(label),
                alpha=1.0 - 0.5 * keys.index(key) / max(1, len(keys)),
                capsize=3,
                label=f"{label}, {series.replace('_', ' ')} {key}",
            )
        ax.set_xlabel(LABELS.get(x, x.replace("_", " ")))
        ax.set_ylabel(f"{MEASURE} step time (ms; median, IQR bars)")
        ax.set_title(title)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ticks = sorted(df[x].unique())
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.xaxis.set_minor_locator(NullLocator())  # x: the grid's own values only
        plain_log(ax, "y")
        ax.legend(fontsize=7)
    return fig


def time_vs(df: pd.DataFrame, x: str, series: str, path: Path) -> Path:
    d = df[df["measure"] == MEASURE]
    return save(_lines(d, x, series, f"{MEASURE} step time vs {x.replace('_', ' ')}"), path)


def ratio_heatmap(df: pd.DataFrame, path: Path) -> Path | None:
    """Median paired ratio per hidden × seq_len (first batch, layers, input of the grid)."""
    d = df[(df["measure"] == MEASURE) & df["ratio_to"].notna()]
    if d.empty:
        return None
    label = d["label"].iloc[0]
    d = d[d["label"] == label]
    for col in ("batch", "layers", "input_size"):
        d = d[d[col] == d[col].iloc[0]]
    grid = d.pivot_table(index="hidden", columns="seq_len", values="ratio_median")
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, ax = plt.subplots(figsize=(5, 4), layout="constrained")
        # symmetric in log space, so 0.5x and 2x are equally strong colours around 1
        top = max(grid.values.max(), 1 / grid.values.min(), 1.05)
        norm = LogNorm(vmin=1 / top, vmax=top)
        im = ax.imshow(grid.values, cmap="RdBu_r", norm=norm, origin="lower")
        ax.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns])
        ax.set_yticks(range(len(grid.index)), [str(i) for i in grid.index])
        for (i, j), v in pd.DataFrame(grid.values).stack().items():
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=9)
        ax.set_xlabel(LABELS["seq_len"])
        ax.set_ylabel(LABELS["hidden"])
        other = d["ratio_to"].iloc[0]
        ax.set_title(f"{MEASURE} step time ratio {label}/{other} (<1: {label} faster)")
        bar = fig.colorbar(im, ax=ax, label=f"time ratio {label}/{other}")
        plain_log(bar.ax, "y")
    return save(fig, path)


def memory_vs_seq(mem: pd.DataFrame, path: Path) -> Path | None:
    if mem.empty:
        return None
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
        for arch, g in mem.groupby("arch"):
            g = g.sort_values("seq_len")
            colour = arch_color(arch)
            ax.plot(g["seq_len"], g["peak_mb"], "o-", color=colour, label=f"{arch} measured peak")
            ax.plot(
                g["seq_len"],
                g["saved_activations_mb"] + g["optimizer_state_mb"],
                linestyle="--",
                color=colour,
                label=f"{arch} closed form (saved + Adam)",
            )
        lengths = sorted(mem["seq_len"].unique())
        if lengths[-1] >= 8 * lengths[0]:  # a doubling grid reads evenly on a log axis
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xticks(lengths, [str(t) for t in lengths])
            ax.xaxis.set_minor_locator(NullLocator())
            plain_log(ax, "y")
        ax.set_xlabel(LABELS["seq_len"])
        ax.set_ylabel("peak training memory above baseline (MiB)")
        ax.set_title("peak training memory vs sequence length")
        ax.legend(fontsize=7)
    return save(fig, path)


def ratio_vs_seq(cross: pd.DataFrame, path: Path) -> Path | None:
    """Each implementation's training-step time over nn.GRU's and nn.LSTM's (one panel each)
    against sequence length on a log axis: paired per-round ratios (median, IQR bars, as the
    crossover table carries them), the crossover marked where there is one (first shape of the
    grid)."""
    if cross.empty:
        return None
    c = cross[cross["measure"] == MEASURE]
    shape = c.iloc[0][["hidden", "batch", "layers", "input_size"]]
    c = c[(c[shape.index] == shape).all(axis=1)]
    bases = list(dict.fromkeys(c["vs"]))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            1, len(bases), figsize=(5.5 * len(bases), 4), layout="constrained", squeeze=False
        )
        for ax, base in zip(axes[0], bases, strict=True):
            for _, r in c[c["vs"] == base].iterrows():
                ts, q = list(r["seq_lens"]), r["ratio_quartiles"]
                med = [m for _, m, _ in q]
                ax.errorbar(
                    ts,
                    med,
                    yerr=whiskers(med, [lo for lo, _, _ in q], [hi for _, _, hi in q]),
                    marker="o",
                    capsize=2,
                    color=arch_color(r["label"]),
                    label=r["label"],
                )
                if r["where"] == "within":
                    ax.axvline(r["at"], color=arch_color(r["label"]), ls=":", lw=1)
            ax.axhline(1.0, color="grey", lw=0.8)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ticks = sorted({t for s in c["seq_lens"] for t in s})
            ax.set_xticks(ticks, [str(t) for t in ticks])
            ax.xaxis.set_minor_locator(NullLocator())
            plain_log(ax, "y")
            ax.set_xlabel(LABELS["seq_len"])
            ax.set_ylabel(f"{MEASURE} step time / {base}'s (<1: faster)")
            ax.set_title(f"against {base} (dotted: crossover)")
            ax.legend(fontsize=7)
        fig.suptitle(
            f"hidden {shape['hidden']}, batch {shape['batch']}, {shape['layers']} layer(s)"
        )
    return save(fig, path)


def all_plots(
    df: pd.DataFrame, mem: pd.DataFrame, folder: Path, cross: pd.DataFrame | None = None
) -> dict[str, Path]:
    """The plots; ones with nothing to show (e.g. a single arch) are left out."""
    cross = pd.DataFrame() if cross is None else cross
    made = {
        "ratio_vs_seq_len.png": ratio_vs_seq(cross, folder / "ratio_vs_seq_len.png"),
        "time_vs_seq_len.png": time_vs(df, "seq_len", "hidden", folder / "time_vs_seq_len.png"),
        "time_vs_hidden.png": time_vs(df, "hidden", "seq_len", folder / "time_vs_hidden.png"),
        "ratio_heatmap.png": ratio_heatmap(df, folder / "ratio_heatmap.png"),
        "memory_vs_seq_len.png": memory_vs_seq(mem, folder / "memory_vs_seq_len.png"),
    }
    return {k: v for k, v in made.items() if v is not None}


def crossover(rows: list[dict[str, Any]]) -> Figure:
    """GRU/LSTM training-step time ratio against hidden size, one line per implementation
    (solid: the longest sequence, dashed: the shortest), one panel per matching rule, with the
    exact FLOP ratio as the reference a cost-only account would predict."""
    matches = sorted({r["match"] for r in rows})
    lengths = sorted({r["seq_len"] for r in rows})
    impls = list(dict.fromkeys(r["impl"] for r in rows))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            1, len(matches), figsize=(5.2 * len(matches), 3.8), layout="constrained", squeeze=False
        )
        for ax, match in zip(axes[0], matches, strict=True):
            for k, impl in enumerate(impls):
                for t in lengths:
                    sel = sorted(
                        (
                            r
                            for r in rows
                            if (r["impl"], r["match"], r["seq_len"]) == (impl, match, t)
                        ),
                        key=lambda r: r["hidden"],
                    )
                    if not sel:
                        continue
                    h = [r["hidden"] for r in sel]
                    ratio = [r["ratio"] for r in sel]
                    lo, hi = [r["ratio_lo"] for r in sel], [r["ratio_hi"] for r in sel]
                    ax.errorbar(
                        h,
                        ratio,
                        yerr=whiskers(ratio, lo, hi),
                        fmt="o-" if t == lengths[-1] else "s--",
                        color=f"C{k}",
                        capsize=2,
                        label=f"{impl}, T={t}",
                    )
            ref = sorted({(r["hidden"], r["flop_ratio"]) for r in rows if r["match"] == match})
            ax.plot([h for h, _ in ref], [f for _, f in ref], "k:", lw=1.5, label="FLOP ratio")
            ax.axhline(1.0, color="grey", lw=0.8)
            ax.set_xscale("log", base=2)
            sizes = sorted({r["hidden"] for r in rows})
            ax.set_xticks(sizes, [str(h) for h in sizes])
            ax.minorticks_off()
            ax.set_xlabel("hidden size (LSTM's)")
            ax.set_ylabel("GRU / LSTM training-step time")
            ax.set_title(f"equal {match}")
            ax.legend(fontsize=6)
        fig.suptitle("Where the GRU's training step is cheaper, by implementation (1 thread)")
    return fig
