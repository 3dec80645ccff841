"""Constructed trial records with known numbers, for statistics, report and verdict tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grubench import SCHEMA_VERSION


def record(
    arch: str,
    seed: int,
    metric: float,
    task: str = "adding",
    params: dict[str, Any] | None = None,
    direction: str = "min",
    sec_per_epoch: float = 1.0,
    to_target: float | None = None,
    epochs: int = 4,
    status: str = "ok",
) -> dict[str, Any]:
    """One trial whose validation metric falls linearly to ``metric`` over ``epochs``."""
    params = params or {"length": 10}
    history = [
        {
            "epoch": e,
            "train_loss": metric + (epochs - e) * 0.1,
            "val_metric": metric + (epochs - e) * 0.1,
            "val": {},
            "epoch_seconds": sec_per_epoch,
            "seconds": e * sec_per_epoch,
            "wall": e * sec_per_epoch + 1,
        }
        for e in range(1, epochs + 1)
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "trial_id": f"{task}-{json.dumps(params, sort_keys=True)}-{arch}-{seed}",
        "task": task,
        "task_params": params,
        "arch": arch,
        "seed": seed,
        "match": "params",
        "hidden": 10 if arch == "lstm" else 12,
        "params_total": 500 if arch == "lstm" else 490,
        "flops_per_step": 1000,
        "metric": "mse" if direction == "min" else "accuracy",
        "direction": direction,
        "val_metric_name": "mse" if direction == "min" else "accuracy",
        "test_metric": metric,
        "baseline": 0.167 if direction == "min" else 0.5,
        "target": 0.01,
        "time_to_target_s": to_target,
        "epochs_to_target": None if to_target is None else max(1, round(to_target / sec_per_epoch)),
        "epochs_run": epochs,
        "train_seconds": epochs * sec_per_epoch,
        "seconds_per_epoch": sec_per_epoch,
        "throughput_seq_s": 1000 / sec_per_epoch,
        "peak_mem_mb": 20.0 if arch == "gru" else 15.0,
        "history": history,
        "status": status,
        "wall_seconds": epochs * sec_per_epoch + 2,
    }


def paired_records(gru: list[float], lstm: list[float], **kw: Any) -> list[dict[str, Any]]:
    """GRU and LSTM records seed by seed, interleaved as a suite runs them."""
    out = []
    for seed, (g, m) in enumerate(zip(gru, lstm, strict=True)):
        out += [record("gru", seed, g, **kw), record("lstm", seed, m, **kw)]
    return out


def write_folder(path: Path, records: list[dict[str, Any]]) -> Path:
    """A results folder as a run leaves it: run.json and trials.jsonl."""
    path.mkdir(parents=True, exist_ok=True)
    run = {
        "schema_version": SCHEMA_VERSION,
        "suite": {"name": "fake"},
        "started_at": "2026-01-01T00:00:00+00:00",
        "environment": {"cpu": "test CPU", "cpu_count": 2, "torch": "2.13.0"},
    }
    (path / "run.json").write_text(json.dumps(run))
    (path / "trials.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return path
