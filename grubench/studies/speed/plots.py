"""Plots of a speed run: time against sequence length and hidden size, the GRU/LSTM ratio heat
map over hidden × sequence length, and peak memory against sequence length."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

from grubench.models.archs import arch_color  # noqa: E402

MEASURE = "train"  # the plots show the training step: the cost the seed's claim is about


def _save(fig: plt.Figure, path: Path) -> Path:
    """Write via a temporary file and a rename, like every other result file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        Path(tmp).unlink(missing_ok=True)
    return path


def _lines(df: pd.DataFrame, x: str, series: str, title: str) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(6, 4))
    # colour names the arch (as in every chart), the line style the series value; A/A twins
    # share their arch's colour and differ in the marker
    styles = {k: ("-", "--", ":", "-.")[i % 4] for i, k in enumerate(sorted(df[series].unique()))}
    for (label, key), g in df.groupby(["label", series]):
        g = g.sort_values(x)
        ax.errorbar(
            g[x],
            g["median_ms"],
            yerr=[g["median_ms"] - g["q1_ms"], g["q3_ms"] - g["median_ms"]],
            marker="s" if str(label).endswith("#b") else "o",
            linestyle=styles[key],
            color=arch_color(str(g["arch"].iloc[0])),
            capsize=3,
            label=f"{label}, {series} {key}",
        )
    ax.set_xlabel("requested hidden size" if x == "hidden" else x.replace("_", " "))
    ax.set_ylabel(f"{MEASURE} step, ms (median, IQR bars)")
    ax.set_title(title)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ticks = sorted(df[x].unique())
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()
    ax.legend(fontsize=7)
    return fig


def time_vs(df: pd.DataFrame, x: str, series: str, path: Path) -> Path:
    d = df[df["measure"] == MEASURE]
    return _save(_lines(d, x, series, f"{MEASURE} step time vs {x.replace('_', ' ')}"), path)


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
    fig, ax = plt.subplots(figsize=(5, 4))
    # symmetric in log space, so 0.5x and 2x are equally strong colours around 1
    top = max(grid.values.max(), 1 / grid.values.min(), 1.05)
    norm = LogNorm(vmin=1 / top, vmax=top)
    im = ax.imshow(grid.values, cmap="RdBu_r", norm=norm, origin="lower")
    ax.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns])
    ax.set_yticks(range(len(grid.index)), [str(i) for i in grid.index])
    for (i, j), v in pd.DataFrame(grid.values).stack().items():
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=9)
    ax.set_xlabel("sequence length")
    ax.set_ylabel("requested hidden size")
    ax.set_title(f"{MEASURE} step time ratio {label}/{d['ratio_to'].iloc[0]} (<1: faster)")
    fig.colorbar(im, ax=ax)
    return _save(fig, path)


def memory_vs_seq(mem: pd.DataFrame, path: Path) -> Path | None:
    if mem.empty:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for arch, g in mem.groupby("arch"):
        g = g.sort_values("seq_len")
        c = arch_color(str(arch))
        ax.plot(g["seq_len"], g["peak_mb"], marker="o", color=c, label=f"{arch} measured peak")
        ax.plot(
            g["seq_len"],
            g["saved_activations_mb"] + g["optimizer_state_mb"],
            linestyle="--",
            color=c,
            label=f"{arch} closed form (saved + Adam)",
        )
    ax.set_xlabel("sequence length")
    ax.set_ylabel("MiB above baseline")
    ax.set_title("peak training memory vs sequence length")
    ax.legend(fontsize=7)
    return _save(fig, path)


def all_plots(df: pd.DataFrame, mem: pd.DataFrame, folder: Path) -> dict[str, Path]:
    """The four plots; ones with nothing to show (e.g. a single arch) are left out."""
    made = {
        "time_vs_seq_len.png": time_vs(df, "seq_len", "hidden", folder / "time_vs_seq_len.png"),
        "time_vs_hidden.png": time_vs(df, "hidden", "seq_len", folder / "time_vs_hidden.png"),
        "ratio_heatmap.png": ratio_heatmap(df, folder / "ratio_heatmap.png"),
        "memory_vs_seq_len.png": memory_vs_seq(mem, folder / "memory_vs_seq_len.png"),
    }
    return {k: v for k, v in made.items() if v is not None}
