"""A run's samples grouped per task (with its parameters) × arch, and per task's ARCH/LSTM
ratio, raw and in units of the speed probe: the input of ``grubench.studies.compare.rows``.

The sample unit is the trial: one value per trial (its fastest epoch, its test metric…),
keyed by its seed so that a paired comparison can match it. Epochs of one trial share its
process, data and load, so pooling them as independent samples makes p-values too small.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pandas as pd

from grubench.analysis.stats import Sample, given, summarise
from grubench.measure.probe import probe_seconds
from grubench.models.registry import REFERENCE
from grubench.studies.compare.rows import Group


def groups_of(
    records: tuple[dict[str, Any], ...],
    summary: pd.DataFrame | None,
    info: dict[str, Any],
    probe: str | None = None,
    labels: dict[tuple[str, str], str] | None = None,
) -> dict[tuple[str, str], Group]:
    """Every task × arch of a run (its records, or its summary table), and every task's
    ARCH/lstm ratios; with ``probe`` ("trial" or "run"), time metrics also in probe units.
    ``labels`` names each (task, parameters) (see ``task_labels``; default: this run's own)."""
    run_probe = probe_seconds(info) if probe == "run" else None
    if summary is not None:
        return _groups_from_summary(summary, run_probe)
    run_op = probe_seconds(info, "op_seconds") if probe == "run" else None
    return _groups(records, probe, (run_probe, run_op), labels or task_labels(records))


def params_key(r: dict[str, Any]) -> str:
    """A record's task parameters as one comparable string."""
    return json.dumps(r.get("task_params") or {}, sort_keys=True, default=str)


def task_labels(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """A name per (task, parameters): the task's name where it ran with one set of parameters,
    else the name with the parameters that vary, e.g. ``adding[length=50]``. Label the two
    runs of a comparison together, so that the same settings get the same name on both sides."""
    sets: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in records:
        sets[r["task"]][params_key(r)] = r.get("task_params") or {}
    out = {}
    for task, by_key in sets.items():
        names = sorted({k for p in by_key.values() for k in p})
        varying = [k for k in names if len({json.dumps(p.get(k)) for p in by_key.values()}) > 1]
        for key, params in by_key.items():
            shown = ", ".join(f"{k}={params.get(k)}" for k in varying)
            out[(task, key)] = f"{task}[{shown}]" if varying else task
    return out


def _groups(
    records: tuple[dict[str, Any], ...],
    probe: str | None,
    run_probe: tuple[float | None, float | None],
    labels: dict[tuple[str, str], str],
) -> dict[tuple[str, str], Group]:
    by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by[(labels[(r["task"], params_key(r))], r["arch"])].append(r)
    out = {}
    for (task, arch), recs in by.items():
        ok = [r for r in recs if r["status"] == "ok"]
        seeds = [r["seed"] for r in ok]
        first = next((r for r in recs if r.get("direction")), {})
        stats = {
            "test_metric": summarise([r.get("test_metric") for r in ok], seeds),
            **_times(ok, [1.0] * len(ok), [1e-3] * len(ok)),  # seconds; latency in ms
            "peak_mem_mb": summarise([r.get("peak_mem_mb") for r in ok], seeds),
            "params": summarise([r.get("params_total") for r in ok], seeds),
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
    """Time metrics, one value per trial: its fastest epoch divided by its ``per`` (1: seconds;
    a probe's block seconds: probe units) and its latency by its ``per_op`` (single-GEMM
    seconds)."""
    timed = [(r, f, g, epoch_time(r)) for r, f, g in zip(ok, per, per_op, strict=True)]
    timed = [(r, f, g, m) for r, f, g, m in timed if m]
    lat = [(r, g) for r, f, g, m in timed if r.get("infer_latency_ms") and g]
    return {
        "sec_per_epoch": summarise([m / f for r, f, g, m in timed], [r["seed"] for r, *_ in timed]),
        "throughput": summarise(
            [_n_train(r) / m * f for r, f, g, m in timed], [r["seed"] for r, *_ in timed]
        ),
        "latency_ms": summarise(
            [r["infer_latency_ms"] / 1e3 / g for r, g in lat], [r["seed"] for r, _ in lat]
        ),
    }


def epoch_time(r: dict[str, Any]) -> float | None:
    """A trial's fastest training epoch in seconds: its one sample of time per epoch.

    Whatever else runs on the machine (another process, the hypervisor, a page fault) only ever
    adds time, so the least-disturbed epoch is the steadiest estimate of the code's own cost
    (Chen & Revels 2016, "Robust benchmarking in noisy environments"). Over 60 same-code A/B
    pairs of the gate suite here, the spread of the pairs' log-ratios was 0.07 (GRU) and 0.12
    (LSTM) with fastest epochs, 0.09 and 0.16 with medians (docs/ci.md).
    A change that slows only some epochs is missed by it; every training epoch here does the
    same work."""
    times = [h["epoch_seconds"] for h in _hist(r)]
    return min(times) if times else None


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
    """ARCH/LSTM ratios paired by seed, one per trial pair: both ran in the same run on the
    same data."""
    lstm = {r["seed"]: r for r in den if r["status"] == "ok"}
    times: dict[int, float] = {}
    metrics: dict[int, float] = {}
    for r in num:
        other = lstm.get(r["seed"])
        if r["status"] != "ok" or other is None:
            continue
        a, b = epoch_time(r), epoch_time(other)
        if a and b:
            times[r["seed"]] = a / b
        if r.get("test_metric") is not None and other.get("test_metric"):
            metrics[r["seed"]] = r["test_metric"] / other["test_metric"]
    return {
        "sec_per_epoch": summarise(list(times.values()), list(times)),
        "test_metric": summarise(list(metrics.values()), list(metrics)),
    }


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
