"""Compare two runs: per task × arch × metric, a verdict that needs a change both large and real.

Pure functions on plain data: the groups of samples of each run in, comparison rows out. A
change is a regression only if it is beyond its threshold *and* beyond the noise the runs show
themselves (a rank test with enough samples, Welch's t with few); otherwise it is
"unchanged" (small) or "inconclusive" (large but within the noise).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field, fields, replace
from typing import Any

from grubench.analysis.stats import (
    Sample,
    holm,
    paired_change,
    paired_t,
    pairs_of,
    rank_p,
    welch_p,
    welch_p_from,
)
from grubench.errors import UserError

# "not comparable": a time measured on another machine (CPU, ISA or torch build) than its twin.
VERDICTS = ("regression", "improvement", "inconclusive", "unchanged", "not comparable")


@dataclass(frozen=True)
class Thresholds:
    """Relative changes that count as large, per metric kind, and the noise test's settings."""

    metric: float = 0.05  # test metric (accuracy, MSE…): 5% relative
    time: float = 0.15  # s/epoch, throughput, latency, in probe units (runners swing ±10–20%)
    memory: float = 0.20  # peak RSS of small models moves by whole allocator pages
    params: float = 0.0  # parameter counts are exact: any change is real
    ratio: float = 0.10  # GRU/LSTM ratios of time and metric
    failures: float = 0.0  # failed or diverged trials (a count, compared exactly)
    alpha: float = 0.05  # family-wise significance of the noise tests
    holm: bool = True  # adjust the p-values of all rows of a comparison (Holm–Bonferroni)
    # Per side for the rank test; fewer: Welch's t-test. With one sample per trial, 5 against 5
    # has a floor of p=0.008, which Holm's correction over a comparison's tests lifts above 0.05.
    min_samples: int = 8
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
class MetricDef:
    """A compared quantity: its unit, threshold kind and direction."""

    label: str
    unit: str
    kind: str
    direction: str | None  # "min" or "max"; None: the task's own direction


METRICS: dict[str, MetricDef] = {
    "test_metric": MetricDef("test metric", "", "metric", None),
    "sec_per_epoch": MetricDef("time per epoch", "s", "time", "min"),
    "throughput": MetricDef("training throughput", "seq/s", "time", "max"),
    "latency_ms": MetricDef("inference latency", "ms", "time", "min"),
    "peak_mem_mb": MetricDef("peak memory", "MiB", "memory", "min"),
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
    stats: dict[str, Sample]  # raw, in each metric's unit
    norm: dict[str, Sample] = field(default_factory=dict)  # time metrics in probe units


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
    base_norm: float | None  # centres in probe units, where normalised
    new_norm: float | None
    base_n: int
    new_n: int
    change: float | None  # relative change of the compared (normalised) centres; + is larger
    worse_by: float | None  # the same, signed so that + means worse
    threshold: float
    normalised: bool
    noise: str
    p_value: float | None
    p_adjusted: float | None
    verdict: str
    gates: bool  # whether a regression here fails the comparison


def relative_change(base: float, new: float) -> float:
    if base == 0:
        return 0.0 if new == 0 else math.copysign(math.inf, new)
    return (new - base) / abs(base)


def noise_test(base: Sample, new: Sample, th: Thresholds) -> tuple[bool | None, str, float | None]:
    """Whether NEW differs from BASE beyond their own spread: (beyond, how judged, p-value)."""
    a, b = base.values, new.values
    if min(len(a), len(b)) >= th.min_samples:
        if len(set(a) | set(b)) == 1:
            return False, "identical samples", 1.0
        p = rank_p(a, b)
        return p < th.alpha, f"Mann–Whitney p={p:.2g} (n={len(a)},{len(b)})", p
    if min(len(a), len(b)) >= 2:
        # Too few for ranks (2 against 2 can never reach p < 0.05): Welch's t on the samples.
        # Disjoint ranges alone would flag a third of 2-against-2 comparisons of pure noise.
        if statistics.pstdev(a) == 0 and statistics.pstdev(b) == 0:
            return a[0] != b[0], "no spread in either run", None
        p = welch_p(a, b)
        return p < th.alpha, f"Welch p={p:.2g} (n={len(a)},{len(b)})", p
    if not math.isnan(base.std) and not math.isnan(new.std) and min(base.n, new.n) >= 2:
        if base.std == 0 and new.std == 0:
            return base.center != new.center, "no spread in either run", None
        p = welch_p_from(base, new)
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
    normalise: bool = True,
    paired: bool = False,
    times_comparable: bool = True,
) -> list[Row]:
    """Rows for every metric of every group both runs have; time metrics are compared in
    probe units where both groups have them (and ``normalise``), raw otherwise. ``paired``:
    samples are matched by trial (an A/B run) and tested on their differences. Without
    ``times_comparable`` (other machines) time rows are marked, never judged."""
    rows = []
    for key in [k for k in base if k in new]:
        g0, g1 = base[key], new[key]
        ratio = "/" in g0.arch
        for name in [m for m in METRICS if m in g0.stats and m in g1.stats]:
            d = METRICS[name]
            normalised = normalise and name in g0.norm and name in g1.norm and not ratio
            s0, s1 = (
                (g0.norm[name], g1.norm[name]) if normalised else (g0.stats[name], g1.stats[name])
            )
            kind = "ratio" if ratio else d.kind
            row = _row(g0, g1, name, d, kind, s0, s1, normalised, th, paired)
            if kind == "time" and not times_comparable:
                row = replace(row, verdict="not comparable", gates=False, p_value=None)
            rows.append(row)
    return _holm_verdicts(rows, th) if th.holm else rows


