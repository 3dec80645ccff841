"""Charts of trial records (matplotlib, Agg), and the style every grubench chart shares: one
colour per arch from the registry, 150 dpi, plain tick labels. Saved PNGs carry no date or
version stamp, so the same records always give byte-identical files."""

from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

from grubench.analysis.frames import trials_frame  # noqa: E402
from grubench.analysis.stats import mean_interval, summarise  # noqa: E402
from grubench.analysis.survival import observations, survival_curve  # noqa: E402
from grubench.models.registry import ARCHS, arch_color  # noqa: E402

STYLE = {
    "figure.dpi": 150,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.hashsalt": "grubench",
}


def _plain(value: float, _pos: Any = None) -> str:
    return f"{value:g}"


def _plain_2_5(value: float, _pos: Any = None) -> str:
    """Minor ticks labelled at 2 and 5 times a power of ten only, so labels don't collide."""
    if value <= 0:
        return ""
    lead = round(value / 10 ** math.floor(math.log10(value)))
    return f"{value:g}" if lead in (2, 5) else ""


def plain_log(ax: Any, which: str = "both") -> None:
    """Plain numbers on log axes (0.6, not 6×10⁻¹); call after plotting, once the limits are
    known. Minor ticks are labelled where the decades alone would leave too few labels: all of
    them when at most one power of ten is in view, those at 2 and 5 when two are."""
    for name in ("x", "y") if which == "both" else (which,):
        axis = getattr(ax, f"{name}axis")
        if axis.get_scale() != "log":
            continue
        axis.set_major_formatter(FuncFormatter(_plain))
        lo, hi = sorted(getattr(ax, f"get_{name}lim")())
        decades = math.floor(math.log10(hi)) - math.ceil(math.log10(lo)) + 1 if lo > 0 else 9
        minor = {0: FuncFormatter(_plain), 1: FuncFormatter(_plain), 2: FuncFormatter(_plain_2_5)}
        axis.set_minor_formatter(minor.get(decades, NullFormatter()))


def slug(text: str) -> str:
    """A file-name-safe version of a setting label."""
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_")


def whiskers(mid: Any, lo: Any, hi: Any) -> np.ndarray:
    """Error-bar lengths below and above ``mid``; rounding can't make them negative."""
    mid, lo, hi = (np.asarray(v, dtype=float) for v in (mid, lo, hi))
    return np.clip(np.vstack([mid - lo, hi - mid]), 0, None)


