"""A run's samples grouped per task × arch (and per task's ARCH/LSTM ratio), raw and in
units of the speed probe: the input of ``grubench.studies.compare.rows``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from grubench.analysis.stats import Sample, given, summarise
from grubench.measure.probe import probe_seconds
from grubench.models.archs import REFERENCE
from grubench.studies.compare.rows import Group


def groups_of(
    records: tuple[dict[str, Any], ...],
    summary: pd.DataFrame | None,
    info: dict[str, Any],
    probe: str | None = None,
) -> dict[tuple[str, str], Group]:
    """Every task × arch of a run (its records, or its summary table), and every task's
    ARCH/lstm ratios; with ``probe`` ("trial" or "run"), time metrics also in probe units."""
    run_probe = probe_seconds(info) if probe == "run" else None
    if summary is not None:
        return _groups_from_summary(summary, run_probe)
    run_op = probe_seconds(info, "op_seconds") if probe == "run" else None
    return _groups(records, probe, (run_probe, run_op))


def _groups(
    records: tuple[dict[str, Any], ...],
    probe: str | None,
    run_probe: tuple[float | None, float | None],
) -> dict[tuple[str, str], Group]:
    by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by[(r["task"], r["arch"])].append(r)
    out = {}
    for (task, arch), recs in by.items():
        ok = [r for r in recs if r["status"] == "ok"]
        first = next((r for r in recs if r.get("direction")), {})
        stats = {
            "test_metric": summarise([r.get("test_metric") for r in ok]),
            **_times(ok, [1.0] * len(ok), [1e-3] * len(ok)),  # seconds; latency in ms
            "peak_mem_mb": summarise([r.get("peak_mem_mb") for r in ok]),
            "params": summarise([r.get("params_total") for r in ok]),
            "failures": given(float(len(recs) - len(ok)), len(recs)),
        }
        if probe == "trial":
            per = [trial_probe_seconds(r) for r in ok]
            per_op = [trial_probe_seconds(r, "op_seconds") for r in ok]
        else:
            per, per_op = [run_probe[0]] * len(ok), [run_probe[1]] * len(ok)
        norm = _times(ok, per, per_op) if probe and ok and all(per) else {}
        if not all(per_op):
            norm.pop("latency_ms", None)  # probes older than op_seconds: latency stays raw
        direction, metric = first.get("direction", "min"), first.get("metric", "metric")
        out[(task, arch)] = Group(task, arch, direction, metric, stats, norm)
    for (task, arch), recs in list(by.items()):
        if arch != REFERENCE and (task, REFERENCE) in by:
            g = out[(task, arch)]
            stats = _paired_ratios(recs, by[(task, REFERENCE)])
            out[(task, f"{arch}/{REFERENCE}")] = Group(
                task, f"{arch}/{REFERENCE}", g.direction, g.metric_name, stats
            )
    return out


def _times(ok: list[dict[str, Any]], per: list[Any], per_op: list[Any]) -> dict[str, Sample]:
    """Time metrics with each record's times divided by its ``per`` (1: seconds; a probe's
    block seconds: probe units) and its latency by its ``per_op`` (single-GEMM seconds)."""
    pairs = list(zip(ok, per, per_op, strict=True))
    return {
        "sec_per_epoch": summarise([h["epoch_seconds"] / f for r, f, _ in pairs for h in _hist(r)]),
        "throughput": summarise(
            [_n_train(r) / h["epoch_seconds"] * f for r, f, _ in pairs for h in _hist(r)]
        ),
        "latency_ms": summarise(
            [
                r["infer_latency_ms"] / 1e3 / g
                for r, _, g in pairs
                if r.get("infer_latency_ms") and g
            ]
        ),
    }


def trial_probe_seconds(r: dict[str, Any], key: str = "seconds") -> float | None:
    """The GEMM probe a trial measured around its own training (None in older records)."""
    value = (r.get("probe") or {}).get(key)
    return float(value) if isinstance(value, int | float) and value > 0 else None


def _hist(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [h for h in r.get("history") or [] if h.get("epoch_seconds")]


def _n_train(r: dict[str, Any]) -> float:
    # Sequences per epoch, recovered from the record's own throughput and training time.
    return r["throughput_seq_s"] * r["train_seconds"] / r["epochs_run"]


def _paired_ratios(num: list[dict[str, Any]], den: list[dict[str, Any]]) -> dict[str, Sample]:
    """ARCH/LSTM ratios paired by seed (and epoch): both ran in the same run on the same data."""
    lstm = {r["seed"]: r for r in den if r["status"] == "ok"}
    times, metrics = [], []
    for r in num:
        other = lstm.get(r["seed"])
        if r["status"] != "ok" or other is None:
            continue
        # Early stopping can leave the two with different epoch counts: pair what both ran.
        pairs = zip(_hist(r), _hist(other), strict=False)
        times += [a["epoch_seconds"] / b["epoch_seconds"] for a, b in pairs]
        if r.get("test_metric") is not None and other.get("test_metric"):
            metrics.append(r["test_metric"] / other["test_metric"])
    return {"sec_per_epoch": summarise(times), "test_metric": summarise(metrics)}


def _groups_from_summary(df: pd.DataFrame, run_probe: float | None) -> dict[tuple[str, str], Group]:
    def num(row: pd.Series, col: str) -> float | None:
        v = row.get(col)
        return None if v is None or pd.isna(v) else float(v)

    out = {}
    for _, row in df.iterrows():
        n = int(row["n"])
        stats = {
            "test_metric": given(num(row, "metric_mean"), n, num(row, "metric_std")),
            "sec_per_epoch": given(num(row, "sec_per_epoch"), n),
            "throughput": given(num(row, "throughput_seq_s"), n),
            "peak_mem_mb": given(num(row, "peak_mem_mb"), n),
            "params": given(num(row, "params_total"), n),
            "failures": given(float(row.get("diverged", 0) + row.get("failed", 0)), n),
        }
        norm = {}
        if run_probe:
            norm["sec_per_epoch"] = stats["sec_per_epoch"].scaled(1 / run_probe)
            norm["throughput"] = stats["throughput"].scaled(run_probe)
        key = (str(row["task"]), str(row["arch"]))
        out[key] = Group(key[0], key[1], str(row["direction"]), str(row["metric"]), stats, norm)
    for (task, arch), g in list(out.items()):
        den = out.get((task, REFERENCE))
        if arch != REFERENCE and den is not None:
            stats = {}
            for m in ("sec_per_epoch", "test_metric"):
                a, b = g.stats[m].center, den.stats[m].center
                stats[m] = given(a / b if a is not None and b else None, g.stats[m].n)
            out[(task, f"{arch}/{REFERENCE}")] = Group(
                task, f"{arch}/{REFERENCE}", g.direction, g.metric_name, stats
            )
    return out
