"""Charts of trial records (matplotlib, Agg). Saved PNGs carry no date or version stamp, so the
same records always give byte-identical files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from grubench.analysis.stats import bootstrap_ci, trials_frame  # noqa: E402
from grubench.analysis.survival import time_to_target_frame  # noqa: E402
from grubench.models.archs import arch_color as color  # noqa: E402

STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.hashsalt": "grubench",
}


def slug(text: str) -> str:
    """A file-name-safe version of a setting label."""
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_")


def whiskers(mid: Any, lo: Any, hi: Any) -> np.ndarray:
    """Error-bar lengths below and above ``mid``; rounding can't make them negative."""
    mid, lo, hi = (np.asarray(v, dtype=float) for v in (mid, lo, hi))
    return np.clip(np.vstack([mid - lo, hi - mid]), 0, None)


def save(fig: Figure, path: Path) -> Path:
    """Write a PNG with no metadata that changes between runs, then free the figure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
    return path


def _band(ax: Any, x: np.ndarray, rows: list[np.ndarray], arch: str) -> None:
    """Mean line with a 95% bootstrap band over seeds; an epoch counts the seeds that ran it."""
    mean = np.array([np.mean(r) for r in rows])
    ci = np.array([bootstrap_ci(r) for r in rows])
    ax.plot(x, mean, color=color(arch), label=f"{arch} (n={len(rows[0])})", lw=1.6)
    ax.fill_between(x, ci[:, 0], ci[:, 1], color=color(arch), alpha=0.2, lw=0)


def learning_curves(records: list[dict[str, Any]], setting: str) -> Figure:
    """Validation metric against epoch and against training seconds, per arch."""
    labels = trials_frame(records)["setting"]
    recs = [r for r, s in zip(records, labels, strict=True) if s == setting and r.get("history")]
    with plt.rc_context(STYLE):
        fig, (ax_e, ax_t) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
        name = recs[0].get("val_metric_name", "metric") if recs else "metric"
        for arch in sorted({r["arch"] for r in recs}):
            hists = [r["history"] for r in recs if r["arch"] == arch]
            epochs = max(len(h) for h in hists)
            rows, secs = [], []
            for e in range(epochs):
                alive = [h[e] for h in hists if len(h) > e]
                rows.append(np.array([a["val_metric"] for a in alive]))
                secs.append(np.mean([a["seconds"] for a in alive]))
            x = np.arange(1, epochs + 1)
            _band(ax_e, x, rows, arch)
            _band(ax_t, np.array(secs), rows, arch)
        ax_e.set_xlabel("epoch")
        ax_t.set_xlabel("training time (s, mean over seeds)")
        for ax in (ax_e, ax_t):
            ax.set_ylabel(f"validation {name}")
            ax.legend(loc="best", fontsize=8)
        fig.suptitle(f"{setting}: learning curves (mean, 95% bootstrap CI band)")
    return fig


def metric_vs_params(records: list[dict[str, Any]], task: str) -> Figure:
    """Final test metric against total parameter count: one dot per trial, mean ± CI per size."""
    df = trials_frame(records)
    df = df[(df["task"] == task) & (df["status"] == "ok")]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
        for arch, g in sorted(df.groupby("arch"), key=lambda kv: kv[0]):
            ax.scatter(g["params_total"], g["test_metric"], color=color(arch), alpha=0.35, s=14)
            for (p, _), gs in g.groupby(["params_total", "setting"]):
                lo, hi = bootstrap_ci(gs["test_metric"])
                m = gs["test_metric"].mean()
                err = whiskers([m], [lo], [hi])
                ax.errorbar([p], [m], yerr=err, color=color(arch), fmt="o")
            ax.plot([], [], "o", color=color(arch), label=arch)
        metric = df["metric"].iloc[0] if len(df) else "metric"
        arrow = "lower is better" if len(df) and df["direction"].iloc[0] == "min" else "higher"
        ax.set_xlabel("parameters (total)")
        ax.set_ylabel(f"test {metric} ({arrow})")
        ax.set_title(f"{task}: final metric against size (dots: seeds; bars: 95% CI)")
        ax.legend(fontsize=8)
    return fig


def _grouped_bars(ax: Any, labels: list[str], archs: list[str], value, err=None) -> None:  # noqa: ANN001
    width = 0.8 / max(1, len(archs))
    x = np.arange(len(labels))
    for i, arch in enumerate(archs):
        vals = [value(lab, arch) for lab in labels]
        errs = None if err is None else np.array([err(lab, arch) for lab in labels]).T
        ax.bar(x + i * width, vals, width, yerr=errs, color=color(arch), label=arch, capsize=3)
    ax.set_xticks(x + width * (len(archs) - 1) / 2, labels, rotation=15, ha="right")
    ax.legend(fontsize=8)


def time_to_target_bars(records: list[dict[str, Any]], task: str) -> Figure:
    """Kaplan–Meier median time to target per setting and arch; a hatched bar at the longest run
    where fewer than half the runs reached it (censored: the true median lies beyond)."""
    tt = time_to_target_frame(records)
    tt = tt[tt["task"] == task] if len(tt) else tt
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
        labels = list(dict.fromkeys(tt["setting"])) if len(tt) else []
        archs = sorted(set(tt["arch"])) if len(tt) else []
        width = 0.8 / max(1, len(archs))
        handles: dict[str, Any] = {}
        for r in tt.itertuples() if len(tt) else []:
            x = labels.index(r.setting) + archs.index(r.arch) * width
            done = bool(np.isfinite(r.median))
            height = r.median if done else r.max_time
            handles[r.arch] = ax.bar(
                x,
                height,
                width,
                color=color(r.arch),
                hatch="" if done else "//",
                alpha=1.0 if done else 0.35,
                label=r.arch,
            )
            note = f"{r.reached}/{r.n}" + ("" if done else " >")
            ax.annotate(note, (x, height), ha="center", va="bottom", fontsize=7)
        ax.legend([handles[a] for a in archs if a in handles], archs, fontsize=8)
        ax.set_xticks(
            np.arange(len(labels)) + width * (len(archs) - 1) / 2, labels, rotation=15, ha="right"
        )
        ax.set_ylim(bottom=0)
        ax.set_ylabel("median time to target (s, Kaplan–Meier)")
        ax.set_title(f"{task}: time to target (label: runs that reached it; hatched: censored)")
    return fig


def cost_bars(records: list[dict[str, Any]], task: str) -> Figure:
    """Training throughput and peak memory per setting and arch: median, whiskers at the IQR."""
    df = trials_frame(records)
    df = df[(df["task"] == task) & (df["status"] == "ok")]
    labels = list(dict.fromkeys(df["setting"]))
    archs = sorted(set(df["arch"]))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
        for ax, col, unit in (
            (axes[0], "throughput_seq_s", "training throughput (sequences/s)"),
            (axes[1], "peak_mem_mb", "peak memory above baseline (MiB)"),
        ):

            def vals(lab: str, arch: str, col: str = col) -> np.ndarray:
                sel = df[(df["setting"] == lab) & (df["arch"] == arch)][col].dropna()
                return sel.to_numpy(dtype=float)

            def med(lab: str, arch: str, col: str = col) -> float:
                v = vals(lab, arch, col)
                return float(np.median(v)) if len(v) else 0.0

            def iqr(lab: str, arch: str, col: str = col) -> tuple[float, float]:
                v = vals(lab, arch, col)
                if not len(v):
                    return (0.0, 0.0)
                q1, q3 = np.percentile(v, [25, 75])
                return (med(lab, arch, col) - q1, q3 - med(lab, arch, col))

            if labels:
                _grouped_bars(ax, labels, archs, med, iqr)
            ax.set_ylabel(unit)
        fig.suptitle(f"{task}: cost per arch (median over seeds, whiskers: IQR)")
    return fig
