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

from grubench.analysis.frames import trials_frame  # noqa: E402
from grubench.analysis.stats import mean_interval, summarise  # noqa: E402
from grubench.analysis.survival import observations, survival_curve  # noqa: E402
from grubench.models.archs import ARCHS  # noqa: E402
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
    """Mean line with a 95% t-interval band over seeds (the range for n ≤ 3); an epoch counts the
    seeds that ran it."""
    mean = np.array([np.mean(r) for r in rows])
    ci = np.array([mean_interval(r) for r in rows])
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
        fig.suptitle(f"{setting}: learning curves (mean, 95% t-interval band)")
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
                lo, hi = mean_interval(gs["test_metric"])
                m = gs["test_metric"].mean()
                err = whiskers([m], [lo], [hi])
                ax.errorbar([p], [m], yerr=err, color=color(arch), fmt="o")
            ax.plot([], [], "o", color=color(arch), label=arch)
        metric = df["metric"].iloc[0] if len(df) else "metric"
        arrow = "lower is better" if len(df) and df["direction"].iloc[0] == "min" else "higher"
        ax.set_xlabel("parameters (total)")
        ax.set_ylabel(f"test {metric} ({arrow})")
        ax.set_title(f"{task}: final metric against size (dots: seeds; bars: 95% interval)")
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
                return summarise(v).median if len(v) else 0.0

            def iqr(lab: str, arch: str, col: str = col) -> tuple[float, float]:
                s = summarise(vals(lab, arch, col))
                return (s.median - s.q1, s.q3 - s.median) if s.n else (0.0, 0.0)

            if labels:
                _grouped_bars(ax, labels, archs, med, iqr)
            ax.set_ylabel(unit)
        fig.suptitle(f"{task}: cost per arch (median over seeds, whiskers: IQR)")
    return fig


def time_to_target_km(records: list[dict[str, Any]], task: str) -> Figure:
    """Kaplan–Meier step curves of the share of runs that reached the target against training
    seconds, one panel per setting; ticks mark runs censored (stopped without reaching it),
    the dotted line the horizon every arch of the setting was observed for."""
    df = trials_frame(records)
    df = df[(df["task"] == task) & df["status"].isin(["ok", "diverged"]) & df["target"].notna()]
    labels = list(dict.fromkeys(df["setting"]))
    cols = min(3, max(1, len(labels)))
    rows = -(-max(1, len(labels)) // cols)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            rows,
            cols,
            figsize=(max(5.5, 4.2 * cols), 3.4 * rows),
            layout="constrained",
            squeeze=False,
        )
        for ax in axes.flat[len(labels) :]:
            ax.set_visible(False)
        for ax, label in zip(axes.flat, labels, strict=False):
            g = df[df["setting"] == label]
            ends = []
            for arch in [a for a in ARCHS if a in set(g["arch"])] + sorted(
                set(g["arch"]) - set(ARCHS)
            ):
                time, reached = observations(g[g["arch"] == arch])
                t, surv = survival_curve(time, reached)
                runs = g[g["arch"] == arch]["train_seconds"]
                x = np.append(t, max(time.max(), runs.max()))  # on to the end of the runs
                y = 1 - np.append(surv, surv[-1])
                ax.step(x, y, where="post", color=color(arch), lw=1.6)
                cens = time[~reached]
                at = 1 - surv[np.searchsorted(t, cens, side="right") - 1]
                ax.plot(cens, at, "|", color=color(arch), ms=9, mew=1.5)
                ax.plot([], [], color=color(arch), label=f"{arch} ({reached.sum()}/{len(time)})")
                ends.append(time.max())
            ax.axvline(min(ends), color="grey", ls=":", lw=1)
            ax.set_ylim(-0.03, 1.03)
            ax.set_xlim(left=0)
            ax.set_xlabel("training time (s)")
            ax.set_ylabel("share of runs at target")
            ax.set_title(label, fontsize=9)
            ax.legend(loc="best", fontsize=8, title="reached", title_fontsize=8)
        fig.suptitle(f"{task}: time to target (Kaplan–Meier; |: censored; dotted: shared τ)")
    return fig


def tune_value(r: dict[str, Any]) -> float:
    """A tuning trial's validation score: its best epoch's, else its last epoch's."""
    best = r.get("best_val_metric")
    if best is not None:
        return float(best)
    hist = r.get("history") or [{}]
    return float(hist[-1].get("val_metric", np.nan))


def lr_curves(tunes: list[dict[str, Any]], chosen: dict[str, float], setting: str) -> Figure:
    """Validation metric against learning rate per arch (log x): a dot per tuning seed, the
    line through the medians over seeds, a ring at the LR each arch's final runs used."""
    labels = trials_frame(tunes)["setting"]
    recs = [r for r, s in zip(tunes, labels, strict=True) if s == setting]
    name = recs[0].get("val_metric_name", "metric") if recs else "metric"
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
        for arch in [a for a in ARCHS if any(r["arch"] == a for r in recs)]:
            pts = [(float(r["lr"]), tune_value(r)) for r in recs if r["arch"] == arch]
            lrs = sorted({lr for lr, _ in pts})
            meds = [summarise([v for lr2, v in pts if lr2 == lr]).median for lr in lrs]
            ax.scatter(*zip(*pts, strict=True), color=color(arch), alpha=0.35, s=14)
            ax.plot(lrs, meds, "o-", color=color(arch), label=arch, lw=1.4, ms=4)
            if arch in chosen and chosen[arch] in lrs:
                y = meds[lrs.index(chosen[arch])]
                ax.plot([chosen[arch]], [y], "o", ms=13, mfc="none", mec=color(arch), mew=1.6)
        ax.set_xscale("log")
        grid = sorted({float(r["lr"]) for r in recs})
        ax.set_xticks(grid, [f"{v:g}" for v in grid], minor=False)
        ax.minorticks_off()  # the grid's own values, written plainly, instead of powers of ten
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel(f"validation {name} (median over tuning seeds)")
        ax.set_title(f"{setting}: learning-rate search (ring: chosen)")
        ax.legend(fontsize=8)
    return fig
