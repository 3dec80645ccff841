"""Compare two runs: per task × arch × metric, a verdict that needs a change both large and real.

Pure functions on plain data: the groups of samples of each run in, comparison rows out. A
change is a regression only if it is beyond its threshold *and* beyond the noise the runs show
themselves (a rank test with enough samples, ranges well apart with few); otherwise it is
"unchanged" (small) or "inconclusive" (large but within the noise).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from scipy import stats as st

from grubench.errors import UserError

VERDICTS = ("regression", "improvement", "inconclusive", "unchanged")


@dataclass(frozen=True)
class Thresholds:
    """Relative changes that count as large, per metric kind, and the noise test's settings."""

    metric: float = 0.05  # test metric (accuracy, MSE…): 5% relative
    time: float = 0.10  # s/epoch, throughput, latency; after normalisation by the probe
    memory: float = 0.20  # peak RSS of small models moves by whole allocator pages
    params: float = 0.0  # parameter counts are exact: any change is real
    ratio: float = 0.10  # GRU/LSTM ratios of time and metric
    failures: float = 0.0  # failed or diverged trials (a count, compared exactly)
    alpha: float = 0.05  # significance of the rank test
    min_samples: int = 5  # per side for the rank test; fewer: the ranges must lie well apart
    gate_ratios: bool = False  # whether a ratio regression fails the comparison (exit 1)


THRESHOLD_KEYS = {f.name: f.type for f in fields(Thresholds)}