def save(fig: Figure, path: Path) -> Path:
    """Write a PNG (150 dpi, no metadata that changes between runs) via a temporary file and a
    rename, like every other result file, then free the figure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".png")
    os.close(fd)
    try:
        with plt.rc_context(STYLE):
            fig.savefig(tmp, format="png", metadata={"Software": None})
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        Path(tmp).unlink(missing_ok=True)
    return path


def _band(ax: Any, x: np.ndarray, rows: list[np.ndarray], arch: str) -> None:
    """Mean line with a 95% t-interval band over seeds (the range for n ≤ 3); an epoch counts the
    seeds that ran it."""
    mean = np.array([np.mean(r) for r in rows])
    ci = np.array([mean_interval(r) for r in rows])
    # A run of one epoch is one point: a line alone would draw nothing, so it gets a marker
    # (and its interval an error bar).
    marker = "o" if len(x) == 1 else None
    ax.plot(x, mean, color=arch_color(arch), label=f"{arch} (n={len(rows[0])})", lw=1.6,
            marker=marker)  # fmt: skip
    if len(x) == 1:
        # yerr as one (2, N) array: a list of arrays trips NumPy's ndim > 0 scalar warning.
        err = np.vstack([mean - ci[:, 0], ci[:, 1] - mean])
        ax.errorbar(x, mean, yerr=err, color=arch_color(arch), capsize=3, lw=1)
    else:
        ax.fill_between(x, ci[:, 0], ci[:, 1], color=arch_color(arch), alpha=0.2, lw=0)


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


def sizes_differ(records: list[dict[str, Any]], task: str, tolerance: float = 0.05) -> bool:
    """Whether ``task``'s trials span sizes worth a size chart: parameter counts more than
    ``tolerance`` apart. Matched by params they differ by well under 1%, and a chart of metric
    against size would only stretch that gap across the whole width."""
    sizes = [r["params_total"] for r in records if r["task"] == task and r.get("params_total")]
    return bool(sizes) and max(sizes) > (1 + tolerance) * min(sizes)


def metric_vs_params(records: list[dict[str, Any]], task: str) -> Figure:
    """Final test metric against total parameter count: one dot per trial, mean ± CI per size."""
    df = trials_frame(records)
    df = df[(df["task"] == task) & (df["status"] == "ok")]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
        for arch, g in sorted(df.groupby("arch"), key=lambda kv: kv[0]):
            ax.scatter(
                g["params_total"], g["test_metric"], color=arch_color(arch), alpha=0.35, s=14
            )
            for (p, _), gs in g.groupby(["params_total", "setting"]):
                lo, hi = mean_interval(gs["test_metric"])
                m = gs["test_metric"].mean()
                err = whiskers([m], [lo], [hi])
                ax.errorbar([p], [m], yerr=err, color=arch_color(arch), fmt="o")
            ax.plot([], [], "o", color=arch_color(arch), label=arch)
        trivial = df["baseline"].dropna()
        if len(trivial):  # what predicting without learning scores: the line to beat
            ax.axhline(trivial.mean(), color="grey", ls=":", lw=1, label="trivial")
        metric = df["metric"].iloc[0] if len(df) else "metric"
        arrow = "lower is better" if len(df) and df["direction"].iloc[0] == "min" else "higher"
        ax.set_xlabel("parameters (total count)")
        ax.set_ylabel(f"test {metric} ({arrow})")
        ax.set_title(f"{task}: final metric against size (dots: seeds; bars: 95% interval)")
        ax.legend(fontsize=8)
    return fig


def _grouped_bars(
    ax: Any, labels: list[str], archs: list[str], value: Any, err: Any = None
) -> None:
    width = 0.8 / max(1, len(archs))
    x = np.arange(len(labels))
    for i, arch in enumerate(archs):
        vals = [value(lab, arch) for lab in labels]
        # [[below...], [above...]] as plain lists: matplotlib 3.11 warns on a (2, 1) array
        pairs = [err(lab, arch) for lab in labels] if err is not None else None
        errs = None if pairs is None else [[p[0] for p in pairs], [p[1] for p in pairs]]
        ax.bar(x + i * width, vals, width, yerr=errs, color=arch_color(arch), label=arch, capsize=3)
    ax.set_xticks(x + width * (len(archs) - 1) / 2, labels, rotation=15, ha="right")
    ax.set_xlabel("setting")
    ax.margins(y=0.2)  # headroom, so the legend sits above the bars and whiskers
    ax.legend(fontsize=8, ncols=len(archs), loc="upper center")


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
            (axes[1], "peak_mem_mb", "peak training memory above baseline (MiB)"),
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
                ax.step(x, y, where="post", color=arch_color(arch), lw=1.6)
                cens = time[~reached]
                at = 1 - surv[np.searchsorted(t, cens, side="right") - 1]
                ax.plot(cens, at, "|", color=arch_color(arch), ms=9, mew=1.5)
                ax.plot(
                    [], [], color=arch_color(arch), label=f"{arch} ({reached.sum()}/{len(time)})"
                )
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


def tune_value(r: dict[str, Any], key: str = "best_val_loss") -> float:
    """A tuning trial's validation score (``key``: its lowest validation loss, what tuning
    chooses on, its steps to the target, or its best validation metric), else its last epoch's
    metric (a run that never reached the target has no steps: NaN)."""
    best = r.get(key)
    if best is not None:
        return float(best)
    if key == "steps_to_target":
        return float("nan")
    hist = r.get("history") or [{}]
    return float(hist[-1].get("val_metric", np.nan))


def lr_curves(
    tunes: list[dict[str, Any]],
    chosen: dict[str, float],
    setting: str,
    within: dict[str, tuple[float, ...]] | None = None,
) -> Figure:
    """Validation metric against learning rate per arch (log x): a dot per tuning seed, the
    line through the medians over seeds, a ring at the LR each arch's final runs used, and a
    broad pale band along the medians of the rates the tuning seeds could not tell from the
    best (``within``, per arch; run.json's), so a ring off the lowest point reads as chosen
    from among them."""
    within = within or {}
    labels = trials_frame(tunes)["setting"]
    recs = [r for r, s in zip(tunes, labels, strict=True) if s == setting]
    on_loss = bool(recs) and all(r.get("best_val_loss") is not None for r in recs)
    key = "best_val_loss" if on_loss else "best_val_metric"
    name = "loss" if on_loss else (recs[0].get("val_metric_name", "metric") if recs else "metric")
    if any(r.get("stop_reason") == "target" for r in recs):  # what tuning chose on there
        key, name = "steps_to_target", "steps to target"
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
        for arch in [a for a in ARCHS if any(r["arch"] == a for r in recs)]:
            pts = [(float(r["lr"]), tune_value(r, key)) for r in recs if r["arch"] == arch]
            lrs = sorted({lr for lr, _ in pts})
            meds = [summarise([v for lr2, v in pts if lr2 == lr]).median for lr in lrs]
            ax.scatter(*zip(*pts, strict=True), color=arch_color(arch), alpha=0.35, s=14)
            ax.plot(lrs, meds, "o-", color=arch_color(arch), label=arch, lw=1.4, ms=4)
            inside = [lr in within.get(arch, ()) for lr in lrs]
            pale = {"color": arch_color(arch), "alpha": 0.18}
            for i in range(len(lrs)):  # a blob per rate in the set, a bar between neighbours
                if inside[i]:
                    ax.plot([lrs[i]], [meds[i]], "o", ms=12, **pale)
                if i and inside[i] and inside[i - 1]:
                    ax.plot(lrs[i - 1 : i + 1], meds[i - 1 : i + 1], "-", lw=9, **pale)
            if arch in chosen and chosen[arch] in lrs:
                y = meds[lrs.index(chosen[arch])]
                ax.plot([chosen[arch]], [y], "o", ms=13, mfc="none", mec=arch_color(arch), mew=1.6)
        ax.set_xscale("log")
        grid = sorted({float(r["lr"]) for r in recs})
        ax.set_xticks(grid, [f"{v:g}" for v in grid], minor=False)
        ax.minorticks_off()  # the grid's own values, written plainly, instead of powers of ten
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel(
            f"{name} (median over tuning seeds)"
            if key == "steps_to_target"
            else f"validation {name} (median over tuning seeds)"
        )
        if within:  # two lines: the key does not fit beside a long setting's name
            ax.set_title(
                f"{setting}: learning-rate search\n(band: within 1 SE of the best; ring: chosen)"
            )
        else:
            ax.set_title(f"{setting}: learning-rate search (ring: chosen)")
        ax.legend(fontsize=8)
    return fig