# Throughput per epoch is the same samples as time per epoch, inverted: one test, not two.
SAME_TEST = {"throughput": "sec_per_epoch"}


def _holm_verdicts(rows: list[Row], th: Thresholds) -> list[Row]:
    """Re-judge every tested row on its Holm-adjusted p. CI asks whether *any* metric
    regressed, so the rows that can fail it form one family and share the alpha; the rows
    that cannot (ungated ratios) form another."""
    out = list(rows)
    for gates in (True, False):
        tests: dict[tuple[str, str, str], float] = {}
        for r in rows:
            if r.p_value is not None and r.gates == gates:
                tests.setdefault(_test_key(r), r.p_value)
        adjusted = dict(zip(tests, holm(list(tests.values())), strict=True))
        for i, r in enumerate(rows):
            if r.p_value is None or r.gates != gates:
                continue
            p_adj = adjusted[_test_key(r)]
            out[i] = replace(
                r,
                noise=f"{r.noise}, Holm p={p_adj:.2g}",
                p_adjusted=p_adj,
                verdict=verdict(r.worse_by, r.threshold, p_adj < th.alpha, exact=False),
            )
    return out


def _test_key(r: Row) -> tuple[str, str, str]:
    return (r.task, r.arch, SAME_TEST.get(r.metric, r.metric))


def _row(
    g0: Group,
    g1: Group,
    name: str,
    d: MetricDef,
    kind: str,
    s0: Sample,
    s1: Sample,
    normalised: bool,
    th: Thresholds,
    paired: bool = False,
) -> Row:
    raw0, raw1 = g0.stats[name].center, g1.stats[name].center
    direction = d.direction or g0.direction
    threshold = getattr(th, kind)
    label = d.label if name != "test_metric" else f"test {g0.metric_name}"
    if kind == "ratio":
        label = f"ratio of {label}"
    if s0.center is None or s1.center is None:
        change = worse = p = None
        noise, result = "no finished trials in one run", "inconclusive"
    else:
        matched = pairs_of(s0, s1) if paired else []
        if kind == "failures":
            change = s1.center - s0.center  # a count: compared in trials, not relatively
        else:
            change = paired_change(matched) if matched else None
            change = relative_change(s0.center, s1.center) if change is None else change
        worse = change if direction == "min" else -change
        exact = kind in EXACT_KINDS
        if exact:
            beyond, noise, p = True, "exact", None
        elif paired:
            beyond, noise, p = paired_t(matched, th.alpha)
        else:
            beyond, noise, p = noise_test(s0, s1, th)
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
        base_norm=s0.center if normalised else None,
        new_norm=s1.center if normalised else None,
        base_n=s0.n,
        new_n=s1.n,
        change=change,
        worse_by=worse,
        threshold=threshold,
        normalised=normalised,
        noise=noise,
        p_value=p,
        p_adjusted=None,
        verdict=result,
        gates=kind != "ratio" or th.gate_ratios,
    )


def regressions(rows: list[Row]) -> list[Row]:
    """The rows that fail the comparison."""
    return [r for r in rows if r.verdict == "regression" and r.gates]


def order(rows: list[Row]) -> list[Row]:
    """Regressions first, then improvements, inconclusive and unchanged; stable within."""
    return sorted(rows, key=lambda r: VERDICTS.index(r.verdict))
