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
    **fields: Any,
) -> dict[str, Any]:
    """One trial whose validation metric falls linearly to ``metric`` over ``epochs``; ``fields``
    add or replace record keys (``converged``, ``lr``, ``role``…)."""
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
        "best_val_metric": metric,
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
        # How a protocol-2 run ends: on patience once converged, else at its step budget.
        "stop_reason": "patience" if fields.get("converged") else "steps",
        "protocol": 2,
        **fields,
    }


def paired_records(gru: list[float], lstm: list[float], **kw: Any) -> list[dict[str, Any]]:
    """GRU and LSTM records seed by seed, interleaved as a suite runs them."""
    out = []
    for seed, (g, m) in enumerate(zip(gru, lstm, strict=True)):
        out += [record("gru", seed, g, **kw), record("lstm", seed, m, **kw)]
    return out


def tuning_records(
    arch: str, scores: dict[float, list[float]], first_seed: int = 100, **kw: Any
) -> list[dict[str, Any]]:
    """Tuning trials (``role == "tune"``) of one arch: per learning rate, one per score, with the
    score as the best validation metric; seeds start at ``first_seed``, apart from the finals."""
    grid = sorted(scores)
    out = []
    for lr, values in scores.items():
        for i, v in enumerate(values):
            r = record(arch, first_seed + i, v, role="tune", lr=lr, lr_grid=grid, **kw)
            r["trial_id"] += f"-tune-{lr:g}"
            out.append({**r, "best_val_metric": v})
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
