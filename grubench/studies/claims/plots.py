"""Charts for ``claims.md``: exact cost ratios over sizes, paired GRU/LSTM ratios with their
CIs, and metric against a swept parameter."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from grubench.analysis.frames import trials_frame
from grubench.analysis.stats import mean_interval
from grubench.models.registry import arch_color
from grubench.outputs.plots import STYLE, plain_log, plt, whiskers


def exact_ratios(rows: list[dict[str, Any]], input_size: int = 12, layers: int = 1) -> Figure:
    """GRU/LSTM parameter and FLOP ratios against hidden size (closed forms, no training)."""
    sel = [r for r in rows if r["input"] == input_size and r["layers"] == layers]
    h = [r["hidden"] for r in sel]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 3.4), layout="constrained")
        for key, label, style in (
            ("params_total", "parameters, equal hidden", "o-"),
            ("flops_hidden", "FLOPs/step, equal hidden", "s--"),
            ("flops_params", "FLOPs/step, equal parameters", "^-"),
        ):
            # black, not arch colours: the lines are measures, each a ratio of both archs
            ax.plot(h, [r[key] for r in sel], style, color="black", label=label)
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_xscale("log", base=2)
        ax.set_ylim(0.6, 1.1)
        ax.set_xticks(h, [str(x) for x in h])
        ax.minorticks_off()
        ax.set_xlabel("hidden size (LSTM's, for the parameter-matched pair)")
        ax.set_ylabel("GRU / LSTM ratio (exact)")
        ax.set_title(f"Exact cost ratios (input {input_size}, {layers} layer, 1 output)")
        ax.legend(fontsize=8)
    return fig


def ratio_forest(rows: list[tuple[str, float, float, float, str]], title: str) -> Figure:
    """One line per comparison: GRU/LSTM ratio (geometric mean over seeds) with its 95% interval,
    on a log axis with 1 marked; the label gives the significant winner, if any."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.5, 0.5 + 0.45 * max(1, len(rows))), layout="constrained")
        for y, (_, ratio, lo, hi, winner) in enumerate(reversed(rows)):
            ax.errorbar([ratio], [y], xerr=whiskers([ratio], [lo], [hi]), fmt="o", color="black")
            ax.annotate(f" ×{ratio:.2f}: {winner}", (hi, y), va="center", fontsize=7)
        ax.set_yticks(range(len(rows)), [r[0] for r in reversed(rows)])
        ax.axvline(1.0, color="grey", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("GRU / LSTM (geometric mean over paired seeds, 95% t-interval)")
        ax.set_title(title)
        ax.margins(x=0.25)
        plain_log(ax, "x")
    return fig


def sweep_panels(panels: list[tuple[list[dict[str, Any]], str | None, str]], title: str) -> Figure:
    """Test metric (mean, 95% interval, seeds as dots) against the swept parameter, one panel per
    experiment; an experiment without a swept parameter is a single point."""
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            1, len(panels), figsize=(3.6 * len(panels), 3.4), layout="constrained", squeeze=False
        )
        for ax, (records, param, label) in zip(axes[0], panels, strict=True):
            df = trials_frame(records)
            df = df[df["status"] == "ok"]
            if param:
                df = df.assign(
                    x=[r["task_params"].get(param) for r in records if r["status"] == "ok"]
                )
            else:
                df = df.assign(x=0)
            for i, (arch, g) in enumerate(sorted(df.groupby("arch"), key=lambda kv: kv[0])):
                xs = sorted(set(g["x"]))
                means = [g[g["x"] == x]["test_metric"].mean() for x in xs]
                cis = np.array([mean_interval(g[g["x"] == x]["test_metric"]) for x in xs])
                shift = (i - 0.5) * 0.04  # keep the two archs' dots apart
                pos = np.array(xs, dtype=float) * (1 + shift) if param else np.array([i * 0.2])
                ax.errorbar(
                    pos,
                    means,
                    yerr=whiskers(means, cis[:, 0], cis[:, 1]),
                    fmt="o-",
                    color=arch_color(arch),
                    label=arch,
                    capsize=3,
                )
                for x, p in zip(xs, pos, strict=True):
                    ys = g[g["x"] == x]["test_metric"]
                    ax.scatter([p] * len(ys), ys, color=arch_color(arch), alpha=0.3, s=10)
            if len(df):
                # The trivial score depends on the swept value (copy's on T), so one per value.
                base = df.dropna(subset=["baseline"]).groupby("x")["baseline"].mean()
                if len(base) == 1:
                    ax.axhline(base.iloc[0], color="grey", ls=":", lw=1, label="trivial")
                elif len(base):
                    ax.plot(base.index, base.values, "x:", color="grey", lw=1, label="trivial")
                arrow = (
                    "lower is better" if df["direction"].iloc[0] == "min" else "higher is better"
                )
                ax.set_ylabel(f"test {df['metric'].iloc[0]} ({arrow})")
            if param:
                ax.set_xscale("log")
                ticks = sorted(set(df["x"]))
                ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
                ax.minorticks_off()
                ax.set_xlabel(param)
            else:  # one setting: each arch at its own position, named on the axis
                archs = sorted(set(df["arch"]))
                ax.set_xticks([i * 0.2 for i in range(len(archs))], archs)
                ax.set_xlim(-0.2, 0.2 * len(archs))
                ax.set_xlabel("arch (one setting)")
            ax.set_title(label, fontsize=9)
            ax.legend(fontsize=7)
        fig.suptitle(title)
    return fig