def thresholds_from(base: Thresholds, values: dict[str, Any], where: str) -> Thresholds:
    """``base`` with ``values`` applied; unknown keys and wrong types are user errors."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in THRESHOLD_KEYS:
            known = ", ".join(THRESHOLD_KEYS)
            raise UserError(f"{where}: unknown threshold '{key}' (known: {known})")
        kind = THRESHOLD_KEYS[key]
        if kind == "bool":
            if not isinstance(value, bool):
                raise UserError(f"{where}: {key} must be true or false, got {value!r}")
        elif kind == "int":
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                raise UserError(f"{where}: {key} must be an integer ≥ 2, got {value!r}")
        else:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise UserError(f"{where}: {key} must be a number ≥ 0, got {value!r}")
            if key == "alpha" and not 0 < value < 1:
                raise UserError(f"{where}: alpha must be between 0 and 1, got {value!r}")
            value = float(value)
        out[key] = value
    return replace(base, **out)


@dataclass(frozen=True)
class Stat:
    """One metric of one group: its centre (median, or mean from a summary) and spread."""

    center: float | None
    samples: tuple[float, ...] = ()
    std: float | None = None  # only where samples are not known (summary files)
    n: int = 0

    def scaled(self, factor: float) -> Stat:
        return Stat(
            None if self.center is None else self.center * factor,
            tuple(s * factor for s in self.samples),
            None if self.std is None else self.std * factor,
            self.n,
        )


def stat_of(samples: Sequence[float]) -> Stat:
    clean = tuple(float(s) for s in samples if s is not None and math.isfinite(s))
    return Stat(statistics.median(clean) if clean else None, clean, None, len(clean))


@dataclass(frozen=True)
class MetricDef:
    """A compared quantity: its unit, threshold kind, direction and how the probe scales it."""

    label: str
    unit: str
    kind: str
    direction: str | None  # "min" or "max"; None: the task's own direction
    probe_power: int = 0  # +1: a time (divide by the probe), -1: a rate (multiply), 0: none


METRICS: dict[str, MetricDef] = {
    "test_metric": MetricDef("test metric", "", "metric", None),
    "sec_per_epoch": MetricDef("time per epoch", "s", "time", "min", 1),
    "throughput": MetricDef("training throughput", "seq/s", "time", "max", -1),
    "latency_ms": MetricDef("inference latency", "ms", "time", "min", 1),
    "peak_mem_mb": MetricDef("peak memory", "MB", "memory", "min"),
    "params": MetricDef("parameters", "", "params", "min"),
    "failures": MetricDef("failed or diverged trials", "", "failures", "min"),
}
RATIO_METRICS = ("sec_per_epoch", "test_metric")
EXACT_KINDS = ("params", "failures")  # no noise: any difference beyond the threshold is real


@dataclass(frozen=True)
class Group:
    """Everything compared for one task × arch (or one task's GRU/LSTM ratio) of one run."""

    task: str
    arch: str
    direction: str  # of the task's test metric
    metric_name: str
    stats: dict[str, Stat]


@dataclass(frozen=True)
class Row:
    """The comparison of one metric of one task × arch between BASE and NEW."""

    task: str
    arch: str
    metric: str
    label: str
    unit: str
    kind: str
    direction: str
    base: float | None  # raw centres, in the metric's unit
    new: float | None
    base_n: int
    new_n: int
    change: float | None  # relative change of the compared (normalised) centres; + is larger
    worse_by: float | None  # the same, signed so that + means worse
    threshold: float
    normalised: bool
    noise: str
    p_value: float | None
    verdict: str
    gates: bool  # whether a regression here fails the comparison


def relative_change(base: float, new: float) -> float:
    if base == 0:
        return 0.0 if new == 0 else math.copysign(math.inf, new)
    return (new - base) / abs(base)


def noise_test(base: Stat, new: Stat, th: Thresholds) -> tuple[bool | None, str, float | None]:
    """Whether NEW differs from BASE beyond their own spread: (beyond, how judged, p-value)."""
    a, b = base.samples, new.samples
    if min(len(a), len(b)) >= th.min_samples:
        if len(set(a) | set(b)) == 1:
            return False, "identical samples", 1.0
        p = float(st.mannwhitneyu(a, b, alternative="two-sided").pvalue)
        return p < th.alpha, f"Mann–Whitney p={p:.2g} (n={len(a)},{len(b)})", p
    if min(len(a), len(b)) >= 2:
        # Too few for a test: the ranges must not overlap, and the medians must lie further
        # apart than either range is wide (two samples alone are disjoint a third of the time).
        gap = abs(statistics.median(b) - statistics.median(a))
        disjoint = max(a) < min(b) or max(b) < min(a)
        apart = disjoint and gap > max(max(a) - min(a), max(b) - min(b))
        how = "ranges apart" if apart else ("ranges close" if disjoint else "ranges overlap")
        return apart, f"{how} (n={len(a)},{len(b)})", None
    if base.std is not None and new.std is not None and min(base.n, new.n) >= 2:
        if base.std == 0 and new.std == 0:
            return base.center != new.center, "no spread in either run", None
        t = st.ttest_ind_from_stats(
            base.center, base.std, base.n, new.center, new.std, new.n, equal_var=False
        )
        p = float(t.pvalue)
        return p < th.alpha, f"Welch p={p:.2g} (n={base.n},{new.n})", p
    return None, "one sample per run: spread unknown", None


def verdict(worse_by: float, threshold: float, beyond_noise: bool | None, exact: bool) -> str:
    """The two-condition gate: large (beyond the threshold) and real (beyond the noise)."""
    if abs(worse_by) <= threshold + 1e-12:
        return "unchanged"
    if not (exact or beyond_noise):
        return "inconclusive"
    return "regression" if worse_by > 0 else "improvement"


def compare_groups(
    base: dict[tuple[str, str], Group],
    new: dict[tuple[str, str], Group],
    th: Thresholds,
    probes: tuple[float, float] | None,
) -> list[Row]:
    """Rows for every metric of every group both runs have; ``probes`` (BASE, NEW probe
    seconds) normalise time metrics, None compares them raw."""
    rows = []
    for key in [k for k in base if k in new]:
        g0, g1 = base[key], new[key]
        ratio = "/" in g0.arch
        for name in [m for m in METRICS if m in g0.stats and m in g1.stats]:
            d = METRICS[name]
            s0, s1 = g0.stats[name], g1.stats[name]
            normalised = bool(probes and d.probe_power and not ratio)
            if normalised:
                s0 = s0.scaled(probes[0] ** -d.probe_power)
                s1 = s1.scaled(probes[1] ** -d.probe_power)
            kind = "ratio" if ratio else d.kind
            rows.append(_row(g0, g1, name, d, kind, s0, s1, normalised, th))
    return rows


def _row(
    g0: Group,
    g1: Group,
    name: str,
    d: MetricDef,
    kind: str,
    s0: Stat,
    s1: Stat,
    normalised: bool,
    th: Thresholds,
) -> Row:
    raw0, raw1 = g0.stats[name].center, g1.stats[name].center
    direction = d.direction or g0.direction
    threshold = getattr(th, kind)
    label = d.label if name != "test_metric" else f"test {g0.metric_name}"
    if kind == "ratio":
        label = f"{g0.arch} ratio of {label}"
    if s0.center is None or s1.center is None:
        change = worse = p = None
        noise, result = "no finished trials in one run", "inconclusive"
    else:
        if kind == "failures":
            change = s1.center - s0.center  # a count: compared in trials, not relatively
        else:
            change = relative_change(s0.center, s1.center)
        worse = change if direction == "min" else -change
        exact = kind in EXACT_KINDS
        beyond, noise, p = (True, "exact", None) if exact else noise_test(s0, s1, th)
        result = verdict(worse, threshold, beyond, exact)
    return Row(
        task=g0.task,
        arch=g0.arch,
        metric=name,
        label=label,
        unit="×" if kind == "ratio" else (g0.metric_name if name == "test_metric" else d.unit),
        kind=kind,
        direction=direction,
        base=raw0,
        new=raw1,
        base_n=s0.n,
        new_n=s1.n,
        change=change,
        worse_by=worse,
        threshold=threshold,
        normalised=normalised,
        noise=noise,
        p_value=p,
        verdict=result,
        gates=kind != "ratio" or th.gate_ratios,
    )


def regressions(rows: list[Row]) -> list[Row]:
    """The rows that fail the comparison."""
    return [r for r in rows if r.verdict == "regression" and r.gates]


def order(rows: list[Row]) -> list[Row]:
    """Regressions first, then improvements, inconclusive and unchanged; stable within."""
    return sorted(rows, key=lambda r: VERDICTS.index(r.verdict))
